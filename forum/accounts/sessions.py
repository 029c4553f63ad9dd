"""Server-side sign-in sessions: one :class:`UserSession` row per signed-in browser.

The browser's (signed) cookie holds ``"<user id>:<session version>:<session key>"`` (also
the remember-me cookie's value); the row is found by the key's SHA-256. The user loader
(:func:`forum.auth.init_auth`) calls :func:`check_session` on every request, so ending a
row, or bumping the member's session version, signs that browser out at its next request,
remember-me cookie included. Ending sessions also queues ``session.ended`` to the member's
(or the one session's) Socket.IO room, and the socket layer disconnects those sockets.

Helpers here (``start_session``, ``end_all_sessions``) never commit: they are steps inside
the actions in :mod:`forum.accounts.actions` and elsewhere. The ``do_*`` actions at the end
are called by the "Where you're signed in" settings page.
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forum.accounts.models import User, UserSession
from forum.accounts.pending_changes import cancel_waiting_email_changes
from forum.audit.models import AuditAction, record
from forum.db import FixedQuery, rolls_back_on_error, utcnow
from forum.db_sqlite import writing
from forum.errors import NotFound
from forum.events import queue_event
from forum.permissions import Viewer, require_user

SESSION_ENDED = "session.ended"
TOUCH_EVERY = timedelta(minutes=1)
ENDED_MESSAGE = {"message": "You have been signed out. Please sign in again."}


@dataclass(frozen=True)
class Device:
    """What the sign-in page knows about the browser signing in."""

    user_agent: str = ""
    ip: str = ""
    remember: bool = False


def key_digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def session_room(digest: str) -> str:
    """The Socket.IO room of one signed-in browser's connections."""
    return f"session:{digest[:32]}"


_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("SamsungBrowser", "Samsung Internet"),
             ("Firefox/", "Firefox"), ("FxiOS", "Firefox"), ("CriOS", "Chrome"),
             ("Chrome/", "Chrome"), ("Safari/", "Safari"))
_SYSTEMS = (("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Windows", "Windows"), ("Mac OS X", "Mac"), ("Macintosh", "Mac"),
            ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def user_agent_summary(header: str) -> str:
    """"Firefox on Android": enough for a member to recognise a device, nothing more."""
    header = (header or "")[:512]
    browser = next((name for marker, name in _BROWSERS if marker in header), "")
    system = next((name for marker, name in _SYSTEMS if marker in header), "")
    if browser and system:
        return f"{browser} on {system}"
    if browser or system:
        return browser or system
    return "Unknown device" if header else ""


def truncate_ip(address: str) -> str:
    """The /24 (IPv4) or /64 (IPv6) network of ``address``: a rough place, not a person."""
    try:
        ip = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return ""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


_KEY_RE = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def start_session(session: Session, user: User, device: Device) -> str:
    """Add a session row for ``user`` and return its key (also set as ``user.session_key``
    so ``user.get_id()`` carries it). Does not commit."""
    key = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(UserSession(id=key_digest(key), user_id=user.id,
                            session_version=user.session_version, created_at=now,
                            last_seen_at=now, user_agent=user_agent_summary(device.user_agent),
                            ip_network=truncate_ip(device.ip), remember=device.remember))
    user.session_key = key  # type: ignore[attr-defined]
    return key


def end_all_sessions(session: Session, user: User) -> None:
    """End every session, remember-me cookie and live connection of ``user``: bump the
    session version, mark the rows ended, queue ``session.ended`` to ``user:<id>``.
    Called inside actions (password change or reset, role change, suspension); does not
    commit or audit (the calling action audits its own change)."""
    user.session_version += 1
    session.execute(update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    ).values(revoked_at=utcnow()))
    queue_event(session, SESSION_ENDED, f"user:{user.id}", dict(ENDED_MESSAGE))


def limits_for(user: User, row: UserSession | LiveSession, config: Any
               ) -> tuple[timedelta, timedelta]:
    """(idle time-out, absolute time-out) for this member and session."""
    if user.is_staff:
        return (timedelta(minutes=int(config["STAFF_SESSION_IDLE_MINUTES"])),
                timedelta(hours=int(config["STAFF_SESSION_MAX_HOURS"])))
    idle = (timedelta(days=int(config["MEMBER_REMEMBERED_IDLE_DAYS"])) if row.remember
            else timedelta(minutes=int(config["MEMBER_SESSION_IDLE_MINUTES"])))
    return idle, timedelta(days=int(config["MEMBER_SESSION_MAX_DAYS"]))


@dataclass(frozen=True, slots=True)
class LiveSession:
    """What the user loader needs of a :class:`UserSession` row, read on every request."""

    id: str
    remember: bool
    created_at: datetime
    last_seen_at: datetime


SESSION_COLUMNS = (UserSession.user_id, UserSession.revoked_at, UserSession.session_version,
                   UserSession.remember, UserSession.created_at, UserSession.last_seen_at)


