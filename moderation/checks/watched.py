"""Watched words: facilitator-maintained words/phrases with an action each.

Patterns are literal text, never regular expressions: they are escaped, so a
facilitator's "c++" or "(at)" is matched as typed and cannot cause catastrophic
backtracking. Matching is case-insensitive; runs of spaces in a phrase match any run
of whitespace. Spans refer to the original text; ``replace`` rules produce the new text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from moderation.checks.text import normalise
from moderation.checks.types import WatchedWordFinding, WatchedWordResult, WatchedWordRule

MAX_PATTERN_CHARS = 200
VALID_ACTIONS = frozenset({"block", "hold", "flag", "replace"})


def compile_rule(rule: WatchedWordRule) -> re.Pattern[str] | None:
    """Compile one rule's literal pattern, or None if it is empty/unusable."""
    words = normalise(rule.pattern).strip().split()
    if not words or len(rule.pattern) > MAX_PATTERN_CHARS:
        return None
    body = r"\s+".join(re.escape(w) for w in words)
    if rule.match == "word":
        body = r"(?<!\w)" + body + r"(?!\w)"
    return re.compile(body, re.IGNORECASE)


def apply_watched_words(text: str, rules: Sequence[WatchedWordRule]) -> WatchedWordResult:
    """Find every watched word in ``text``; apply ``replace`` rules to a copy.

    Earlier rules win where matches overlap. Unknown actions are ignored.
    """
    norm = normalise(text)  # same length as text, so spans stay valid
    hits: list[tuple[int, int, int, WatchedWordRule]] = []
    for order, rule in enumerate(rules):
        if rule.action not in VALID_ACTIONS:
            continue
        pat = compile_rule(rule)
        if pat is None:
            continue
        for m in pat.finditer(norm):
            if m.end() > m.start():
                hits.append((m.start(), order, m.end(), rule))
    hits.sort(key=lambda h: (h[0], h[1]))
    chosen: list[tuple[int, int, WatchedWordRule]] = []
    last_end = -1
    for start, _order, end, rule in sorted(hits, key=lambda h: (h[1], h[0])):
        if any(start < e and s < end for s, e, _ in chosen):
            continue
        chosen.append((start, end, rule))
    chosen.sort(key=lambda c: c[0])
    pieces: list[str] = []
    pos = 0
    for start, end, rule in chosen:
        if rule.action == "replace" and start >= last_end:
            pieces.append(text[pos:start])
            pieces.append(rule.replacement)
            pos = end
            last_end = end
    pieces.append(text[pos:])
    findings = [WatchedWordFinding(r.rule_id, r.pattern, r.action, (s, e)) for s, e, r in chosen]
    return WatchedWordResult("".join(pieces), findings)
