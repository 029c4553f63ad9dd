"""Changing the email address: the settings form, and the link sent to the new address
that makes the change.

The form never says whether the new address already has an account (membership of a
condition board is health data). :func:`do_request_email_change` does the same work for
every address: it checks the password, keeps a :class:`PendingEmailChange` and queues one
account email. Which email that is gets decided later, by the background job
(:func:`email_change_mail`): a link to the new address, or a note to the owner of an
address that already has an account saying someone tried to use it. The form answers
"We've sent a link to the new address" either way.

The link carries a token signed with ``SECRET_KEY`` (itsdangerous, its own salt) holding
the pending change's id and nonce. It works once, stops working after
``EMAIL_CHANGE_LINK_MAX_AGE`` and as soon as all the member's sessions are ended (a
password change or reset, a suspension, a role change, a two-step reset), and opening
it only shows a button, so mail scanners that follow links cannot use it. Pressing the button
(:func:`do_confirm_email_change`) makes the change, audits ``user:change_email`` (no
address in it) and queues a notice to the old address.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.accounts import emails
from forum.accounts.actions import check_current_password, normalise_email
from forum.accounts.models import (
    AccountEmail,
    AccountEmailKind,
    PendingEmailChange,
    User,
    UserStatus,
)
from forum.accounts.outbox import queue_account_email
from forum.accounts.pending_changes import cancel_waiting_email_changes
from forum.accounts.usernames import email_key
from forum.audit.models import AuditAction, record
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Invalid
from forum.mail import Mail
from forum.permissions import Viewer, require_user
from forum.threads.serialize import absolute_url

EMAIL_CHANGE_SALT = "alongside.email-change"
LINK_PROBLEM = ("This link has expired or has already been used. If you still want to "
                "change your email address, you can ask again from your settings.")
ADDRESS_TAKEN = ("This email address is now used by another account, so we cannot use it "
                 "for yours. You can choose a different address in your settings.")
SAME_ADDRESS = "That is already your email address."
_LONGEST_TOKEN = 1000

Clock = Callable[[], float]


def _serializer(clock: Clock | None = None) -> URLSafeTimedSerializer:
    secret = current_app.config["SECRET_KEY"]
    if clock is None:
        return URLSafeTimedSerializer(secret, salt=EMAIL_CHANGE_SALT)
    tick = clock

    class _ClockSigner(TimestampSigner):
        # Lets a test sign a link "a day ago".
        def get_timestamp(self) -> int:
            return int(tick())

    return URLSafeTimedSerializer(secret, salt=EMAIL_CHANGE_SALT, signer=_ClockSigner)


def make_email_change_token(pending: PendingEmailChange, *, clock: Clock | None = None) -> str:
    """A signed token for ``pending`` (``clock`` only in tests)."""
    return str(_serializer(clock).dumps({"c": pending.id, "n": pending.nonce}))


def email_change_link(pending: PendingEmailChange) -> str:
    """The emailed address that makes the change (written by the account-mail job)."""
    return absolute_url("accounts.confirm_email_change", token=make_email_change_token(pending))


def _max_age() -> int:
    return int(current_app.config["EMAIL_CHANGE_LINK_MAX_AGE"])


def check_email_change_token(session: Session, token: str) -> tuple[PendingEmailChange, User]:
    """The waiting change a still-usable token is for, and its account; Invalid (with no
    fields) otherwise. Called by the confirmation page and :func:`do_confirm_email_change`.
    Reads only."""
    if not token or len(token) > _LONGEST_TOKEN:
        raise Invalid(LINK_PROBLEM)
    try:
        data: Any = _serializer().loads(token, max_age=_max_age())
    except BadData:
        raise Invalid(LINK_PROBLEM) from None
    if not isinstance(data, dict):
        raise Invalid(LINK_PROBLEM)
    pending_id, nonce = data.get("c"), data.get("n")
    if not (isinstance(pending_id, int) and isinstance(nonce, str)
            and 0 < pending_id < 2**31 and 0 < len(nonce) <= 64):
        raise Invalid(LINK_PROBLEM)
    pending = session.get(PendingEmailChange, pending_id)
    if pending is None or not hmac.compare_digest(pending.nonce, nonce):
        raise Invalid(LINK_PROBLEM)
    # Counted from when the form was sent, however late the email went.
    if pending.changed_at is not None or pending.created_at < utcnow() - timedelta(
            seconds=_max_age()):
        raise Invalid(LINK_PROBLEM)
    user = session.get(User, pending.user_id)
    if (user is None or user.status != UserStatus.ACTIVE
            or user.session_version != pending.session_version):
        raise Invalid(LINK_PROBLEM)
    return pending, user


@rolls_back_on_error
def do_request_email_change(session: Session, *, actor: Viewer, current_password: str,
                            new_email: str) -> PendingEmailChange:
    """A member asks to use a new address for account mail (settings page). Checks their
    password, keeps the request and queues one account email, the same for every address:
    nothing changes, and nothing is audited, until the link sent to the new address is
    used. Raises Invalid for a wrong password, an address that is not one, or the
    member's own address (never for an address someone else has)."""
    user = require_user(actor)
    check_current_password(user, current_password)
    try:
        email = normalise_email((new_email or "")[:254])
    except Invalid as exc:
        raise Invalid(fields={"email": exc.fields["email"]}) from None
    if email_key(email) == user.email_key:
        raise Invalid(fields={"email": SAME_ADDRESS})
    cancel_waiting_email_changes(session, user.id)
    pending = PendingEmailChange(user_id=user.id, email=email, email_key=email_key(email),
                                 nonce=secrets.token_urlsafe(24),
                                 session_version=user.session_version, created_at=utcnow())
    session.add(pending)
    session.flush()
    queue_account_email(session, AccountEmailKind.EMAIL_CHANGE, user_id=user.id,
                        email_change_id=pending.id)
    session.commit()
    return pending


