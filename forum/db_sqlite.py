"""SQLite's locking, made safe for several threads writing to one file (embedded mode).

SQLite lets one connection write at a time. With its default deferred transactions a
request that has read (holding a shared lock, or in WAL mode a snapshot) and then writes
must *upgrade*; if another connection wrote in between, SQLite refuses at once with
"database is locked" instead of waiting, because waiting could deadlock. In embedded mode
the web threads and the in-process scheduler all write to one file, so a facilitator's
"Hide the post" could fail with "The service is busy" whenever a job ticked at that moment.

Two measures remove that:

- A file database runs in WAL mode: readers never block the writer, nor the writer them.
- Every write runs in a transaction begun ``BEGIN IMMEDIATE``, which takes the write lock
  first and waits for it (the busy timeout) instead of upgrading later. :func:`writing`
  marks a block as writing; :func:`forum.db.rolls_back_on_error` wraps every action in it,
  and the few writers outside actions (session and token bookkeeping, outbox claims) use
  it directly. Entering it ends the session's read-only transaction first, so the writes
  start from a fresh snapshot; leaving it ends a transaction that only read, so the write
  lock is never held while a page renders.

PostgreSQL needs none of this; there :func:`writing` does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

# How long a writer waits for another's lock before "database is locked" (pysqlite's own
# default is 5 s; a loaded CI machine running the browser tests needs more headroom).
BUSY_TIMEOUT_SECONDS = 20.0

_write_intent: ContextVar[bool] = ContextVar("sqlite_write_intent", default=False)
_CHANGES_AT_BEGIN = "sqlite_total_changes_at_begin"


def connect_args(in_memory: bool) -> dict[str, Any]:
    """Arguments for ``sqlite3.connect``: usable from any thread, a generous busy wait."""
    args: dict[str, Any] = {"check_same_thread": False}
    if not in_memory:
        args["timeout"] = BUSY_TIMEOUT_SECONDS
    return args


def configure(engine: Engine, *, in_memory: bool) -> None:
    """Take over pysqlite's transaction handling (it breaks SAVEPOINT and defers BEGIN;
    SQLAlchemy's documented recipe), turn on foreign keys and, for a file, WAL."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        if not in_memory:
            cursor.execute("PRAGMA journal_mode=WAL")
            # Safe in WAL mode (a power cut may lose the last commits, never corrupt).
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
        conn.info[_CHANGES_AT_BEGIN] = conn.connection.dbapi_connection.total_changes


def _is_sqlite(session: Session) -> bool:
    try:
        return session.get_bind().dialect.name == "sqlite"
    except Exception:  # noqa: BLE001 - an unbound session: nothing to arrange
        return False


def _has_written(session: Session) -> bool:
    """Whether the session's open transaction holds changes, flushed or not."""
    if session.new or session.dirty or session.deleted:
        return True
    connection = session.connection()
    changes_at_begin = connection.info.get(_CHANGES_AT_BEGIN)
    current = connection.connection.dbapi_connection.total_changes  # type: ignore[union-attr]
    return changes_at_begin is None or current != changes_at_begin


@contextmanager
def write_intent() -> Iterator[None]:
    """Transactions begun in the block begin ``IMMEDIATE`` (the test suite's outer
    transaction: it writes, so it takes the write lock before its first read)."""
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


@contextmanager
def writing(session: Session) -> Iterator[None]:
    """Run the block's transactions on ``session`` as writers (see the module docstring).
    Nested uses and other databases pass straight through."""
    if _write_intent.get() or not _is_sqlite(session):
        yield
        return
    if session.in_transaction() and not _has_written(session):
        # Ends a read-only transaction (nothing to write; loaded objects stay loaded,
        # the sessions do not expire on commit) so the next one can begin IMMEDIATE.
        session.commit()
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)
    if session.in_transaction() and not _has_written(session):
        # Reads after the block's commit began an IMMEDIATE transaction: release the write
        # lock now rather than hold it while the caller renders its page.
        session.commit()
