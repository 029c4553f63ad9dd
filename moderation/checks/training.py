"""Train the risk head from ``data/training.jsonl`` (examples written for Alongside,
kept apart from the development set). Reproducible: deterministic folds and solver."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from moderation.checks import heads, semantic
from moderation.checks.text import normalise

DATA_DIR = Path(__file__).parent / "data"
TRAINING_PATH = DATA_DIR / "training.jsonl"
SEED = 20240611
FOLDS = 5
L2 = 0.1
LEARNING_RATE = 4.0
EPOCHS = 3000


def load_examples(path: Path) -> tuple[list[str], np.ndarray]:
    texts: list[str] = []
    labels: list[int] = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            obj = json.loads(line)
            if not isinstance(obj.get("text"), str) or not isinstance(obj.get("labels"), list):
                raise ValueError(f"{path.name}:{n}: needs 'text' and 'labels'")
            texts.append(obj["text"])
            labels.append(1 if "risk" in obj["labels"] else 0)
    return texts, np.asarray(labels, dtype=np.int64)


def _key(text: str) -> str:
    return " ".join(normalise(text).lower().split())


def _refuse_dev_overlap(texts: list[str]) -> None:
    """Never train on the development set: refuse if any training text is a dev text."""
    dev = os.environ.get("ALONGSIDE_DEV_SET")
    candidates = [Path(dev)] if dev else []
    repo = Path(__file__).resolve().parents[2]
    for up in (repo / "..", repo / ".." / ".."):
        candidates.append(up / "shared" / "moderation" / "dev_set.jsonl")
    for path in candidates:
        if path.is_file():
            dev_keys = {_key(json.loads(line)["text"])
                        for line in path.read_text(encoding="utf-8").splitlines() if line.strip()}
            clash = sum(1 for t in texts if _key(t) in dev_keys)
            if clash:
                raise ValueError(f"{clash} training examples are copied from the dev set")
            return


def _folds(y: np.ndarray) -> list[np.ndarray]:
    rng = np.random.default_rng(SEED)
    fold_of = np.empty(len(y), dtype=np.int64)
    for cls in (0, 1):
        idx = np.flatnonzero(y == cls)
        rng.shuffle(idx)
        fold_of[idx] = np.arange(len(idx)) % FOLDS
    return [np.flatnonzero(fold_of == k) for k in range(FOLDS)]


def _prf(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "tp": tp, "fp": fp, "fn": fn}


def train(training_path: Path | None = None, out_dir: Path | None = None) -> dict[str, Any]:
    """Embed the training examples, cross-validate, fit the risk head and save it.

    Returns a metrics summary (cross-validated precision/recall at the chosen threshold).
    Raises RuntimeError if the embedding model is unavailable.
    """
    path = Path(training_path) if training_path else TRAINING_PATH
    out = Path(out_dir) if out_dir else DATA_DIR
    texts, y = load_examples(path)
    _refuse_dev_overlap(texts)
    emb = semantic.get_embedder()
    if emb is None:
        raise RuntimeError(f"embedding model unavailable: {semantic.status()['reason']}")
    x = np.stack([emb.embed(" ".join(normalise(t).split())) for t in texts])

    oof = np.zeros(len(y))
    for test_idx in _folds(y):
        train_idx = np.setdiff1d(np.arange(len(y)), test_idx)
        w, b = heads.fit_logistic(x[train_idx], y[train_idx], l2=L2, lr=LEARNING_RATE,
                                    epochs=EPOCHS)
        oof[test_idx] = 1.0 / (1.0 + np.exp(-(x[test_idx] @ w + b)))

    # Threshold: best F1 on out-of-fold scores, kept in [0.5, 0.75]. The rules carry the
    # explicit cases, so the head is tuned for balance rather than for recall alone.
    best_t, best_f = 0.5, -1.0
    for t in np.round(np.arange(0.50, 0.751, 0.01), 2):
        m = _prf(y, (oof >= t).astype(np.int64))
        p, r = m["precision"], m["recall"]
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        if f1 > best_f + 1e-9:
            best_t, best_f = float(t), f1
    w, b = heads.fit_logistic(x, y, l2=L2, lr=LEARNING_RATE, epochs=EPOCHS)
    head = heads.Head("risk", w, b, best_t, semantic.MODEL_ID)
    out_path = out / heads.RISK_HEAD_PATH.name
    head.save(out_path)
    heads.clear_cache()
    return {
        "examples": int(len(y)),
        "positives": int(y.sum()),
        "threshold": best_t,
        "cv": _prf(y, (oof >= best_t).astype(np.int64)),
        "head_path": str(out_path),
        "training_sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "model_id": semantic.MODEL_ID,
    }
