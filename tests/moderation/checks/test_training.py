"""train(): reproducible, writes the head where asked, refuses dev-set text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moderation.checks import heads, train, training
from moderation.checks.training import TRAINING_PATH


def _subset(tmp_path: Path, n: int = 60) -> Path:
    lines = TRAINING_PATH.read_text(encoding="utf-8").splitlines()
    pos = [x for x in lines if '"risk"' in x][: n // 2]
    neg = [x for x in lines if '"risk"' not in x][: n // 2]
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(pos + neg) + "\n", encoding="utf-8")
    return path


def test_train_is_reproducible_and_writes_out_dir(tmp_path: Path) -> None:
    data = _subset(tmp_path)
    m1 = train(data, tmp_path / "a")
    m2 = train(data, tmp_path / "b")
    h1 = heads.Head.load(tmp_path / "a" / "risk_head.npz")
    h2 = heads.Head.load(tmp_path / "b" / "risk_head.npz")
    assert np.array_equal(h1.weights, h2.weights) and h1.bias == h2.bias
    assert m1["examples"] == 60 and m1["positives"] == 30
    assert m1["cv"] == m2["cv"]
    assert 0.5 <= m1["threshold"] <= 0.95
    assert h1.bank is not None and h1.bank.shape == (60, 384)
    heads.clear_cache()


def test_committed_head_loads() -> None:
    head = heads.load_head()
    assert head is not None and head.weights.shape == (384,)
    assert head.bank is not None and head.bank_labels is not None
    assert head.bank.shape == (len(head.bank_labels), 384)


def test_threshold_is_the_lowest_meeting_the_everyday_false_positive_cap() -> None:
    y = np.array([1, 1, 0, 0, 0, 0])
    everyday = np.array([False, False, True, True, True, False])
    score = np.array([0.9, 0.6, 0.7, 0.2, 0.1, 0.99])  # the last is a hard, non-everyday one
    no = np.zeros(6, dtype=bool)
    words = np.full(6, 10)
    t = training.choose_threshold(score, y, everyday, no, no, words)
    assert 0.7 < t <= 0.71  # 0.70 would flag one of three everyday posts


def test_knn_vote_follows_the_nearest_examples() -> None:
    bank = np.eye(4, dtype=np.float32)
    labels = np.array([1, 1, 0, 0], dtype=np.float32)
    assert heads.knn_vote(bank[0], bank, labels, k=1) == 1.0
    assert heads.knn_vote(bank[3], bank, labels, k=1) == 0.0


def test_train_refuses_dev_set_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dev = tmp_path / "dev.jsonl"
    dev.write_text(json.dumps({"text": "A sentence from the dev set.", "labels": []}) + "\n")
    monkeypatch.setenv("ALONGSIDE_DEV_SET", str(dev))
    data = tmp_path / "t.jsonl"
    data.write_text(json.dumps({"text": "a sentence from the  dev set.", "labels": []}) + "\n")
    with pytest.raises(ValueError, match="dev set"):
        train(data, tmp_path / "out")
