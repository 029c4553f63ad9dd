"""Classifier heads on sentence embeddings: a small neural network ensemble
(:mod:`moderation.checks.mlp`; heads trained before 27 Nov 2026 used L2-regularised
logistic regression, still loaded), blended with a nearest-neighbour vote over the
training examples.

A head is a network (or a weight vector and bias), a decision threshold and (optionally)
a "bank" of the training embeddings with their labels, stored as one .npz next to this
module (``data/risk_head.npz``) so the app works without training first. The bank is
why: a head on MiniLM alone scores any short, personal sentence as risk-like, while the nearest
written examples of everyday chat ("so tired tonight", "how do you cope?") pull it back.

A head may also carry a second model, logistic regression on word and character n-grams
(:mod:`moderation.checks.ngram`), trained on the same examples; its probability is then
averaged into the score (weight ``ngram_mix``) whenever the text is passed with the
embedding.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from moderation.checks import mlp as mlp_mod
from moderation.checks import ngram as ngram_mod

DATA_DIR = Path(__file__).parent / "data"
RISK_HEAD_PATH = DATA_DIR / "risk_head.npz"


@dataclass(frozen=True)
class Head:
    name: str
    weights: np.ndarray
    bias: float
    threshold: float
    model_id: str
    bank: np.ndarray | None = None
    bank_labels: np.ndarray | None = None
    #: Threshold for long posts scored sentence by sentence (None: use ``threshold``).
    window_threshold: float | None = None
    #: Threshold for the whole-post score of a long post, scored besides its windows
    #: (None: the whole post is not scored).
    whole_threshold: float | None = None
    #: The n-gram model (see module doc) and its weight in the score; None: none.
    ngram: ngram_mod.NgramModel | None = None
    ngram_mix: float = 0.0
    #: The network that replaces the linear ``weights``/``bias`` when present.
    mlp: mlp_mod.MlpEnsemble | None = None

    @cached_property
    def _ngram_dense(self) -> np.ndarray | None:
        return self.ngram.dense() if self.ngram is not None else None

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probability of the positive class for each row of ``x`` (or a single vector)."""
        if self.mlp is not None:
            return self.mlp.prob(x)
        z = np.asarray(x, dtype=np.float64) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))

    def score(self, x: np.ndarray, text: str | list[str] | None = None) -> np.ndarray:
        """The decision score the threshold applies to: the mean of the logistic
        probability and the neighbour vote when a bank is stored, else the probability;
        with an n-gram model and the text(s) the embeddings are of (one text for one
        vector, a list for a matrix), that averaged with the n-gram probability."""
        p = self.predict_proba(x)
        if self.bank is not None and self.bank_labels is not None and len(self.bank_labels):
            p = (p + knn_vote(np.asarray(x, dtype=np.float32), self.bank, self.bank_labels)) / 2
        if self.ngram is None or text is None or not self.ngram_mix:
            return p
        dense = self._ngram_dense
        if isinstance(text, str):
            q: Any = self.ngram.prob(text, dense)
        else:
            q = np.asarray([self.ngram.prob(t, dense) for t in text])
        return (1 - self.ngram_mix) * p + self.ngram_mix * q

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        extra: dict[str, Any] = {}
        if self.bank is not None and self.bank_labels is not None:
            extra = {"bank": self.bank.astype(np.float16),
                     "bank_labels": self.bank_labels.astype(np.int8)}
        if self.window_threshold is not None:
            extra["window_threshold"] = np.float64(self.window_threshold)
        if self.whole_threshold is not None:
            extra["whole_threshold"] = np.float64(self.whole_threshold)
        if self.ngram is not None:
            extra |= {"ngram_index": self.ngram.index.astype(np.int32),
                      "ngram_weights": self.ngram.weights.astype(np.float16),
                      "ngram_bias": np.float64(self.ngram.bias),
                      "ngram_mix": np.float64(self.ngram_mix)}
        if self.mlp is not None:
            extra |= {"mlp_w1": self.mlp.w1, "mlp_b1": self.mlp.b1, "mlp_w2": self.mlp.w2,
                      "mlp_b2": self.mlp.b2}
        np.savez_compressed(path, weights=self.weights.astype(np.float32),
                            bias=np.float64(self.bias), threshold=np.float64(self.threshold),
                            name=np.str_(self.name), model_id=np.str_(self.model_id), **extra)

    @classmethod
    def load(cls, path: Path) -> Head:
        with np.load(path, allow_pickle=False) as z:
            bank = z["bank"].astype(np.float32) if "bank" in z.files else None
            labels = z["bank_labels"].astype(np.float32) if "bank_labels" in z.files else None
            window = float(z["window_threshold"]) if "window_threshold" in z.files else None
            whole = float(z["whole_threshold"]) if "whole_threshold" in z.files else None
            ngram = None
            if "ngram_index" in z.files:
                ngram = ngram_mod.NgramModel(z["ngram_index"].astype(np.int64),
                                             z["ngram_weights"].astype(np.float32),
                                             float(z["ngram_bias"]))
            mix = float(z["ngram_mix"]) if "ngram_mix" in z.files else 0.0
            net = None
            if "mlp_w1" in z.files:
                net = mlp_mod.MlpEnsemble(*(z[k].astype(np.float32)
                                            for k in ("mlp_w1", "mlp_b1", "mlp_w2", "mlp_b2")))
            return cls(str(z["name"]), z["weights"].astype(np.float64), float(z["bias"]),
                       float(z["threshold"]), str(z["model_id"]), bank, labels, window, whole,
                       ngram, mix, net)


