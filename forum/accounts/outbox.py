"""The account-mail outbox: sign-up links, notes to owners of an address someone tried to
register or move an account to, password-reset links, links that change an email address,
notices to a replaced address and welcome mail, sent by the background job and never while
a request waits.

Why: a page that sends mail inline answers later when the address has an account (an SMTP
conversation) than when it does not, and that difference says who uses the service. So the
request only adds one :class:`AccountEmail` row whatever the answer
(:func:`queue_account_email`), and :func:`forum.accounts.jobs.send_account_emails` writes
and sends the mail on the next tick of the jobs scheduler (in embedded mode the tick is
woken as soon as the row is committed, so mail still goes within seconds).

A row holds no address and no link: :func:`compose_account_email` writes the mail at send
time from the account, pending registration or pending email change it points to, signing
a fresh link then.

The bookkeeping actions (claim, mark sent or failed, cancel, forget expired sign-ups) are
system actions called only by the job: each commits on its own so a send is recorded the
moment it happens, like :mod:`forum.notifications.actions_email`. Marking a reset link
sent audits ``user:request_password_reset``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.orm import Session

from forum.accounts import emails
from forum.accounts.models import (
    AccountEmail,
    AccountEmailKind,
    PendingEmailChange,
    PendingRegistration,
    User,
    UserStatus,
)
from forum.audit.models import AuditAction, record
from forum.db import rolls_back_on_error, utcnow
from forum.mail import Mail
from forum.outbox import (
    claim_due,
    claimed_row,
    record_cancelled,
    record_failure,
    record_sent,
    retry_delay,
    wake_after_commit,
)

log = logging.getLogger(__name__)

CLAIM_TIMEOUT = timedelta(minutes=10)
# A sign-up or reset link is only useful for a while: after this many failed tries the
# mail is given up (the person can simply ask again).
MAX_ATTEMPTS = 8


def queue_account_email(session: Session, kind: AccountEmailKind, *,
                        user_id: int | None = None, registration_id: int | None = None,
                        email_change_id: int | None = None) -> AccountEmail:
    """Add one outbox row in the caller's transaction (a step inside an action; does not
    commit). ``user_id`` may be None on purpose: the job then sends nothing."""
    now = utcnow()
    row = AccountEmail(kind=kind, user_id=user_id, registration_id=registration_id,
                       email_change_id=email_change_id, created_at=now, next_attempt_at=now,
                       attempts=0, last_error="")
    session.add(row)
    wake_after_commit(session)
    return row


# ---- writing the mail (read-only) ------------------------------------------------------

def _active(session: Session, user_id: int | None) -> User | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.status == UserStatus.ACTIVE else None


def compose_account_email(session: Session, row: AccountEmail) -> Mail | None:
    """The mail for ``row``, or None when there is nothing to send (no account for a reset
    request, a sign-up or email change already finished or expired, an account closed
    since).

    For a sign-up, an address that has an account by now gets the note to its owner; a new
    one gets a freshly signed link. Reads only (signing a link writes nothing)."""
    from forum.accounts.email_change import email_change_mail
    from forum.accounts.registration import registration_link
    from forum.accounts.reset import reset_link

    config = current_app.config
    if row.kind == AccountEmailKind.PASSWORD_RESET:
        user = _active(session, row.user_id)
        if user is None:
            return None
        return emails.password_reset(user, reset_link(user),
                                     int(config["PASSWORD_RESET_MAX_AGE"]))
    if row.kind == AccountEmailKind.WELCOME:
        user = _active(session, row.user_id)
        return emails.welcome(user) if user is not None else None
    if row.kind == AccountEmailKind.REGISTRATION:
        pending = (session.get(PendingRegistration, row.registration_id)
                   if row.registration_id is not None else None)
        if pending is None:
            return None
        owner = session.scalar(select(User).where(User.email_key == pending.email_key))
        if owner is not None:
            return emails.registration_attempt(owner)
        return emails.registration_confirm(pending, registration_link(pending),
                                           int(config["REGISTRATION_LINK_MAX_AGE"]))
    if row.kind in (AccountEmailKind.EMAIL_CHANGE, AccountEmailKind.EMAIL_CHANGED):
        return email_change_mail(session, row)
    return None


# ---- bookkeeping (system actions, called by the job) -----------------------------------

@rolls_back_on_error
def do_claim_account_emails(session: Session, *, now: datetime, limit: int = 50
                            ) -> tuple[str, list[int]]:
    """Claim up to ``limit`` due rows for this worker; returns (claim token, row ids)."""
    return claim_due(session, AccountEmail, now=now, limit=limit, timeout=CLAIM_TIMEOUT)


@rolls_back_on_error
def do_mark_account_email_sent(session: Session, *, row_id: int, token: str, now: datetime,
                               mail_kind: str) -> bool:
    """Record a send straight after the SMTP server took it. A reset link audits
    ``user:request_password_reset`` (no actor: whoever asked is not known). A note to the
    owner of an address that was already registered ends that sign-up: its name and
    password hash are deleted at once. Likewise a note to the owner of an address someone
    asked to move their account to ends that request, and the notice to a replaced address
    ends the change's record (and so the old address is forgotten)."""
    row = claimed_row(session, AccountEmail, row_id, token)
    if row is None:
        return False
    record_sent(row, now)
    if row.kind == AccountEmailKind.PASSWORD_RESET:
        record(session, actor_id=None, action=AuditAction.USER_REQUEST_PASSWORD_RESET,
               subject_type="user", subject_id=row.user_id)
    if mail_kind == "registration_attempt" and row.registration_id is not None:
        session.execute(delete(PendingRegistration).where(
            PendingRegistration.id == row.registration_id),
            execution_options={"synchronize_session": False})
        row.registration_id = None
    if row.email_change_id is not None and (
            mail_kind == "email_change_attempt" or row.kind == AccountEmailKind.EMAIL_CHANGED):
        forget_email_change(session, row.email_change_id)
        row.email_change_id = None
    session.commit()
    return True


