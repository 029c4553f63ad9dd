"""Who is asking: Flask-Login sessions for browsers, bearer tokens for API clients.

The session cookie (and the remember-me cookie) holds ``"<user id>:<session version>:
<session key>"``. The key names a server-side :class:`~forum.accounts.models.UserSession`
row, checked on every request (ended? idle or too old?), so one browser can be signed out
for real; bumping a member's session version (password change, suspension, role change)
ends every session and remember-me cookie they have at once.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import Flask, current_app, g, request
from flask_login import current_user
from sqlalchemy import select

from forum.accounts.models import ApiToken, User, UserStatus
from forum.accounts.sessions import find_live_session, touch_session
from forum.db import get_session, utcnow
from forum.db_sqlite import writing
from forum.extensions import login_manager
from forum.permissions import Viewer, load_viewer

TOKEN_PREFIX = "alo_"  # noqa: S105 - a visible prefix, not a secret
TOKEN_TOUCH_EVERY = timedelta(minutes=1)


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def user_from_token(raw: str) -> User | None:
    """The active user owning a personal access token, or None."""
    if not raw.startswith(TOKEN_PREFIX) or len(raw) > 200:
        return None
    session = get_session()
    digest = hash_token(raw)
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    if token is None or token.revoked_at is not None or not hmac.compare_digest(
            token.token_hash, digest):
        return None
    user = token.user
    if user.status != UserStatus.ACTIVE:
        return None
    g.api_token_id = token.id
    now = utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOKEN_TOUCH_EVERY:
        # Bookkeeping only (at most once a minute): shown in settings as "last used".
        with writing(session):
            token.last_used_at = now
            session.commit()
    return user


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def current_viewer() -> Viewer:
    """The request's viewer, loaded once: a token's owner, the signed-in member, or nobody."""
    if "viewer" not in g:
        user: User | None = None
        token = bearer_token()
        if token is not None:
            user = user_from_token(token)
            g.authenticated_by_token = user is not None
        elif current_user.is_authenticated:
            user = current_user._get_current_object()  # type: ignore[attr-defined]
        g.viewer = load_viewer(get_session(), user)
    viewer: Viewer = g.viewer
    return viewer


def init_auth(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @app.teardown_request
    def _forget_viewer(_exc: BaseException | None) -> None:
        # Who is asking belongs to one request, even when the app context outlives it.
        for key in ("viewer", "_login_user", "authenticated_by_token", "api_token_id"):
            g.pop(key, None)

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        raw_id, version, key = ([*user_id.split(":", 2), "", ""])[:3]
        try:
            user = get_session().get(User, int(raw_id))
        except ValueError:
            return None
        if user is None or str(user.session_version) != version:
            return None
        if user.status != UserStatus.ACTIVE:
            return None
        if not key:
            # Only the test environment writes ids without a key (tests/conftest.py).
            return user if current_app.config.get("ALLOW_KEYLESS_SESSIONS") else None
        row = find_live_session(get_session(), user, key, current_app.config)
        if row is None:
            return None
        user.session_key = key  # type: ignore[attr-defined]
        touch_session(get_session(), row)
        return user
