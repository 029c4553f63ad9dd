"""Joining: the registration form, and the emailed link that creates the account.

The form never says whether an address already has an account (membership of a condition
board is health data). :func:`do_register` does the same work for every address: it
checks the form, hashes the password, keeps a :class:`PendingRegistration` and queues one
account email. Which email that is gets decided later, by the background job
(:func:`forum.accounts.outbox.compose_account_email`): a link to finish joining for a new
address, or a note to the owner of an address that already has an account. The page
answers "Check your email" either way, with the same status, at about the same speed.

The link carries a token signed with ``SECRET_KEY`` (itsdangerous, its own salt) holding
the pending registration's id and nonce. It works once (the pending row is deleted when
the account is created), stops working after ``REGISTRATION_LINK_MAX_AGE``, and creates
the account and signs its owner in (:func:`do_confirm_registration`). Usernames are public,
so a name that is taken is still said so on the form.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.accounts.actions import check_new_account
from forum.accounts.models import (
    AccountEmailKind,
    PendingRegistration,
    Role,
    User,
)
from forum.accounts.outbox import forget_registrations_for, queue_account_email
from forum.accounts.passwords import hash_password
from forum.accounts.sessions import Device, start_session
from forum.accounts.usernames import email_key, username_key, username_problem
from forum.audit.models import AuditAction, record
from forum.db import utcnow
from forum.errors import Invalid
from forum.privacy.models import SignInAddress
from forum.threads.serialize import absolute_url

REGISTRATION_SALT = "alongside.registration"
LINK_PROBLEM = ("This link has expired or has already been used. If you still want to "
                "join, you can fill in the form again.")
ALREADY_JOINED = ("This email address already has an account. You can sign in, or set a "
                  "new password if you have forgotten it.")
TRY_AGAIN = ("We could not finish creating your account just now. Please open the link "
             "in your email again.")
USERNAME_TAKEN = "That username is taken. Please choose another."
_LONGEST_TOKEN = 1000

Clock = Callable[[], float]


def _serializer(clock: Clock | None = None) -> URLSafeTimedSerializer:
    secret = current_app.config["SECRET_KEY"]
    if clock is None:
        return URLSafeTimedSerializer(secret, salt=REGISTRATION_SALT)
    tick = clock

    class _ClockSigner(TimestampSigner):
        # Lets a test sign a link "a day ago" or check one "a day from now".
        def get_timestamp(self) -> int:
            return int(tick())

    return URLSafeTimedSerializer(secret, salt=REGISTRATION_SALT, signer=_ClockSigner)


def make_registration_token(pending: PendingRegistration, *,
                            clock: Clock | None = None) -> str:
    """A signed token for ``pending`` (``clock`` only in tests)."""
    return str(_serializer(clock).dumps({"r": pending.id, "n": pending.nonce}))


def registration_link(pending: PendingRegistration) -> str:
    """The emailed address that finishes ``pending`` (written by the account-mail job)."""
    return absolute_url("accounts.confirm_registration",
                        token=make_registration_token(pending))


def check_registration_token(session: Session, token: str, *,
                             clock: Clock | None = None) -> PendingRegistration:
    """The pending registration a still-usable token is for; Invalid otherwise.

    Called by the confirmation page (to decide what to show) and by
    :func:`do_confirm_registration`. Reads only."""
    max_age = int(current_app.config["REGISTRATION_LINK_MAX_AGE"])
    if not token or len(token) > _LONGEST_TOKEN:
        raise Invalid(LINK_PROBLEM)
    try:
        data: Any = _serializer(clock).loads(token, max_age=max_age)
    except BadData:
        raise Invalid(LINK_PROBLEM) from None
    if not isinstance(data, dict):
        raise Invalid(LINK_PROBLEM)
    pending_id, nonce = data.get("r"), data.get("n")
    if not (isinstance(pending_id, int) and isinstance(nonce, str)
            and 0 < pending_id < 2**31 and 0 < len(nonce) <= 64):
        raise Invalid(LINK_PROBLEM)
    pending = session.get(PendingRegistration, pending_id)
    if pending is None or not hmac.compare_digest(pending.nonce, nonce):
        raise Invalid(LINK_PROBLEM)
    # Counted from when the form was sent, however late the email went.
    if pending.created_at < utcnow() - timedelta(seconds=max_age):
        raise Invalid(LINK_PROBLEM)
    return pending


def username_free(session: Session, username: str) -> bool:
    return session.scalar(
        select(User.id).where(User.username_key == username_key(username))) is None


def do_register(session: Session, *, username: str, email: str, password: str,
                accepted_guidelines: bool) -> PendingRegistration:
    """Someone fills in the registration page. Keeps their sign-up and queues one account
    email (sent by the background job), the same for every address: no account is made and
    nothing is audited until the emailed link is used. Raises Invalid for problems with the
    form (a username that is taken included; never an address that is)."""
    errors: dict[str, str] = {}
    if not accepted_guidelines:
        errors["accept_guidelines"] = "You need to agree to the community guidelines to join."
    try:
        username, email = check_new_account(session, username, email, password)
    except Invalid as exc:
        errors.update(exc.fields)
    if errors:
        raise Invalid(fields=errors)
    pending = PendingRegistration(
        username=username, email=email, email_key=email_key(email),
        password_hash=hash_password(password), nonce=secrets.token_urlsafe(24),
        accepted_guidelines_at=utcnow(), created_at=utcnow())
    session.add(pending)
    session.flush()
    queue_account_email(session, AccountEmailKind.REGISTRATION, registration_id=pending.id)
    session.commit()
    return pending


def do_confirm_registration(session: Session, *, token: str, username: str | None = None,
                            device: Device | None = None, ip: str | None = None) -> User:
    """Create the account from an emailed link (the confirmation page's button) and sign
    its owner in: starts a session for ``device``, keeps the sign-in address (``ip``) like
    any sign-in, audits ``user:register`` and queues a welcome email. The link stops
    working, and so does any other sign-up link for the same address.

    ``username`` replaces the chosen name when someone else took it in the meantime (the
    page then asks for another). Raises Invalid: the link's problem with no fields, or
    ``fields={"username": …}``."""
    pending = check_registration_token(session, token)
    if session.scalar(select(User.id).where(User.email_key == pending.email_key)) is not None:
        # Only the owner of the address has the link: saying so here reveals nothing.
        raise Invalid(ALREADY_JOINED)
    name = pending.username if username is None else (username or "").strip()
    if username is not None:
        problem = username_problem(name)
        if problem:
            raise Invalid(fields={"username": problem})
    if not username_free(session, name):
        raise Invalid(fields={"username": USERNAME_TAKEN})
    now = utcnow()
    user = User(username=name, username_key=username_key(name), email=pending.email,
                email_key=pending.email_key, password_hash=pending.password_hash,
                role=Role.MEMBER, accepted_guidelines_at=pending.accepted_guidelines_at,
                created_at=now, last_seen_at=now)
    session.add(user)
    try:
        session.flush()
    except IntegrityError:
        # The same link used twice at once, or the name taken at the same moment: the
        # unique indexes let one through. Opening the link again says which.
        session.rollback()
        raise Invalid(TRY_AGAIN) from None
    forget_registrations_for(session, pending.email_key)
    start_session(session, user, device or Device())
    if ip:
        session.add(SignInAddress(user_id=user.id, ip=ip[:45], created_at=now))
    record(session, actor_id=user.id, action=AuditAction.USER_REGISTER, subject_type="user",
           subject_id=user.id)
    queue_account_email(session, AccountEmailKind.WELCOME, user_id=user.id)
    session.commit()
    return user