def _session_row_statement(param: Any) -> Any:
    return select(*SESSION_COLUMNS).where(UserSession.id == param("digest", UserSession.id.type))


# Read on every signed-in request: straight on the driver's cursor (forum.db.FixedQuery).
_SESSION_ROW = FixedQuery(_session_row_statement)


def find_live_session(session: Session, user: User, key: str, config: Any,
                      now: datetime | None = None) -> LiveSession | None:
    """The live row for ``key`` of ``user``, or None if it is unknown, ended, from an older
    session version, or past its idle or absolute time-out. Reads only."""
    if not _KEY_RE.fullmatch(key or ""):
        return None
    digest = key_digest(key)
    return live_session(user, digest, _SESSION_ROW.first(session, digest=digest), config, now)


def live_session(user: User, digest: str, found: tuple[Any, ...] | None, config: Any,
                 now: datetime | None = None) -> LiveSession | None:
    """:func:`find_live_session` for the row's ``SESSION_COLUMNS`` read already (the user
    loader reads them with the member's row)."""
    if found is None or found[0] is None:
        return None
    user_id, revoked_at, version, remember, created_at, last_seen_at = found
    if user_id != user.id or revoked_at is not None or version != user.session_version:
        return None
    row = LiveSession(id=digest, remember=bool(remember), created_at=created_at,
                      last_seen_at=last_seen_at)
    now = now or utcnow()
    idle, absolute = limits_for(user, row, config)
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        return None
    return row


def session_digest(key: str) -> str | None:
    """The row id for a session key, or None for a key that cannot be one."""
    return key_digest(key) if _KEY_RE.fullmatch(key or "") else None


def touch_session(session: Session, row: LiveSession, now: datetime | None = None) -> None:
    """Note the session was used (at most once a minute, so most requests write nothing).
    Called by the user loader; commits only this bookkeeping."""
    now = now or utcnow()
    if now - row.last_seen_at < TOUCH_EVERY:
        return
    with writing(session):
        session.execute(update(UserSession).where(UserSession.id == row.id)
                        .values(last_seen_at=now).execution_options(synchronize_session=False))
        session.commit()


def list_sessions(session: Session, user_id: int, current_digest: str | None
                  ) -> list[dict[str, Any]]:
    """The member's live sessions, newest use first, for "Where you're signed in"."""
    user = session.get(User, user_id)
    if user is None:
        return []
    rows = session.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None),
        UserSession.session_version == user.session_version,
    ).order_by(UserSession.last_seen_at.desc())).all()
    return [{"id": row.id[:32], "device": row.user_agent or "Unknown device",
             "network": row.ip_network, "created_at": row.created_at,
             "last_seen_at": row.last_seen_at, "remember": row.remember,
             "current": row.id == current_digest} for row in rows]


def end_session_row(session: Session, row: UserSession) -> None:
    """Mark one row ended and tell its live connections. Does not commit."""
    row.revoked_at = utcnow()
    queue_event(session, SESSION_ENDED, session_room(row.id), dict(ENDED_MESSAGE))


@rolls_back_on_error
def do_end_session(session: Session, *, actor: Viewer, session_id: str,
                   current_digest: str | None) -> None:
    """Sign one of the actor's other browsers out (settings page). Audits
    ``session:end``; emits ``session.ended`` to that browser's connections."""
    user = require_user(actor)
    row = None
    if re.fullmatch(r"[0-9a-f]{32}", session_id or ""):
        row = session.scalar(select(UserSession).where(
            UserSession.user_id == user.id, UserSession.id.startswith(session_id),
            UserSession.revoked_at.is_(None)))
    if row is None:
        raise NotFound("That sign-in has already ended.")
    end_session_row(session, row)
    record(session, actor_id=user.id, action=AuditAction.SESSION_END, subject_type="user",
           subject_id=user.id, after={"current": row.id == current_digest})
    session.commit()


class EndedElsewhere(NamedTuple):
    sessions: int
    email_changes: int


@rolls_back_on_error
def do_end_other_sessions(session: Session, *, actor: Viewer,
                          current_digest: str | None) -> EndedElsewhere:
    """"Sign out everywhere else" (settings page): ends every session of the actor but
    this one, with their remember-me cookies and live connections, and cancels any change
    of email address still waiting for its link (one of those sessions may have asked for
    it). Audits ``session:end_others`` with how many of each; returns both counts."""
    user = require_user(actor)
    rows = session.scalars(select(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None),
        UserSession.id != (current_digest or ""))).all()
    for row in rows:
        end_session_row(session, row)
    cancelled = cancel_waiting_email_changes(session, user.id)
    record(session, actor_id=user.id, action=AuditAction.SESSION_END_OTHERS,
           subject_type="user", subject_id=user.id,
           after={"ended": len(rows), "email_changes_cancelled": cancelled})
    session.commit()
    return EndedElsewhere(len(rows), cancelled)
