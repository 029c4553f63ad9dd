"""train(): reproducible, writes the head where asked, refuses dev-set text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moderation.checks import heads, train, training
from moderation.checks.engine import CUED_THRESHOLD, WHOLE_MIN_WINDOW, ModelView, model_flags
from moderation.checks.training import TRAINING_PATH


def _subset(tmp_path: Path, n: int = 60) -> Path:
    lines = TRAINING_PATH.read_text(encoding="utf-8").splitlines()
    pos = [x for x in lines if '"risk"' in x][: n // 2]
    neg = [x for x in lines if '"risk"' not in x][: n // 2]
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(pos + neg) + "\n", encoding="utf-8")
    return path


def test_train_is_reproducible_and_writes_out_dir(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    # Fewer made-up long posts per fold: embedding 1,200 of them per run took 95 s, and
    # reproducibility does not depend on how many there are.
    monkeypatch.setattr(training, "LONG_PER_FOLD", 8)
    data = _subset(tmp_path)
    m1 = train(data, tmp_path / "a")
    m2 = train(data, tmp_path / "b")
    h1 = heads.Head.load(tmp_path / "a" / "risk_head.npz")
    h2 = heads.Head.load(tmp_path / "b" / "risk_head.npz")
    assert h1.mlp is not None and h2.mlp is not None
    for a, b in zip(vars(h1.mlp).values(), vars(h2.mlp).values(), strict=True):
        assert np.array_equal(a, b)
    assert m1["examples"] == 60 and m1["positives"] == 30
    assert m1["cv"] == m2["cv"]
    assert training.THRESHOLD_GRID[0] <= m1["threshold"] <= 0.95
    assert h1.bank is not None and h1.bank.shape == (60, 384)
    heads.clear_cache()


def test_committed_head_loads() -> None:
    head = heads.load_head()
    assert head is not None and head.mlp is not None
    assert head.mlp.w1.shape[1] == 384 and heads.describe(head)["embedding_head"] == "mlp"
    assert head.bank is not None and head.bank_labels is not None
    assert head.bank.shape == (len(head.bank_labels), 384)
    # the committed head carries the n-gram model, at the weight training gives it
    assert head.ngram is not None and head.ngram_mix == training.NGRAM_MIX
    assert heads.describe(head)["ngram_mix"] == training.NGRAM_MIX


def test_threshold_is_the_lowest_meeting_the_everyday_false_positive_cap() -> None:
    y = np.array([1, 1, 0, 0, 0, 0])
    everyday = np.array([False, False, True, True, True, False])
    # the last is a hard, non-everyday one
    scores = [np.array([s]) for s in (0.9, 0.6, 0.7, 0.2, 0.1, 0.99)]
    no = np.zeros(6, dtype=bool)
    views = [ModelView(["a post of more than six words here"], [False], 10)] * 6
    t = training.choose_threshold(scores, y, everyday, no, views)
    assert 0.7 < t <= 0.71  # 0.70 would flag one of three everyday posts


def test_threshold_applies_per_window() -> None:
    """A long post is flagged when any one window clears its own threshold, and a window
    with a mitigating cue of its own must clear the stricter one."""
    view = ModelView(["w1", "w2"], [True, False], 80)
    between = (0.7 + CUED_THRESHOLD) / 2  # above the threshold, below the cued one
    assert model_flags([between, 0.2], view, 0.7, False, False) is False  # cued window
    assert model_flags([0.2, between], view, 0.7, False, False) is True
    assert model_flags([CUED_THRESHOLD, 0.2], view, 0.7, False, False) is True


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


def test_whole_post_score_flags_a_long_post_no_window_flags() -> None:
    """A long post is also judged by its whole-text score, against its own threshold,
    and against the cued one if any of its windows has a mitigating cue; not when no
    window reaches WHOLE_MIN_WINDOW."""
    plain = ModelView(["w1", "w2", "w3"], [False, False, False], 80, windowed=True,
                      whole="w1 w2 w3")
    cued = ModelView(["w1", "w2", "w3"], [False, True, False], 80, windowed=True,
                     whole="w1 w2 w3")
    low = [0.3, WHOLE_MIN_WINDOW, 0.2]
    assert model_flags([0.3, 0.4, 0.2], plain, 0.6, False, False, 0.85, 0.99, 0.6) is False
    assert model_flags(low, plain, 0.6, False, False, 0.85) is False
    assert model_flags(low, plain, 0.6, False, False, 0.85, 0.65, 0.6) is True
    assert model_flags(low, plain, 0.6, False, False, 0.85, 0.55, 0.6) is False
    assert model_flags(low, plain, 0.6, False, False, 0.85, 0.65, None) is False
    assert model_flags(low, cued, 0.6, False, False, 0.85, 0.65, 0.6) is False
    assert model_flags(low, cued, 0.6, False, False, 0.85, 0.95, 0.6) is True
    short = ModelView(["one short post"], [False], 20)
    assert model_flags([0.3], short, 0.6, False, False, 0.85, 0.99, 0.6) is False


def test_whole_threshold_adds_few_false_alarms_in_each_group() -> None:
    """The whole-post threshold is the lowest on its grid at which scoring posts whole
    flags at most WHOLE_EXTRA_FPR more of each group of long ordinary posts; posts that a
    window already flagged do not count against it."""
    view = ModelView(["a", "b", "c"], [False, False, False], 60, windowed=True, whole="a b c")
    s = [0.5, 0.5, 0.5]
    easy = [(False, s, 0.1, view)] * 99 + [(False, s, 0.72, view)]  # 1%: fine at any threshold
    hard = [(False, s, 0.2, view)] * 18 + [(False, s, 0.66, view), (True, s, 0.9, view)]
    assert training.choose_whole_threshold([easy, hard]) == pytest.approx(0.67)
    assert training.choose_whole_threshold([easy]) == pytest.approx(0.5)
    # a post none of whose windows reaches WHOLE_MIN_WINDOW is never flagged whole
    quiet = [(False, [0.1, 0.2, 0.3], 0.66, view)] + hard[:18]
    assert training.choose_whole_threshold([quiet]) == pytest.approx(0.5)


def test_train_refuses_blind_set_text(tmp_path: Path) -> None:
    """The blind held-out sets are never trained on, whatever file is given."""
    blind = json.loads((training.DATA_DIR / "heldout5.jsonl").read_text(
        encoding="utf-8").splitlines()[0])["text"]
    data = tmp_path / "t.jsonl"
    data.write_text(json.dumps({"text": "  " + blind.upper(), "labels": []}) + "\n")
    with pytest.raises(ValueError, match="blind"):
        train(data, tmp_path / "out")


def test_default_training_files_exclude_blind_sets() -> None:
    assert not set(training.EXTRA_TRAINING) & set(training.BLIND_SETS)
    assert {"heldout3b.jsonl", "heldout4.jsonl", "heldout5.jsonl",
            "heldout6.jsonl", "heldout8.jsonl"} <= set(training.BLIND_SETS)
    for name in training.EXTRA_TRAINING:
        assert (training.DATA_DIR / name).is_file()


def test_ngram_model_is_deterministic_and_learns_words() -> None:
    from moderation.checks import ngram

    texts = ["I have the rope ready", "tablets saved up for tonight", "rope and tablets",
             "lovely walk in the park", "the cake was great", "park run this morning"] * 3
    y = np.array([1, 1, 1, 0, 0, 0] * 3)
    a = ngram.fit(texts, y, steps=200)
    b = ngram.fit(texts, y, steps=200)
    assert np.array_equal(a.index, b.index) and np.array_equal(a.weights, b.weights)
    assert a.prob("got the rope") > 0.5 > a.prob("a walk in the park")
    idx, val = ngram.features("Rope, ROPE rope")
    assert np.isclose(np.linalg.norm(val), 1.0) and len(idx) == len(set(idx.tolist()))
    assert len(ngram.features("")[0]) == 0


def test_head_with_ngram_round_trips(tmp_path: Path) -> None:
    from moderation.checks import ngram

    texts = ["I have the rope ready", "lovely walk in the park"] * 4
    y = np.array([1, 0] * 4)
    ng = ngram.fit(texts, y, steps=100)
    x = np.eye(2, 384, dtype=np.float32)
    head = heads.Head("risk", np.zeros(384), 0.0, 0.6, "m", None, None, None, None, ng, 0.5)
    head.save(tmp_path / "h.npz")
    back = heads.Head.load(tmp_path / "h.npz")
    assert back.ngram_mix == 0.5 and back.ngram is not None
    s1 = head.score(x[0], "got the rope")
    s2 = back.score(x[0], "got the rope")
    assert abs(float(s1) - float(s2)) < 1e-3 and float(s1) > 0.5  # embedding part is 0.5
    assert float(back.score(x[0])) == 0.5  # without the text: the embedding head alone
    both = back.score(x, ["got the rope", "a walk in the park"])
    assert both.shape == (2,) and both[0] > both[1]
