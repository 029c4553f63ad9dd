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
from typing import Any

from flask import Flask, current_app, g, request
from flask_login import current_user
from sqlalchemy import Integer, String, cast, func, inspect, select
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from forum.accounts.models import ApiToken, User, UserSession, UserStatus
from forum.accounts.sessions import (
    SESSION_COLUMNS,
    find_live_session,
    live_session,
    session_digest,
    touch_session,
)
from forum.boards.models import BoardFacilitator, BoardMembership
from forum.change_feed import fresh_answers
from forum.db import FixedQuery, get_session, read_outside, utcnow
from forum.db_sqlite import writing
from forum.extensions import login_manager
from forum.permissions import Viewer, load_viewer
from forum.routing import whole_number

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


_USER_ATTRIBUTES = tuple(attr.key for attr in inspect(User).column_attrs)


def _user_statement(param: Any) -> Any:
    return select(*(getattr(User, key) for key in _USER_ATTRIBUTES)).where(
        User.id == param("user_id", Integer()))


def _member_statement(param: Any) -> Any:
    """The member's row, their sign-in session's row and their boards, in one statement."""
    user_id = param("user_id", Integer())

    def boards(table: Any) -> Any:
        return select(func.aggregate_strings(cast(table.board_id, String), ",")).where(
            table.user_id == user_id).scalar_subquery()

    return (select(*(getattr(User, key) for key in _USER_ATTRIBUTES), *SESSION_COLUMNS,
                   boards(BoardMembership), boards(BoardFacilitator))
            .outerjoin(UserSession, UserSession.id == param("digest", UserSession.id.type))
            .where(User.id == user_id))


# Read on every request from a browser that is signed in (forum.db.FixedQuery).
_USER_ROW = FixedQuery(_user_statement)
_MEMBER_ROW = FixedQuery(_member_statement)


_USER_CLASS_MANAGER = inspect(User).class_manager


def _persistent_user(session: Session, values: tuple[Any, ...]) -> User:
    """A clean persistent instance for a user row just read, as a query would make it:
    the values go straight into the instance's dict, as SQLAlchemy's loader puts them
    (``User(**values)`` would run the attribute events for each of them: a tenth of a
    signed-in kept page), then ``make_transient_to_detached`` and ``add``."""
    user: User = _USER_CLASS_MANAGER.new_instance()
    user.__dict__.update(zip(_USER_ATTRIBUTES, values, strict=True))
    make_transient_to_detached(user)
    session.add(user)
    return user


def load_user(session: Session, user_id: int) -> User | None:
    """``session.get(User, user_id)`` at a third of its CPU: the row comes from one short
    statement (forum.db.FixedQuery)."""
    found = session.identity_map.get(identity_key(User, user_id))
    if found is not None:
        return found  # type: ignore[no-any-return]
    row = _USER_ROW.first(session, user_id=user_id)
    return None if row is None else _persistent_user(session, row)


def _ids(joined: str | None) -> set[int]:
    return {int(x) for x in joined.split(",")} if joined else set()


def load_member(session: Session, user_id: int, digest: str
                ) -> tuple[User, tuple[Any, ...], tuple[set[int], set[int]]] | None:
    """For the user loader: the member, their session row (``SESSION_COLUMNS``, all None
    if there is no such row) and their boards (member of, facilitates), in one
    statement. Before the session has begun a transaction, the statement runs outside
    one (``FixedQuery`` on the engine), so a request that only reads never starts one."""
    if session.identity_map.get(identity_key(User, user_id)) is not None:
        return None  # already loaded in this session: the caller asks the usual way
    # Kept while nothing is written anywhere (forum/change_clock.py): a sign-out, a
    # suspension or a new password is a write, so it is never answered from memory.
    answers = fresh_answers(current_app._get_current_object(), "member-row")  # type: ignore[attr-defined]
    row = answers.get_or_read((user_id, digest), lambda: _MEMBER_ROW.first(
        read_outside(session), user_id=user_id, digest=digest))
    if row is None:
        return None
    count = len(_USER_ATTRIBUTES)
    user = _persistent_user(session, row[:count])
    live = row[count:count + len(SESSION_COLUMNS)]
    return user, live, (_ids(row[-2]), _ids(row[-1]))


def current_viewer() -> Viewer:
    """The request's viewer, loaded once: a token's owner, the signed-in member, or nobody."""
    if "viewer" not in g:
        user: User | None = None
        token = bearer_token()
        if token is not None:
            user = user_from_token(token)
            g.authenticated_by_token = user is not None
        elif not request.cookies:
            pass  # no session and no remember-me cookie: nobody is signed in
        elif current_user.is_authenticated:
            user = current_user._get_current_object()  # type: ignore[attr-defined]
        boards = g.pop("_member_boards", None)
        if user is not None and boards is not None and boards[0] == user.id:
            g.viewer = Viewer(user=user, member_board_ids=boards[1],
                              facilitated_board_ids=boards[2])
        else:
            # Nobody signed in needs no session (a kept page may then never make one).
            g.viewer = Viewer() if user is None else load_viewer(get_session(), user)
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
        for key in ("viewer", "_login_user", "authenticated_by_token", "api_token_id",
                    "_member_boards"):
            g.pop(key, None)

    @login_manager.user_loader
    def _load_user(user_id: str) -> User | None:
        if not isinstance(user_id, str):
            return None
        raw_id, version, key = ([*user_id.split(":", 2), "", ""])[:3]
        # Our sign-ins write "<id>:<version>:<key>"; anything else names nobody (a number
        # too big for the id column would be a database error).
        number = whole_number(raw_id)
        if number is None:
            return None
        digest = session_digest(key) if key else None
        # Usually the member, their session row and their boards in one statement.
        member = load_member(get_session(), number, digest) if digest else None
        user = member[0] if member else load_user(get_session(), number)
        if user is None or str(user.session_version) != version:
            return None
        if user.status != UserStatus.ACTIVE:
            return None
        if not key:
            # Only the test environment writes ids without a key (tests/conftest.py).
            return user if current_app.config.get("ALLOW_KEYLESS_SESSIONS") else None
        if member is not None and digest is not None:
            row = live_session(user, digest, member[1], current_app.config)
            g._member_boards = (user.id, *member[2])
        else:
            row = find_live_session(get_session(), user, key, current_app.config)
        if row is None:
            return None
        user.session_key = key  # type: ignore[attr-defined]
        touch_session(get_session(), row)
        return user
