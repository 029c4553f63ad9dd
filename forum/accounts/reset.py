"""Setting a new password from an emailed link.

The link carries a token signed with ``SECRET_KEY`` (itsdangerous, its own salt) that
holds the account id, a random nonce and a fingerprint of the current password hash. It
stops working when it is older than ``PASSWORD_RESET_MAX_AGE``, once it has been used (the
nonce is stored in :class:`PasswordResetUse`), and as soon as the password changes any
other way (the fingerprint no longer matches).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from typing import Any

from flask import current_app
from itsdangerous import BadData, TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.accounts import emails
from forum.accounts.actions import normalise_email
from forum.accounts.models import AccountEmailKind, PasswordResetUse, User, UserStatus
from forum.accounts.outbox import queue_account_email
from forum.accounts.passwords import hash_password, password_problem
from forum.accounts.sessions import end_all_sessions
from forum.accounts.usernames import email_key
from forum.audit.models import AuditAction, record
from forum.errors import Invalid
from forum.mail import queue_mail
from forum.threads.serialize import absolute_url

RESET_SALT = "alongside.password-reset"
LINK_PROBLEM = ("This link has expired or has already been used. "
                "You can ask for a new one below.")
_LONGEST_TOKEN = 1000

Clock = Callable[[], float]


def _serializer(clock: Clock | None = None) -> URLSafeTimedSerializer:
    if clock is None:
        return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)
    tick = clock

    class _ClockSigner(TimestampSigner):
        # Lets a test sign a link "an hour ago" or check one "an hour from now".
        def get_timestamp(self) -> int:
            return int(tick())

    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT,
                                  signer=_ClockSigner)


def _fingerprint(password_hash: str) -> str:
    # A keyed digest, not a slice of the hash itself: the token is signed, not encrypted.
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, password_hash.encode("utf-8"), hashlib.sha256).hexdigest()[:20]


def make_reset_token(user: User, *, clock: Clock | None = None) -> str:
    """A fresh reset token for ``user`` (``clock`` only in tests)."""
    payload = {"u": user.id, "n": secrets.token_urlsafe(16),
               "f": _fingerprint(user.password_hash)}
    return str(_serializer(clock).dumps(payload))


def check_reset_token(session: Session, token: str, *,
                      clock: Clock | None = None) -> tuple[User, str]:
    """The account and nonce a still-usable token is for; Invalid otherwise.

    Called by the reset page (to decide whether to show the form) and by
    :func:`do_reset_password`. Reads only.
    """
    if not token or len(token) > _LONGEST_TOKEN:
        raise Invalid(LINK_PROBLEM)
    try:
        data: Any = _serializer(clock).loads(
            token, max_age=int(current_app.config["PASSWORD_RESET_MAX_AGE"]))
    except BadData:
        raise Invalid(LINK_PROBLEM) from None
    if not isinstance(data, dict):
        raise Invalid(LINK_PROBLEM)
    user_id, nonce, fingerprint = data.get("u"), data.get("n"), data.get("f")
    if not (isinstance(user_id, int) and isinstance(nonce, str) and isinstance(fingerprint, str)
            and 0 < user_id < 2**31 and 0 < len(nonce) <= 64):
        raise Invalid(LINK_PROBLEM)
    user = session.get(User, user_id)
    if user is None or user.status != UserStatus.ACTIVE or not hmac.compare_digest(
            _fingerprint(user.password_hash), fingerprint):
        raise Invalid(LINK_PROBLEM)
    used = session.scalar(select(PasswordResetUse.id).where(PasswordResetUse.nonce == nonce))
    if used is not None:
        raise Invalid(LINK_PROBLEM)
    return user, nonce


def reset_link(user: User) -> str:
    """The emailed address of a fresh reset link for ``user`` (written by the account-mail
    job at send time, so the link is never stored)."""
    return absolute_url("accounts.reset_password", token=make_reset_token(user))


def do_request_password_reset(session: Session, *, email: str) -> None:
    """Someone asks for a reset link (the "forgotten password" page).

    Does the same work whatever the answer: one lookup and one row in the account-mail
    outbox, for the active account using ``email`` or for nobody (``user_id`` empty, which
    the job closes unsent). The link is written and sent by the background job, which
    audits ``user:request_password_reset`` when it goes; this request never waits on the
    mail server. The page shows the same message either way.
    """
    address = normalise_email((email or "")[:254])
    user = session.scalar(select(User).where(User.email_key == email_key(address)))
    active = user is not None and user.status == UserStatus.ACTIVE
    queue_account_email(session, AccountEmailKind.PASSWORD_RESET,
                        user_id=user.id if user is not None and active else None)
    session.commit()


def do_reset_password(session: Session, *, token: str, new_password: str,
                      clock: Clock | None = None) -> User:
    """Set a new password from a reset link (the reset page). Spends the link, ends every
    session, emails the member, audits ``user:reset_password``."""
    user, nonce = check_reset_token(session, token, clock=clock)
    problem = password_problem(new_password or "", username=user.username, email=user.email)
    if problem:
        raise Invalid(fields={"password": problem})
    session.add(PasswordResetUse(user_id=user.id, nonce=nonce))
    user.password_hash = hash_password(new_password)
    end_all_sessions(session, user)
    record(session, actor_id=user.id, action=AuditAction.USER_RESET_PASSWORD,
           subject_type="user", subject_id=user.id)
    queue_mail(session, emails.password_changed(user))
    try:
        session.commit()
    except IntegrityError:
        # The same link used twice at once: the unique nonce lets only one through.
        session.rollback()
        raise Invalid(LINK_PROBLEM) from None
    return user

