"""train(): reproducible, writes the head where asked, refuses dev-set text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moderation.checks import heads, train
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
    assert 0.5 <= m1["threshold"] <= 0.75
    heads.clear_cache()


def test_committed_head_loads() -> None:
    head = heads.load_head()
    assert head is not None and head.weights.shape == (384,)


def test_train_refuses_dev_set_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dev = tmp_path / "dev.jsonl"
    dev.write_text(json.dumps({"text": "A sentence from the dev set.", "labels": []}) + "\n")
    monkeypatch.setenv("ALONGSIDE_DEV_SET", str(dev))
    data = tmp_path / "t.jsonl"
    data.write_text(json.dumps({"text": "a sentence from the  dev set.", "labels": []}) + "\n")
    with pytest.raises(ValueError, match="dev set"):
        train(data, tmp_path / "out")
