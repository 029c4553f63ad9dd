"""Personal access tokens for API clients: sign-in check, creation and revocation.

Minimal versions written on the ``api`` branch so the API can run; the ``accounts`` branch
owns this module and may replace it with fuller ones of the same names and signatures.
Only a SHA-256 hash of each secret is stored (:func:`forum.auth.hash_token`); the secret is
shown once, when the token is made.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import ApiToken, User, UserStatus
from forum.accounts.passwords import dummy_hash, verify_password
from forum.accounts.usernames import email_key, username_key
from forum.audit.models import AuditAction, record
from forum.auth import TOKEN_PREFIX, hash_token
from forum.db import utcnow
from forum.errors import Forbidden, Invalid, NotFound
from forum.permissions import Viewer, require_user

TOKEN_NAME_MAX = 80


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active account matching ``login`` (username or email) and ``password``, or None.

    Called by sign-in adapters (the API's token endpoint). Changes nothing. A password is
    checked against a dummy hash when no account matches, so the answer takes as long
    either way and does not reveal who has an account.
    """
    login = (login or "").strip()
    user: User | None = None
    if login:
        key_column = User.email_key if "@" in login else User.username_key
        key = email_key(login) if "@" in login else username_key(login)
        user = session.scalar(select(User).where(key_column == key))
    if user is None:
        verify_password(dummy_hash(), password or "")
        return None
    if not verify_password(user.password_hash, password or ""):
        return None
    if user.status != UserStatus.ACTIVE:
        return None
    return user


def do_create_token(session: Session, *, actor: Viewer, name: str) -> tuple[ApiToken, str]:
    """Make a personal access token for the actor; returns it and its secret (shown once).

    Called by the API's ``POST /tokens``. Audits ``token:create`` (never the secret).
    Emits nothing.
    """
    user = require_user(actor)
    name = " ".join((name or "").split()) or "API token"
    if len(name) > TOKEN_NAME_MAX:
        raise Invalid(fields={"name": f"The name must be {TOKEN_NAME_MAX} characters or fewer."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret),
                     prefix=secret[:12], created_at=utcnow())
    session.add(token)
    session.flush()
    record(session, actor_id=user.id, action=AuditAction.TOKEN_CREATE, subject_type="token",
           subject_id=token.id, after={"name": name, "prefix": token.prefix})
    session.commit()
    return token, secret


def do_revoke_token(session: Session, *, actor: Viewer, token_id: int) -> ApiToken:
    """Revoke one of the actor's tokens (idempotent). Called by ``DELETE /tokens/current``.

    Audits ``token:revoke``. Emits nothing.
    """
    user = require_user(actor)
    token = session.get(ApiToken, token_id)
    if token is None:
        raise NotFound("We could not find that token.")
    if token.user_id != user.id:
        raise Forbidden("You can only revoke your own tokens.")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        record(session, actor_id=user.id, action=AuditAction.TOKEN_REVOKE,
               subject_type="token", subject_id=token.id, after={"prefix": token.prefix})
    session.commit()
    return token