@rolls_back_on_error
def do_confirm_email_change(session: Session, *, token: str) -> User:
    """Make the change from the emailed link (the confirmation page's button): the account
    mail goes to the new address from now on. Audits ``user:change_email`` (no address in
    it) with the account's owner as the actor, since only they could ask for the link, and
    queues a notice to the old address. The link works once. Raises Invalid with no fields
    (the link's problem, or the address having been taken since)."""
    pending, user = check_email_change_token(session, token)
    owner = session.scalar(select(User.id).where(User.email_key == pending.email_key))
    if owner is not None:
        # Only the owner of the new address has the link: saying so reveals nothing.
        raise Invalid(ADDRESS_TAKEN)
    now = utcnow()
    # Claimed with a conditional update, so two presses at once change it once.
    claimed = session.execute(
        update(PendingEmailChange).where(PendingEmailChange.id == pending.id,
                                         PendingEmailChange.changed_at.is_(None))
        .values(changed_at=now, old_email=user.email),
        execution_options={"synchronize_session": False})
    if int(getattr(claimed, "rowcount", 0) or 0) != 1:
        session.rollback()
        raise Invalid(LINK_PROBLEM)
    user.email = pending.email
    user.email_key = pending.email_key
    cancel_waiting_email_changes(session, user.id)
    record(session, actor_id=user.id, action=AuditAction.USER_CHANGE_EMAIL,
           subject_type="user", subject_id=user.id)
    queue_account_email(session, AccountEmailKind.EMAIL_CHANGED, user_id=user.id,
                        email_change_id=pending.id)
    try:
        session.commit()
    except IntegrityError:
        # Someone took the address at the same moment: the unique index lets one through.
        session.rollback()
        raise Invalid(ADDRESS_TAKEN) from None
    return user


# ---- for the account-mail job ----------------------------------------------------------

def email_change_mail(session: Session, row: AccountEmail) -> Mail | None:
    """The mail for an ``EMAIL_CHANGE`` or ``EMAIL_CHANGED`` outbox row, or None when there
    is nothing to send (the request was replaced, used or expired; the account closed).

    A new address that has an account by now gets a note to its owner; a free one gets a
    freshly signed link. Reads only."""
    pending = (session.get(PendingEmailChange, row.email_change_id)
               if row.email_change_id is not None else None)
    user = session.get(User, row.user_id) if row.user_id is not None else None
    if pending is None or user is None or user.status != UserStatus.ACTIVE:
        return None
    if row.kind == AccountEmailKind.EMAIL_CHANGED:
        if pending.changed_at is None or not pending.old_email:
            return None
        return emails.email_changed_old(user, pending.old_email)
    if pending.changed_at is not None:
        return None
    owner = session.scalar(select(User).where(User.email_key == pending.email_key))
    if owner is not None:
        return emails.email_change_attempt(owner) if owner.id != user.id else None
    return emails.email_change_confirm(user, pending.email, email_change_link(pending),
                                       _max_age())

