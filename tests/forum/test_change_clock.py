"""Kept answers and the count of writes that retires them (forum/change_clock.py), and the
Redis feed that carries other processes' writes (forum/change_feed.py), on a real Redis.

That no thread page is ever served stale after any kind of change, with answers kept, is
tests/forum/threads/test_page_cache.py; across two real server processes,
tests/forum/realtime/test_cluster.py.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator

import pytest
import redis
from sqlalchemy import text

from forum.change_clock import MISSING, ChangeClock, FreshAnswers, change_clock, is_write
from forum.change_feed import ChangeFeed

REDIS_URL = os.environ.get("SERVICES_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.mark.parametrize(("statement", "writes"), [
    ("SELECT 1", False),
    ("  select id FROM posts WHERE id = 1 FOR UPDATE", False),
    ("(SELECT 1) UNION (SELECT 2)", False),
    ("SAVEPOINT sa_1", False), ("RELEASE SAVEPOINT sa_1", False), ("PRAGMA foreign_keys=ON", False),
    ("WITH page AS (SELECT id FROM posts) SELECT count(*) FROM page", False),
    ("INSERT INTO posts (body) VALUES ('x')", True),
    ("update users SET username='a'", True),
    ("DELETE FROM reactions WHERE id = 3", True),
    ("WITH gone AS (DELETE FROM posts RETURNING id) SELECT count(*) FROM gone", True),
    ("TRUNCATE posts", True), ("CREATE TABLE x (id int)", True),
    ("VACUUM", True),  # unknown: counted as a write, which only costs a re-read
])
def test_what_counts_as_a_write(statement: str, writes: bool) -> None:
    assert is_write(statement) is writes


def _answers(seconds: float = 60.0, hearing: Callable[[], bool] = lambda: True
             ) -> tuple[ChangeClock, FreshAnswers]:
    clock = ChangeClock()
    return clock, FreshAnswers(clock, seconds, 100, hearing)


def test_an_answer_is_given_again_until_the_clock_moves() -> None:
    clock, answers = _answers()
    answers.put("k", answers.mark(), "first")
    assert answers.get("k") == "first" and answers.get("k") == "first"
    clock.advance()
    assert answers.get("k") is MISSING


def test_answers_from_before_the_clock_moved_leave_memory_with_the_next_one_kept() -> None:
    clock, answers = _answers()
    answers.put("old", answers.mark(), "a closed account's row")
    clock.advance()
    answers.put("new", answers.mark(), "fresh")
    assert "old" not in answers._answers and answers.get("new") == "fresh"  # noqa: SLF001


def test_a_write_landing_while_the_answer_was_read_keeps_it_out() -> None:
    clock, answers = _answers()
    mark = answers.mark()
    clock.advance()  # committed between the mark and the answer coming back
    answers.put("k", mark, "maybe stale")
    assert answers.get("k") is MISSING


def test_answers_age_out_and_none_are_kept_when_turned_off() -> None:
    _clock, answers = _answers(seconds=0.05)
    answers.put("k", answers.mark(), "soon old")
    assert answers.get("k") == "soon old"
    time.sleep(0.06)
    assert answers.get("k") is MISSING
    _clock, off = _answers(seconds=0)
    assert not off.enabled and off.mark() is None


def test_nothing_is_kept_or_given_while_other_processes_cannot_be_heard() -> None:
    hearing = {"now": True}
    _clock, answers = _answers(hearing=lambda: hearing["now"])
    answers.put("k", answers.mark(), "kept")
    hearing["now"] = False
    assert answers.get("k") is MISSING and answers.mark() is None


def test_every_committed_write_through_the_app_moves_its_clock(app, db) -> None:
    clock = change_clock(app)
    db.commit()  # the fixture's own set-up writes are counted here
    before = clock.count
    db.execute(text("SELECT 1"))
    db.commit()
    assert clock.count == before  # a read changes nothing
    db.execute(text("CREATE TEMPORARY TABLE scratch_clock (n int)"))
    db.execute(text("INSERT INTO scratch_clock VALUES (1)"))
    moved = clock.count
    assert moved > before
    db.commit()
    assert clock.count > moved  # again after the commit has landed


# --- the feed between processes, on the machine's real Redis ---------------------------

@pytest.fixture
def channel() -> Iterator[str]:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as exc:
        pytest.fail(f"Redis is not reachable at {REDIS_URL} ({exc}); this test needs it.",
                    pytrace=False)
    yield f"alongside-test-changes-{uuid.uuid4().hex[:10]}"


def _until(condition: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


@pytest.mark.services
def test_a_write_in_one_process_moves_the_clock_of_every_other(channel: str) -> None:
    clocks = [ChangeClock(), ChangeClock()]
    feeds = [ChangeFeed(REDIS_URL, channel, clock) for clock in clocks]
    try:
        assert not feeds[1].is_hearing()  # not before its subscription is confirmed
        for feed in feeds:
            _until(feed.is_hearing, "the subscription")
        before = [clock.count for clock in clocks]
        clocks[0].committed_write()
        _until(lambda: clocks[1].count > before[1], "the other process to hear the write")
        assert clocks[0].count == before[0] + 1  # its own notice is not counted twice
    finally:
        for feed in feeds:
            feed.stop()


@pytest.mark.services
def test_a_process_whose_link_to_redis_breaks_keeps_nothing_until_it_is_back(
        channel: str) -> None:
    from forum.render_cache import FragmentCache

    clock = ChangeClock()
    feed = ChangeFeed(REDIS_URL, channel, clock)
    answers = FreshAnswers(clock, 60.0, 10, feed.is_hearing)
    fragments = FragmentCache[str](1024)
    admin = redis.Redis.from_url(REDIS_URL)
    try:
        _until(feed.is_hearing, "the subscription")
        answers.put("k", answers.mark(), "kept")
        assert answers.get("k") == "kept"
        fragments.put("words", "a member's words")
        # Cut the feed's connection, as a Redis restart or a network fault would.
        listening = [c["id"] for c in admin.client_list() if c["name"] == feed.listener_name]
        assert len(listening) == 1
        admin.client_kill_filter(_id=listening[0])
        _until(lambda: not feed.hearing, "the broken link to be noticed")
        assert answers.get("k") is MISSING and answers.mark() is None
        assert len(fragments) == 1
        _until(feed.is_hearing, "the feed to subscribe again")
        assert answers.get("k") is MISSING  # writes may have been missed meanwhile
        # So may a purge after an account was closed: every cache was emptied.
        assert len(fragments) == 0
    finally:
        feed.stop()


def test_closing_an_account_empties_the_kept_answers_too(app) -> None:
    from forum.change_feed import fresh_answers
    from forum.render_cache import clear_every_cache

    answers = fresh_answers(app, "member-row")
    answers.put(("someone", "session"), answers.mark(), ("their row",))
    assert answers.get(("someone", "session")) == ("their row",)
    clear_every_cache()  # what do_delete_account calls, and every process on hearing it
    assert answers.get(("someone", "session")) is MISSING


def test_get_or_read_asks_again_only_after_a_write() -> None:
    clock, answers = _answers()
    asked: list[int] = []

    def read() -> int:
        asked.append(1)
        return len(asked)

    assert answers.get_or_read("k", read) == 1 and answers.get_or_read("k", read) == 1
    clock.advance()
    assert answers.get_or_read("k", read) == 2 and len(asked) == 2
