"""A second, cheap risk model: logistic regression on hashed word and character n-grams.

It is trained on the same examples as the embedding head and averaged with it (see
:meth:`heads.Head.score`). The two make different mistakes: the sentence encoder reads
any short, personal, low sentence as risk-like and can miss plain method words in a
chatty post; n-grams see the words themselves ("tablets", "rope", "bridge", "lol") and
nothing of their meaning. Pure numpy (no scipy), deterministic, about 0.1 ms a text.
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

from moderation.checks.text import normalise

#: Hash buckets (2**20): collisions are rare at a few hundred thousand distinct n-grams.
BUCKETS = 1 << 20
CHAR_MIN, CHAR_MAX = 3, 5
_WORD = re.compile(r"[a-z0-9']+")


def features(text: str) -> tuple[np.ndarray, np.ndarray]:
    """Hashed feature indices and L2-normalised log-count values of one text: word
    unigrams and bigrams, and character 3-5-grams inside each word (padded by spaces)."""
    words = _WORD.findall(normalise(text).lower().replace("\u2019", "'"))
    grams: dict[int, int] = {}

    def add(g: str) -> None:
        h = zlib.crc32(g.encode("utf-8")) & (BUCKETS - 1)
        grams[h] = grams.get(h, 0) + 1

    for i, w in enumerate(words):
        add("w:" + w)
        if i:
            add("b:" + words[i - 1] + " " + w)
        padded = f" {w} "
        for n in range(CHAR_MIN, CHAR_MAX + 1):
            for j in range(len(padded) - n + 1):
                add(padded[j:j + n])
    if not grams:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    idx = np.fromiter(grams.keys(), dtype=np.int64, count=len(grams))
    val = np.log1p(np.fromiter(grams.values(), dtype=np.float64, count=len(grams)))
    val /= np.linalg.norm(val)
    return idx, val.astype(np.float32)


@dataclass(frozen=True)
class NgramModel:
    #: Buckets with a non-zero weight, and their weights.
    index: np.ndarray
    weights: np.ndarray
    bias: float

    def dense(self) -> np.ndarray:
        w = np.zeros(BUCKETS, dtype=np.float32)
        w[self.index] = self.weights
        return w

    def prob(self, text: str, dense: np.ndarray | None = None) -> float:
        w = self.dense() if dense is None else dense
        idx, val = features(text)
        z = float(w[idx] @ val) + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def fit(texts: list[str], y: np.ndarray, *, l2: float = 1e-3, steps: int = 400,
        lr: float = 0.05) -> NgramModel:
    """Class-balanced, L2-regularised logistic regression by full-batch Adam on a hand-made
    sparse matrix (deterministic: no randomness)."""
    feats = [features(t) for t in texts]
    lengths = np.asarray([len(i) for i, _ in feats], dtype=np.int64)
    rows = np.repeat(np.arange(len(texts)), lengths)
    cols_all = np.concatenate([i for i, _ in feats]) if len(feats) else np.zeros(0, np.int64)
    vals = np.concatenate([v for _, v in feats]).astype(np.float64) if len(feats) \
        else np.zeros(0)
    used, cols = np.unique(cols_all, return_inverse=True)
    d = len(used)
    yv = np.asarray(y, dtype=np.float64)
    n = len(yv)
    pos = max(yv.sum(), 1.0)
    neg = max(n - yv.sum(), 1.0)
    sw = np.where(yv > 0.5, n / (2 * pos), n / (2 * neg))
    w = np.zeros(d)
    b = 0.0
    m = np.zeros(d + 1)
    v = np.zeros(d + 1)
    b1, b2, eps = 0.9, 0.999, 1e-8
    for step in range(1, steps + 1):
        z = np.bincount(rows, weights=vals * w[cols], minlength=n) + b
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))
        g = sw * (p - yv) / n
        gw = np.bincount(cols, weights=vals * g[rows], minlength=d) + l2 * w
        grad = np.append(gw, g.sum())
        m = b1 * m + (1 - b1) * grad
        v = b2 * v + (1 - b2) * grad * grad
        upd = lr * (m / (1 - b1 ** step)) / (np.sqrt(v / (1 - b2 ** step)) + eps)
        w -= upd[:-1]
        b -= float(upd[-1])
    keep = np.abs(w) > 1e-6
    return NgramModel(used[keep].astype(np.int64), w[keep].astype(np.float32), float(b))
