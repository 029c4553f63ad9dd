"""The checks' patterns take time in proportion to a post, whatever it holds.

A pattern that rescans the rest of the post from every word (an unbounded run before a
part that then fails) took 12 seconds of CPU for one 20,000-character post of "a.a.a.…",
and the risk rules 14 seconds for one risky sentence repeated, with the GIL held: the
whole embedded server stood still. Speed is otherwise measured by
``make bench``; this is a guard against that blow-up, in this thread's CPU time (not the
clock, which the machine's other work moves) with a margin of about fifty times.
"""

from __future__ import annotations

import time

import pytest

from moderation.checks.engine import _mask_urls
from moderation.checks.pii import scan_pii
from moderation.checks.risk_rules import scan_risk
from moderation.checks.spam import scan_spam
from moderation.checks.text import normalise
from moderation.checks.types import AuthorMeta

LONGEST_POST = 20_000
NEW = AuthorMeta(account_age_days=1, post_count=0)
# Runs of the characters links and addresses are made of, with nothing that completes one.
UNITS = ["a.", "a-", "1-", "+1", "www.", "a@", "a at a dot ", "x.y", "a_b.", "a(at)b.", "a dot ",
         # round 9: spaced-out emails, O for zero, numbers over lines, defanged links
         "a ", "a @ a . ", "o1o ", "1\n", "a[.]", "snap is a_"]


@pytest.mark.parametrize("unit", UNITS)
def test_a_longest_post_of_near_links_is_scanned_in_linear_time(unit: str) -> None:
    text = unit * (LONGEST_POST // len(unit))
    started = time.thread_time()
    scan_pii(text)
    scan_spam(text, NEW)
    _mask_urls(text)
    assert time.thread_time() - started < 1.0


def test_bounded_runs_still_find_long_addresses_and_links() -> None:
    long_local = "x" * 80 + "@example.org"
    assert any(f.kind == "email" for f in scan_pii(f"write to {long_local} please"))
    for host in (".".join(["a"] * 14), "b" * 70):
        found = [f.rule for f in scan_spam(f"see {host}.com/deal", NEW)]
        assert "spam.new_account_link" in found, host


# A risky sentence again and again, with and without full stops: the rules look at the
# sentence (and the words before) of every match, once scanning from the post's start.
@pytest.mark.parametrize(
    "sentence",
    ["i want to die and i took pills ", "I want to die. ", "she asked me if i want to die "],
)
def test_a_longest_post_of_repeated_risk_is_scanned_in_linear_time(sentence: str) -> None:
    text = normalise(sentence * (LONGEST_POST // len(sentence)))
    started = time.thread_time()
    scan = scan_risk(text)
    assert time.thread_time() - started < 1.5
    assert scan.findings or scan.cues
