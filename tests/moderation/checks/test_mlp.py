"""The network head: learns what a linear head cannot, is deterministic, saves and loads."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from moderation.checks import heads, mlp


def _rings(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two classes no straight line separates: inside and outside a circle."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8))
    y = (np.linalg.norm(x[:, :2], axis=1) < 1.1).astype(np.int64)
    return x, y


def test_network_separates_what_a_line_cannot() -> None:
    x, y = _rings(600, 1)
    net = mlp.fit(x, y, seed=7, members=2, hidden=32, epochs=60)
    xt, yt = _rings(400, 2)
    accuracy = ((net.prob(xt) > 0.5) == yt).mean()
    # a linear head sits near the majority share here (about 45-55%); the network does far better
    assert accuracy > 0.85


def test_fit_is_deterministic_and_single_vectors_score_like_rows() -> None:
    x, y = _rings(200, 3)
    a = mlp.fit(x, y, seed=5, members=2, hidden=16, epochs=5)
    b = mlp.fit(x, y, seed=5, members=2, hidden=16, epochs=5)
    c = mlp.fit(x, y, seed=6, members=2, hidden=16, epochs=5)
    assert np.array_equal(a.w1, b.w1) and np.array_equal(a.b2, b.b2)
    assert not np.array_equal(a.w1, c.w1)
    rows = a.prob(x[:4])
    assert rows.shape == (4,)
    assert abs(float(a.prob(x[0])) - float(rows[0])) < 1e-6


def test_head_with_a_network_round_trips_through_its_file(tmp_path: Path) -> None:
    x, y = _rings(200, 4)
    net = mlp.fit(x, y, seed=1, members=2, hidden=16, epochs=3)
    head = heads.Head("risk", np.zeros(8), 0.0, 0.6, "m", mlp=net)
    head.save(tmp_path / "h.npz")
    back = heads.Head.load(tmp_path / "h.npz")
    assert back.mlp is not None
    assert np.allclose(back.predict_proba(x[:5]), head.predict_proba(x[:5]))
    assert np.allclose(back.predict_proba(x[:5]), net.prob(x[:5]))
