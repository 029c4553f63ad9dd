"""Claiming and closing rows of an outbox table, shared by every outbox (notification email
jobs, account mail). A row is due when unsent, not cancelled and past ``next_attempt_at``.

Two workers never take one row: due rows are claimed with a token by a conditional UPDATE
(after ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL) that re-checks the row is still
free, and a claim is taken over only after ``timeout``. Called by the outboxes' actions,
which own their transactions. :func:`wake_after_commit` asks the in-process scheduler to
send what a transaction queued as soon as it commits.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import Integer, String, event, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from forum.db import UTCDateTime, utcnow
from forum.db_sqlite import writing

Row = TypeVar("Row")


class OutboxColumns:
    """The bookkeeping every outbox table has (mixed into its model): when it is due, how
    often it was tried, a worker's claim, and how it ended."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A worker's claim: other workers leave the row alone until the claim goes stale.
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Nothing left to send, or given up.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The error's kind only: never addresses or content.
    last_error: Mapped[str] = mapped_column(String(200), default="")

_WAKE = "outbox_row_queued"


def wake_after_commit(session: Session) -> None:
    """Once ``session`` commits, run the jobs scheduler's tick now rather than at its next
    interval (embedded mode), so queued mail goes within seconds. A step inside an action."""
    session.info[_WAKE] = True


@event.listens_for(Session, "after_commit")
def _wake_scheduler(session: Session) -> None:
    if not session.info.pop(_WAKE, False):
        return
    app: Flask | None = session.info.get("app")
    if app is not None:
        from forum.notifications.jobs import wake_scheduler

        wake_scheduler(app)


@event.listens_for(Session, "after_soft_rollback")
def _forget_wake(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_WAKE, None)


def claim_due(session: Session, model: Any, *, now: datetime, limit: int,
              timeout: timedelta) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due rows of ``model`` and commit; returns (token, row ids)."""
    token = secrets.token_hex(16)
    with writing(session):
        ids = _mark_claimed(session, model, token, now=now, limit=limit, timeout=timeout)
    # Read outside the writer block: a read there would begin a transaction holding the
    # write lock (on SQLite) while the caller sends its mail.
    claimed = list(session.scalars(select(model.id).where(model.claim_token == token)
                                   .order_by(model.id))) if ids else []
    return token, claimed


def _mark_claimed(session: Session, model: Any, token: str, *, now: datetime, limit: int,
                  timeout: timedelta) -> list[int]:
    free = or_(model.claimed_at.is_(None), model.claimed_at < now - timeout)
    open_ = (model.sent_at.is_(None), model.cancelled_at.is_(None))
    due = (select(model.id).where(*open_, model.next_attempt_at <= now, free)
           .order_by(model.next_attempt_at, model.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    if ids:
        # Re-checked in the UPDATE itself, so a worker that lost a race claims nothing.
        session.execute(update(model).where(model.id.in_(ids), *open_, free)
                        .values(claim_token=token, claimed_at=now)
                        .execution_options(synchronize_session=False))
    session.commit()
    return ids


def claimed_row(session: Session, model: type[Row], row_id: int, token: str) -> Row | None:
    """The row if this worker's claim on it still holds and it is not sent yet."""
    row: Any = session.get(model, row_id, populate_existing=True)
    if row is None or row.claim_token != token or row.sent_at is not None:
        return None
    return row


def record_sent(row: Any, now: datetime) -> None:
    row.sent_at = now
    row.attempts += 1
    row.claim_token = None
    row.last_error = ""


def retry_delay(attempts: int, *, first: timedelta = timedelta(seconds=30),
                most: timedelta = timedelta(hours=1)) -> timedelta:
    """``first``, then twice as long after each further failure, never more than ``most``
    (by default 30 seconds, 1, 2, 4… minutes, at most an hour)."""
    return min(first * 2 ** max(0, attempts - 1), most)


def record_failure(row: Any, error: str) -> None:
    """Count the attempt and free the claim; the caller says when to try again."""
    row.attempts += 1
    row.claim_token = None
    row.claimed_at = None
    row.last_error = error[:200]


def record_cancelled(row: Any, now: datetime) -> None:
    row.cancelled_at = now
    row.claim_token = None
