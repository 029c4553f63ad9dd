"""The email outbox's bookkeeping: planning jobs, claiming them, recording the outcome.

Called only by :func:`forum.notifications.jobs.send_due_emails` (system actions: no
member is the actor, nothing is audited, no events). Each step commits on its own so that
a send is recorded the moment it happens: plan → commit; claim → commit; for each job,
send → mark sent (or failed, with a later retry) → commit.

Two workers never send one job: a job is claimed with a token by a conditional UPDATE
(after ``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL), and a claim is taken over only
after ``CLAIM_TIMEOUT``. Two planners never make two emails for one notification or two
summaries for one member and period: ``(user_id, period_key)`` is unique, and inserts
that collide are skipped (``ON CONFLICT DO NOTHING``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from forum.db import rolls_back_on_error
from forum.notifications.models import (
    EmailFrequency,
    EmailJob,
    EmailJobKind,
    Notification,
    NotificationPreference,
)
from forum.notifications.queries import frequencies
from forum.outbox import claim_due, claimed_row, record_cancelled, record_failure, record_sent

CLAIM_TIMEOUT = timedelta(minutes=10)
# At-once email is for what is happening now: a backlog from before the member chose it
# is left to the notification page.
IMMEDIATE_WINDOW = timedelta(days=1)
MAX_BACKOFF = timedelta(hours=6)


def digest_boundary(frequency: EmailFrequency, now: datetime, hour: int) -> datetime:
    """The latest summary time at or before ``now``: daily at ``hour`` UTC, weekly on
    Mondays at ``hour`` UTC. A summary covers what came before its boundary."""
    today = now.replace(hour=hour, minute=0, second=0, microsecond=0)
    if frequency == EmailFrequency.WEEKLY:
        boundary = today - timedelta(days=now.weekday())
        return boundary if now >= boundary else boundary - timedelta(days=7)
    return today if now >= today else today - timedelta(days=1)


def period_key(frequency: EmailFrequency, boundary: datetime) -> str:
    return f"{frequency.value}:{boundary.date().isoformat()}"


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8… minutes after each failure, at most six hours: retried, never dropped."""
    return min(timedelta(minutes=2 ** max(0, attempts - 1)), MAX_BACKOFF)


def _insert_job(session: Session, values: dict[str, Any]) -> int | None:
    """Insert a job unless one with the same member and period exists; its id or None."""
    from sqlalchemy.dialects import postgresql, sqlite

    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    stmt = (insert(EmailJob).values(**values)
            .on_conflict_do_nothing(index_elements=["user_id", "period_key"])
            .returning(EmailJob.id))
    job_id: int | None = session.scalar(stmt)
    return job_id


def _attach(session: Session, job_id: int, *conditions: Any) -> int:
    result = session.execute(
        update(Notification)
        .where(Notification.email_job_id.is_(None), Notification.read_at.is_(None), *conditions)
        .values(email_job_id=job_id).execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)


def _plan_immediate(session: Session, now: datetime) -> int:
    rows = session.execute(
        select(Notification.id, Notification.user_id)
        .join(NotificationPreference, NotificationPreference.user_id == Notification.user_id)
        .where(NotificationPreference.email_frequency == EmailFrequency.IMMEDIATE,
               Notification.email_job_id.is_(None), Notification.read_at.is_(None),
               Notification.created_at >= now - IMMEDIATE_WINDOW,
               Notification.created_at <= now)
        .order_by(Notification.id)).all()
    planned = 0
    for notification_id, user_id in rows:
        job_id = _insert_job(session, {
            "user_id": user_id, "kind": EmailJobKind.IMMEDIATE,
            "period_key": f"n:{notification_id}", "created_at": now, "next_attempt_at": now,
            "attempts": 0, "last_error": ""})
        if job_id is not None and _attach(session, job_id, Notification.id == notification_id):
            planned += 1
    return planned


def _plan_digests(session: Session, now: datetime, hour: int) -> int:
    latest = digest_boundary(EmailFrequency.DAILY, now, hour)
    # Oldest waiting notification per member: who might be due a summary.
    oldest = dict(session.execute(
        select(Notification.user_id, func.min(Notification.created_at))
        .where(Notification.email_job_id.is_(None), Notification.read_at.is_(None),
               Notification.created_at < latest)
        .group_by(Notification.user_id)).all())
    planned = 0
    for user_id, frequency in frequencies(session, oldest).items():
        if frequency not in (EmailFrequency.DAILY, EmailFrequency.WEEKLY):
            continue
        boundary = digest_boundary(frequency, now, hour)
        if oldest[user_id] >= boundary:
            continue
        job_id = _insert_job(session, {
            "user_id": user_id, "kind": EmailJobKind.DIGEST,
            "period_key": period_key(frequency, boundary), "created_at": now,
            "next_attempt_at": now, "attempts": 0, "last_error": ""})
        if job_id is None:
            continue  # this period's summary exists; the rest waits for the next one
        _attach(session, job_id, Notification.user_id == user_id,
                Notification.created_at < boundary)
        planned += 1
    return planned


@rolls_back_on_error
def do_plan_emails(session: Session, *, now: datetime, digest_hour: int) -> int:
    """Turn waiting notifications into email jobs: one per notification for members who
    chose "at once", one summary per member and period for daily and weekly. Returns how
    many jobs were made."""
    planned = _plan_immediate(session, now) + _plan_digests(session, now, digest_hour)
    session.commit()
    return planned


@rolls_back_on_error
def do_claim_email_jobs(session: Session, *, now: datetime, limit: int = 50
                        ) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due jobs for this worker; returns (claim token, job ids)."""
    return claim_due(session, EmailJob, now=now, limit=limit, timeout=CLAIM_TIMEOUT)


@rolls_back_on_error
def do_mark_email_sent(session: Session, *, job_id: int, token: str, now: datetime,
                       notification_ids: list[int]) -> bool:
    """Record a successful send, straight after the SMTP server accepted it."""
    job = claimed_row(session, EmailJob, job_id, token)
    if job is None:
        return False
    record_sent(job, now)
    if notification_ids:
        session.execute(update(Notification).where(Notification.id.in_(notification_ids))
                        .values(emailed_at=now).execution_options(synchronize_session=False))
    session.commit()
    return True


@rolls_back_on_error
def do_mark_email_failed(session: Session, *, job_id: int, token: str, now: datetime,
                         error: str) -> bool:
    """Record a failed send and when to try again (the job is kept, never dropped)."""
    job = claimed_row(session, EmailJob, job_id, token)
    if job is None:
        return False
    record_failure(job, error)
    job.next_attempt_at = now + retry_delay(job.attempts)
    session.commit()
    return True


@rolls_back_on_error
def do_cancel_email_job(session: Session, *, job_id: int, token: str, now: datetime) -> bool:
    """Nothing left to say (all read, "never", account closed): close the job unsent."""
    job = claimed_row(session, EmailJob, job_id, token)
    if job is None:
        return False
    record_cancelled(job, now)
    session.commit()
    return True
