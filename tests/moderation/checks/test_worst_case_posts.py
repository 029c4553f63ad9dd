"""The worst posts we know of for the checks' patterns still get sensible answers.

A pattern that rescanned the rest of the post from every word (an unbounded run before a
part that then fails) took 12 seconds of CPU for one 20,000-character post of "a.a.a.…",
and the risk rules 14 seconds for one risky sentence repeated, with the GIL held: the
whole embedded server stood still.

How long they take is measured by the benchmark, never here (tests do not assert on time):
``python -m bench --only checks`` reports each of these posts (``bench.checks.worst_posts``)
as a multiple of a typical post and of ordinary text of the same length. Nor is the work
counted here: the blow-ups were backtracking inside a single regular-expression call,
which Python's ``re`` does not let a test count, so a count of calls or of characters
handed to them would stay linear through exactly the regression it is meant to catch.
"""

from __future__ import annotations

import pytest

from bench.checks import LONGEST_POST, NEAR_LINK_UNITS, RISK_SENTENCES
from moderation.checks.engine import _mask_urls
from moderation.checks.pii import scan_pii
from moderation.checks.risk_rules import scan_risk
from moderation.checks.spam import scan_spam
from moderation.checks.text import normalise
from moderation.checks.types import AuthorMeta

NEW = AuthorMeta(account_age_days=1, post_count=0)


def _spans_inside(findings, length: int) -> bool:  # type: ignore[no-untyped-def]
    return all(f.span is None or 0 <= f.span[0] <= f.span[1] <= length for f in findings)


@pytest.mark.parametrize("unit", NEAR_LINK_UNITS)
def test_a_longest_post_of_near_links_gets_sensible_answers(unit: str) -> None:
    text = unit * (LONGEST_POST // len(unit))
    pii = scan_pii(text)
    spam = scan_spam(text, NEW)
    assert _spans_inside(pii, len(text)) and _spans_inside(spam, len(text))
    # Nothing in these posts is an address anyone could write to.
    if "@" not in unit and " at " not in unit and "(at)" not in unit:
        assert not [f for f in pii if f.kind == "email"]
    masked = _mask_urls(text)
    assert len(masked) == len(text)  # links are blanked in place, never moved


def test_bounded_runs_still_find_long_addresses_and_links() -> None:
    long_local = "x" * 80 + "@example.org"
    assert any(f.kind == "email" for f in scan_pii(f"write to {long_local} please"))
    for host in (".".join(["a"] * 14), "b" * 70):
        found = [f.rule for f in scan_spam(f"see {host}.com/deal", NEW)]
        assert "spam.new_account_link" in found, host


# A risky sentence again and again, with and without full stops: the rules look at the
# sentence (and the words before) of every match, once scanning from the post's start.
@pytest.mark.parametrize("sentence", RISK_SENTENCES)
def test_a_longest_post_of_repeated_risk_is_still_found(sentence: str) -> None:
    text = normalise(sentence * (LONGEST_POST // len(sentence)))
    scan = scan_risk(text)
    assert scan.findings or scan.cues
    assert _spans_inside(scan.findings, len(text))
    if "asked me if" not in sentence:  # said outright, not a question someone asked
        assert any(f.rule == "risk.suicidal" for f in scan.findings)
