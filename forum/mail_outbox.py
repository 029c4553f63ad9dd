"""The outbox for ready-written mail: notices that a password changed or a two-step
sign-in was reset, escalation alerts, training reminders.

:func:`forum.mail.queue_mail` adds an :class:`~forum.mail_models.OutgoingMail` row in the
action's own transaction, so a message exists exactly when the change it tells of was
committed, and no page waits on a mail server. :func:`send_outgoing_mail` is a job on
every tick of the jobs scheduler (woken at once after the commit in embedded mode): it
claims due rows, sends each over SMTP and records the outcome. A failed send is tried
again later (30 s, 1, 2, 4… minutes, at most an hour apart), never lost: an escalation
alert nobody receives is a person at risk nobody answers. Rows are claimed with a token
(:mod:`forum.outbox`), so two processes never send one message twice. Closed rows,
already blanked, are deleted by the retention purge with the other email rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from forum.db import job_session, rolls_back_on_error, utcnow
from forum.mail_models import OutgoingMail
from forum.outbox import (
    claim_due,
    claimed_row,
    record_cancelled,
    record_failure,
    record_sent,
    retry_delay,
)

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)
# About two days of trying at the longest interval; then the row is closed and logged.
MAX_ATTEMPTS = 55


def _blank(row: OutgoingMail) -> None:
    row.to_address = ""
    row.subject = ""
    row.text = ""
    row.html = None
    row.headers = {}


@rolls_back_on_error
def do_claim_outgoing_mail(session: Session, *, now: datetime, limit: int = 100
                           ) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due messages for this worker; returns (claim token, row ids)."""
    return claim_due(session, OutgoingMail, now=now, limit=limit, timeout=CLAIM_TIMEOUT)


@rolls_back_on_error
def do_mark_outgoing_mail_sent(session: Session, *, row_id: int, token: str,
                               now: datetime) -> bool:
    """Record a send the moment the SMTP server took it, and forget what it said."""
    row = claimed_row(session, OutgoingMail, row_id, token)
    if row is None:
        return False
    record_sent(row, now)
    _blank(row)
    session.commit()
    return True


@rolls_back_on_error
def do_mark_outgoing_mail_failed(session: Session, *, row_id: int, token: str,
                                 now: datetime, error: str) -> bool:
    """Record a failed send and when to try again; after ``MAX_ATTEMPTS`` close it."""
    row = claimed_row(session, OutgoingMail, row_id, token)
    if row is None:
        return False
    record_failure(row, error)
    if row.attempts >= MAX_ATTEMPTS:
        log.error("mail (%s) for user id %s given up after %d attempts", row.kind,
                  row.user_id, row.attempts)
        record_cancelled(row, now)
        _blank(row)
    else:
        row.next_attempt_at = now + retry_delay(row.attempts)
    session.commit()
    return True


@dataclass
class OutgoingMailRun:
    sent: int = 0
    failed: int = 0


def send_outgoing_mail(app: Flask, now: datetime | None = None, *,
                       limit: int = 100) -> OutgoingMailRun:
    """The job: send every due message once. ``now`` is the clock (tests pass their own)."""
    from forum.mail import send_mail

    now = now or utcnow()
    run = OutgoingMailRun()
    with app.app_context(), job_session(app) as session:
        token, row_ids = do_claim_outgoing_mail(session, now=now, limit=limit)
        for row_id in row_ids:
            row = claimed_row(session, OutgoingMail, row_id, token)
            if row is None:
                continue
            # send_mail logs the failure's kind (never the address) and returns False.
            if send_mail(app, row.to_address, row.subject, row.text, row.html,
                         dict(row.headers or {}), user_id=row.user_id, kind=row.kind):
                do_mark_outgoing_mail_sent(session, row_id=row_id, token=token, now=now)
                run.sent += 1
            else:
                do_mark_outgoing_mail_failed(session, row_id=row_id, token=token, now=now,
                                             error="SMTP send failed")
                run.failed += 1
    return run
