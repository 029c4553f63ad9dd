"""Watched words: literal matching, actions, replacement."""

from __future__ import annotations

from moderation.checks import WatchedWordRule, apply_watched_words


def test_whole_word_and_replace() -> None:
    rules = [WatchedWordRule("darn", action="replace", replacement="****", rule_id="r1")]
    res = apply_watched_words("Darn it, darned printer. darn!", rules)
    assert res.text == "**** it, darned printer. ****!"
    assert [f.span for f in res.findings] == [(0, 4), (25, 29)]
    assert res.action == "replace"


def test_phrase_spans_whitespace_and_strongest_action() -> None:
    rules = [WatchedWordRule("buy now", action="hold"),
             WatchedWordRule("crypto", action="block")]
    res = apply_watched_words("Buy   now with crypto", rules)
    assert len(res.findings) == 2
    assert res.action == "block"
    assert res.text == "Buy   now with crypto"


def test_patterns_are_literal_not_regex() -> None:
    rules = [WatchedWordRule("a.b", action="flag", match="substring"),
             WatchedWordRule("(x+)+y", action="flag", match="substring")]
    assert apply_watched_words("axb", rules).findings == []
    res = apply_watched_words("see a.b and (x+)+y", rules)
    assert len(res.findings) == 2


def test_empty_and_unknown_rules_ignored() -> None:
    rules = [WatchedWordRule("   ", action="flag"),
             WatchedWordRule("hi", action="explode")]  # type: ignore[arg-type]
    res = apply_watched_words("hi there", rules)
    assert res.findings == [] and res.action is None and res.text == "hi there"