@rolls_back_on_error
def do_mark_account_email_failed(session: Session, *, row_id: int, token: str,
                                 now: datetime, error: str) -> bool:
    """Record a failed send and when to try again; after ``MAX_ATTEMPTS`` the row is
    closed instead (the link in it would be close to expiring anyway)."""
    row = claimed_row(session, AccountEmail, row_id, token)
    if row is None:
        return False
    record_failure(row, error)
    if row.attempts >= MAX_ATTEMPTS:
        row.cancelled_at = now
    else:
        row.next_attempt_at = now + retry_delay(row.attempts)
    session.commit()
    return True


@rolls_back_on_error
def do_cancel_account_email(session: Session, *, row_id: int, token: str,
                            now: datetime) -> bool:
    """Nothing to send (no account, sign-up finished or expired): close the row unsent."""
    row = claimed_row(session, AccountEmail, row_id, token)
    if row is None:
        return False
    record_cancelled(row, now)
    session.commit()
    return True


@rolls_back_on_error
def do_forget_expired_registrations(session: Session, *, now: datetime) -> int:
    """Delete sign-ups whose link has run out (``REGISTRATION_LINK_MAX_AGE``): a name, an
    address and a password hash of someone who never finished joining. Returns how many."""
    max_age = int(current_app.config["REGISTRATION_LINK_MAX_AGE"])
    result = session.execute(delete(PendingRegistration).where(
        PendingRegistration.created_at < now - timedelta(seconds=max_age)),
        execution_options={"synchronize_session": False})
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def forget_email_change(session: Session, pending_id: int) -> None:
    """Delete one pending email change (a step: once its last mail has gone). Does not
    commit."""
    session.execute(delete(PendingEmailChange).where(PendingEmailChange.id == pending_id),
                    execution_options={"synchronize_session": False})


@rolls_back_on_error
def do_forget_expired_email_changes(session: Session, *, now: datetime) -> int:
    """Delete email-change requests whose link has run out (``EMAIL_CHANGE_LINK_MAX_AGE``),
    and changes made that long ago whose notice to the old address never went (the old
    address is not kept for ever). Returns how many."""
    cutoff = now - timedelta(seconds=int(current_app.config["EMAIL_CHANGE_LINK_MAX_AGE"]))
    result = session.execute(delete(PendingEmailChange).where(or_(
        and_(PendingEmailChange.changed_at.is_(None), PendingEmailChange.created_at < cutoff),
        PendingEmailChange.changed_at < cutoff)),
        execution_options={"synchronize_session": False})
    session.commit()
    return int(getattr(result, "rowcount", 0) or 0)


def forget_registrations_for(session: Session, address_key: str) -> None:
    """Every sign-up waiting for ``address_key`` (a step of finishing one: the others'
    links stop working). Does not commit."""
    session.execute(delete(PendingRegistration).where(
        PendingRegistration.email_key == address_key),
        execution_options={"synchronize_session": False})