KNN_K = 10
_BLOCK = 256
KNN_SHARPNESS = 10.0


def knn_vote(x: np.ndarray, bank: np.ndarray, labels: np.ndarray, k: int = KNN_K) -> np.ndarray:
    """Similarity-weighted share of risk examples among the ``k`` nearest bank rows.

    ``x`` is one normalised embedding or a matrix of them; rows of ``bank`` are normalised
    too, so the dot product is the cosine similarity.
    """
    single = x.ndim == 1
    if single:  # the engine's case: one vector, a matrix-vector product and a small sort
        # In blocks of rows: OpenBLAS runs one large matrix-vector product on several
        # threads that then spin, which cost ~8 ms of CPU a post next to onnxruntime;
        # small blocks stay on the calling thread (~0.05 ms for the whole bank).
        sims1 = np.concatenate([bank[i:i + _BLOCK] @ x for i in range(0, bank.shape[0], _BLOCK)])
        k = min(k, bank.shape[0])
        top_idx = np.argpartition(-sims1, k - 1)[:k]
        top1 = sims1[top_idx]
        w1 = np.exp(KNN_SHARPNESS * (top1 - top1.max()))
        return float((w1 * labels[top_idx]).sum() / w1.sum())
    q = x
    sims = q @ bank.T
    k = min(k, bank.shape[0])
    idx = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    top = np.take_along_axis(sims, idx, axis=1)
    wts = np.exp(KNN_SHARPNESS * (top - top.max(axis=1, keepdims=True)))
    vote = (wts * labels[idx]).sum(axis=1) / wts.sum(axis=1)
    return vote[0] if single else vote


_cache_lock = threading.Lock()
_cache: dict[Path, Head | None] = {}


def load_head(path: Path = RISK_HEAD_PATH) -> Head | None:
    """Load (and cache) a head; ``None`` if the file is missing or unreadable."""
    with _cache_lock:
        if path not in _cache:
            try:
                _cache[path] = Head.load(path)
            except (OSError, KeyError, ValueError):
                _cache[path] = None
        return _cache[path]


def clear_cache() -> None:
    with _cache_lock:
        _cache.clear()


def describe(head: Head | None) -> dict[str, Any]:
    if head is None:
        return {"loaded": False}
    return {"loaded": True, "name": head.name, "threshold": head.threshold,
            "window_threshold": head.window_threshold, "whole_threshold": head.whole_threshold,
            "ngram_mix": head.ngram_mix if head.ngram is not None else 0.0,
            "embedding_head": "mlp" if head.mlp is not None else "linear",
            "model_id": head.model_id}
