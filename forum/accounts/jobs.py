"""The account-mail job: registered with :mod:`forum.jobs`, so it runs on every tick of
the jobs scheduler (:func:`forum.notifications.jobs.run_tick`: the in-process scheduler in
embedded mode, ``forum jobs run`` at scale).

An adapter: it claims due rows of the outbox (:mod:`forum.accounts.outbox`), writes each
mail, talks to the SMTP server and records the outcome through the outbox actions, which
commit. It also deletes sign-ups whose link has run out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import Flask

from forum.accounts.models import AccountEmail
from forum.accounts.outbox import (
    compose_account_email,
    do_cancel_account_email,
    do_claim_account_emails,
    do_forget_expired_registrations,
    do_mark_account_email_failed,
    do_mark_account_email_sent,
)
from forum.db import job_session, utcnow


@dataclass
class AccountMailRun:
    sent: int = 0
    failed: int = 0
    cancelled: int = 0
    expired_registrations: int = 0


def send_account_emails(app: Flask, now: datetime | None = None, *,
                        limit: int = 100) -> AccountMailRun:
    """Send every due account email once; forget expired sign-ups. ``now`` is the clock
    (tests pass their own)."""
    from forum.mail import send_mail

    now = now or utcnow()
    run = AccountMailRun()
    with app.app_context(), job_session(app) as session:
        token, row_ids = do_claim_account_emails(session, now=now, limit=limit)
        for row_id in row_ids:
            row = session.get(AccountEmail, row_id, populate_existing=True)
            mail = compose_account_email(session, row) if row is not None else None
            if mail is None:
                do_cancel_account_email(session, row_id=row_id, token=token, now=now)
                run.cancelled += 1
                continue
            # send_mail logs the failure's kind (never the address) and returns False.
            if not send_mail(app, mail.to, mail.subject, mail.text, mail.html, mail.headers,
                             user_id=mail.user_id, kind=mail.kind, dev_note=mail.dev_note):
                do_mark_account_email_failed(session, row_id=row_id, token=token, now=now,
                                             error="SMTP send failed")
                run.failed += 1
                continue
            do_mark_account_email_sent(session, row_id=row_id, token=token, now=now,
                                       mail_kind=mail.kind)
            run.sent += 1
        run.expired_registrations = do_forget_expired_registrations(session, now=now)
    return run
