"""The checks' patterns take time in proportion to a post, whatever it holds.

A pattern that rescans the rest of the post from every word (an unbounded run before a
part that then fails) took 12 seconds of CPU for one 20,000-character post of "a.a.a.…",
with the GIL held: the whole embedded server stood still. Speed is otherwise measured by
``make bench``; this is a guard against that blow-up, in this thread's CPU time (not the
clock, which the machine's other work moves) with a margin of about fifty times.
"""

from __future__ import annotations

import time

import pytest

from moderation.checks.engine import _mask_urls
from moderation.checks.pii import scan_pii
from moderation.checks.spam import scan_spam
from moderation.checks.types import AuthorMeta

LONGEST_POST = 20_000
NEW = AuthorMeta(account_age_days=1, post_count=0)
# Runs of the characters links and addresses are made of, with nothing that completes one.
UNITS = ["a.", "a-", "1-", "+1", "www.", "a@", "a at a dot ", "x.y", "a_b."]


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
