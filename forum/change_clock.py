"""Knowing cheaply that nothing has changed: a count of committed writes, per app.

Some answers are asked of the database on nearly every request and change only when
something is written (the facts behind a thread page: forum/threads/page_key.py). A process
may keep such an answer and give it again for as long as no write has been committed since
it was read, in this process or in any other. This module keeps that promise:

- **Every write moves the count.** The engine's ``before_cursor_execute`` hook sees every
  statement this app sends; a write moves the count at once, and again after its commit
  (when the connection goes back to the pool, or when a session commits on a connection
  it keeps, as in the tests), so a reader who finds the count unchanged also finds the
  data unchanged. Nothing here lists actions or tables: a new kind of write is counted
  without anyone remembering to.
- **Other processes' writes move it too.** After a commit that wrote, the process
  publishes one short message on Redis, and every other process that hears it moves its
  own count (:class:`forum.change_feed.ChangeFeed`). A process that is not hearing the feed
  (Redis down, or not yet subscribed) keeps nothing.
- **Read the count first.** :meth:`FreshAnswers.mark` is taken *before* the database is
  asked; if a write lands while the answer is on its way, the count has moved and the
  answer is never given again.
- **Every kept answer ages out** after ``FRESH_ANSWER_SECONDS`` (1 s by default), for what
  no hook can see: time itself (a shift starting), a change made by hand in ``psql``, or a
  command-line process in embedded mode, which has no Redis to tell the server.

The cost is one string test per statement sent through SQLAlchemy, and one Redis publish
per committed write in scale mode.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from flask import Flask
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

EXTENSION = "change_clock"
_WROTE = "forum.change_clock.wrote"
# Statements that change nothing a page shows (a row lock, a sequence, transaction control).
_READ_ONLY = ("SELECT", "PRAGMA", "SHOW", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN",
              "COMMIT", "EXPLAIN", "SET ", "VALUES")
_WRITE_WORD = re.compile(r"\b(INSERT|UPDATE|DELETE|MERGE|TRUNCATE)\b", re.IGNORECASE)
_MISSING: Any = object()


def is_write(statement: str) -> bool:
    """Whether a SQL statement may change data (when unsure: yes)."""
    head = statement.lstrip(" \t\r\n(").upper()
    if head.startswith("WITH"):
        return _WRITE_WORD.search(statement) is not None
    return not head.startswith(_READ_ONLY)


class ChangeClock:
    """A count that moves whenever data may have changed. ``published`` is called after a
    commit of this process that wrote (the Redis feed tells the other processes)."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()
        self.published: Callable[[], None] | None = None

    @property
    def count(self) -> int:
        return self._count

    def advance(self) -> None:
        with self._lock:
            self._count += 1

    def committed_write(self) -> None:
        self.advance()
        if self.published is not None:
            self.published()


_local = threading.local()  # per thread, or per greenlet under gevent's monkey-patching


def watch_engine(app: Flask, engine: Engine) -> ChangeClock:
    """Count every write ``engine`` sends, for ``app`` (called once, by ``init_db``)."""
    clock = ChangeClock()
    app.extensions[EXTENSION] = clock

    @event.listens_for(engine, "before_cursor_execute")
    def _note_write(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if is_write(statement):
            conn.info[_WROTE] = True
            _local.wrote = clock
            clock.advance()  # visible at once to readers on the same connection (tests)

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(_WROTE, False):
            clock.committed_write()

    return clock


@event.listens_for(Session, "after_commit")
def _session_committed(_session: Session) -> None:
    # A session that keeps its connection (the tests' one shared connection) never checks
    # it in; its commits still move the count after they land.
    clock: ChangeClock | None = getattr(_local, "wrote", None)
    if clock is not None:
        _local.wrote = None
        clock.advance()


def change_clock(app: Flask) -> ChangeClock:
    clock: ChangeClock = app.extensions[EXTENSION]
    return clock


class FreshAnswers:
    """Answers kept while the clock has not moved since they were read, and for at most
    ``seconds``. ``hearing()`` says whether other processes' writes reach the clock (always
    true with one process); while it is false nothing is kept."""

    def __init__(self, clock: ChangeClock, seconds: float, max_entries: int,
                 hearing: Callable[[], bool]) -> None:
        self._clock = clock
        self.seconds = seconds
        self._max_entries = max(1, max_entries)
        self._hearing = hearing
        self._answers: dict[Hashable, tuple[int, float, Any]] = {}
        self._count_kept = clock.count
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.seconds > 0

    def get(self, key: Hashable) -> Any:
        """The kept answer, or :data:`MISSING`."""
        found = self._answers.get(key)
        if found is not None:
            count, kept_at, answer = found
            if (count == self._clock.count and time.monotonic() - kept_at < self.seconds
                    and self._hearing()):
                self.hits += 1
                return answer
            self._answers.pop(key, None)
        self.misses += 1
        return _MISSING

    def get_or_read(self, key: Hashable, read: Callable[[], Any]) -> Any:
        """The kept answer for ``key``, else ``read()``'s, kept when it may be."""
        if not self.enabled:
            return read()
        found = self.get(key)
        if found is not _MISSING:
            return found
        mark = self.mark()
        answer = read()
        self.put(key, mark, answer)
        return answer

    def mark(self) -> tuple[int, float] | None:
        """Taken before the database is asked: hand it to :meth:`put` with the answer."""
        if not self.enabled or not self._hearing():
            return None
        return self._clock.count, time.monotonic()

    def put(self, key: Hashable, mark: tuple[int, float] | None, answer: Any) -> None:
        if mark is None or mark[0] != self._clock.count:
            return  # a write landed while the answer was read: it may already be stale
        if mark[0] != self._count_kept or len(self._answers) >= self._max_entries:
            # Everything kept before the clock moved is stale: it leaves memory now
            # rather than when its key is next asked for (a closed account's row, say).
            self._answers.clear()
            self._count_kept = mark[0]
        self._answers[key] = (mark[0], mark[1], answer)

    def clear(self) -> None:
        self._answers.clear()


MISSING = _MISSING
