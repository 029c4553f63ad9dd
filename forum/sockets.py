"""Socket.IO handlers: who is connected, which rooms they may join, typing and presence.

Registered on the shared :data:`forum.extensions.socketio` when :func:`forum.realtime.
init_realtime` imports this module. Sockets only listen: they never change forum state
(every change is an HTTP request through an action), never commit, and never audit. They
read the database to authorise a join and to send a reconnecting client what it missed.

Rights are checked against a :class:`~forum.permissions.Viewer` loaded afresh at every
event, with the same ``access_*`` fetchers HTTP reading uses, so a suspended member, a
revoked token or a signed-out-everywhere session stops working at its next event. The
public protocol is described in ``docs/realtime.md``.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, request
from flask_login import current_user
from flask_socketio import disconnect, join_room, leave_room
from sqlalchemy.orm import Session

from forum.accounts.models import ApiToken, User, UserSession, UserStatus
from forum.accounts.sessions import key_digest, session_room
from forum.auth import user_from_token
from forum.boards.queries import unread_counts_by_board
from forum.db import get_session
from forum.errors import DomainError, Forbidden, Invalid, Unauthorised
from forum.extensions import socketio
from forum.live_status import CHECK_SECONDS, PAUSED, LiveStatus, paused_payload, redis_ping
from forum.permissions import Viewer, access_board, access_thread, can_reply, load_viewer
from forum.presence import MemoryPresence, Presence, RedisPresence, TokenBucket
from forum.session_sockets import board_readers_room
from forum.threads.queries import posts_after
from forum.threads.serialize import post_json

log = logging.getLogger(__name__)

SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
MAX_ID = 2**53  # the largest integer a JavaScript client can send exactly
MAX_ROOMS = 60  # a board list with every board on it, plus a thread or two
TYPING_INTERVAL = 3.0  # seconds between two typing events from one connection
CATCH_UP_LIMIT = 500  # beyond this a client is told to reload the page instead
LEADS_ROOM = "staff:leads"  # escalations at level 2 and above, duty changes (moderation)


@dataclass(frozen=True)
class Credential:
    """How a connection proved who it is; re-checked at every event."""

    user_id: int
    session_version: int | None = None  # cookie sign-in
    token_id: int | None = None  # personal access token
    session_digest: str | None = None  # the server-side session of a cookie sign-in


@dataclass
class ClientState:
    credential: Credential | None
    bucket: TokenBucket = field(default_factory=TokenBucket)
    rooms: set[str] = field(default_factory=set)
    # staff room -> the board/thread rooms that brought this connection into it
    staff_rooms: dict[str, set[str]] = field(default_factory=dict)
    last_typing: float = 0.0


_clients: dict[str, ClientState] = {}
_clients_lock = threading.Lock()
_refresher_started = False
_live_status: LiveStatus | None = None
_live_lock = threading.Lock()


class _Revoked(Exception):
    """The connection's credential no longer holds: end the connection."""


def init_sockets(app: Flask) -> None:
    """Choose the presence store: Redis in scale mode, memory in embedded mode."""
    presence: Presence
    if app.config.get("REDIS_URL"):
        presence = RedisPresence(app.config["REDIS_URL"], prefix=socketio_channel(app))
    else:
        presence = MemoryPresence()
    app.extensions["presence"] = presence


def socketio_channel(app: Flask) -> str:
    return str(app.config.get("SOCKETIO_CHANNEL") or "alongside")


def _presence() -> Presence:
    presence: Presence = current_app.extensions["presence"]
    return presence


def ok(**fields: Any) -> dict[str, Any]:
    return {"ok": True, **fields}


def error(code: str, message: str) -> dict[str, Any]:
    return {"ok": False, "error": {"code": code, "message": message}}


# ---- per-event plumbing -------------------------------------------------------------------

# Request-scoped values that must not leak between events. In a live server each event
# gets its own app context; under the test client the app context is shared, so the
# handler clears and restores them itself.
_G_KEYS = ("db_session", "viewer", "_login_user", "api_token_id", "authenticated_by_token")


@contextmanager
def _fresh_request_state() -> Iterator[None]:
    saved = {key: g.pop(key) for key in _G_KEYS if key in g}
    try:
        yield
    finally:
        session = g.pop("db_session", None)
        if session is not None:
            session.close()
        for key in _G_KEYS:
            g.pop(key, None)
        for key, value in saved.items():
            setattr(g, key, value)


def _load_viewer(session: Session, state: ClientState) -> Viewer:
    cred = state.credential
    if cred is None:
        return Viewer()
    user = session.get(User, cred.user_id)
    if user is None or user.status != UserStatus.ACTIVE:
        raise _Revoked()
    if cred.session_version is not None and user.session_version != cred.session_version:
        raise _Revoked()
    if cred.session_digest is not None:
        row = session.get(UserSession, cred.session_digest)
        if row is None or row.revoked_at is not None:
            raise _Revoked()
    if cred.token_id is not None:
        token = session.get(ApiToken, cred.token_id)
        if token is None or token.revoked_at is not None:
            raise _Revoked()
    return load_viewer(session, user)


Handler = Callable[[Session, Viewer, ClientState, Any], dict[str, Any]]


def _run(name: str, data: Any, handler: Handler) -> dict[str, Any]:
    """Rate-limit, validate and run one client event; always answer with an ack."""
    sid: str = request.sid  # type: ignore[attr-defined]
    state = _clients.get(sid)
    if state is None:
        return error("not_connected", "Please reconnect.")
    if not state.bucket.take():
        log.warning("socket %s sent events too fast; disconnecting", sid)
        disconnect()
        return error("rate_limited", "Too many messages. Please wait a moment.")
    with _fresh_request_state():
        try:
            session = get_session()
            viewer = _load_viewer(session, state)
            if LEADS_ROOM in state.staff_rooms and not _may_hear_leads(session, viewer):
                # No longer a lead (or admin): out of the leads' room at the next event.
                _drop_leads(sid, state)
            return handler(session, viewer, state, data)
        except _Revoked:
            disconnect()
            return error("unauthorised", "Please sign in again.")
        except Invalid as exc:
            message = next(iter(exc.fields.values()), exc.message) if exc.fields else exc.message
            return error(exc.code, message)
        except DomainError as exc:
            return error(exc.code, exc.message)
        except Exception:  # noqa: BLE001 - one bad event must not take down the connection
            log.exception("socket event %s failed", name)
            return error("server_error", "Something went wrong. Please try again.")


# ---- payload validation -------------------------------------------------------------------

def _int(value: Any, name: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_ID:
        raise Invalid(fields={name: f"'{name}' must be a whole number."})
    return value


def _staff_target(data: Any) -> bool:
    """True for ``{"staff": "leads"}``, the one staff room joined by name; a payload
    without ``staff`` is another kind of target (False)."""
    if not isinstance(data, dict) or "staff" not in data:
        return False
    if set(data) != {"staff"} or data["staff"] != "leads":
        raise Invalid(fields={"staff": "Send {\"staff\": \"leads\"}: it is the only staff "
                                       "room joined by name."})
    return True


def _target(data: Any, *, allow_after: bool) -> tuple[int | None, str | None, int | None]:
    """Parse ``{"thread": ID[, "after": ID]}`` or ``{"board": SLUG}``."""
    allowed = {"thread", "board", "after"} if allow_after else {"thread", "board"}
    if not isinstance(data, dict) or not data or set(data) - allowed:
        raise Invalid("Send {\"thread\": ID} or {\"board\": \"slug\"}.")
    if ("thread" in data) == ("board" in data):
        raise Invalid("Send either a thread or a board, not both.")
    if "thread" in data:
        after = _int(data["after"], "after", minimum=0) if "after" in data else None
        return _int(data["thread"], "thread"), None, after
    if "after" in data:
        raise Invalid("'after' goes with a thread.")
    slug = data["board"]
    if not isinstance(slug, str) or not SLUG_RE.fullmatch(slug):
        raise Invalid(fields={"board": "'board' must be a board's short name."})
    return None, slug, None


# ---- rooms --------------------------------------------------------------------------------

def _enter(state: ClientState, room: str) -> None:
    if room not in state.rooms and len(state.rooms) >= MAX_ROOMS:
        raise Invalid(f"A connection can follow at most {MAX_ROOMS} rooms at once.")
    join_room(room)
    state.rooms.add(room)


def _enter_staff(state: ClientState, viewer: Viewer, board_id: int, slug: str, via: str) -> None:
    if viewer.facilitates(board_id):
        staff_room = f"staff:{slug}"
        join_room(staff_room)
        state.staff_rooms.setdefault(staff_room, set()).add(via)


def _may_hear_leads(session: Session, viewer: Viewer) -> bool:
    """Admins and named leads, read from the database now (one indexed lookup)."""
    try:
        from moderation.access import can_hear_leads
    except ModuleNotFoundError:  # moderation not installed
        return False
    return can_hear_leads(session, viewer)


def _enter_leads(session: Session, state: ClientState, viewer: Viewer, via: str) -> None:
    """Admins and named leads also hear escalations moving up and duty changes
    (``staff:leads``, see :mod:`moderation.escalations`) when they join a board."""
    if _may_hear_leads(session, viewer):
        join_room(LEADS_ROOM)
        state.staff_rooms.setdefault(LEADS_ROOM, set()).add(via)


def _drop_leads(sid: str, state: ClientState) -> None:
    if LEADS_ROOM in state.staff_rooms:
        leave_room(LEADS_ROOM, sid=sid)
        del state.staff_rooms[LEADS_ROOM]
    state.rooms.discard(LEADS_ROOM)


def _join_leads(session: Session, viewer: Viewer, state: ClientState) -> dict[str, Any]:
    """``{"staff": "leads"}``: how a lead who facilitates no board hears escalations that
    reach them. Refused (and out of the room, if it was in) for anyone else."""
    if viewer.user is None:
        raise Unauthorised()
    if not _may_hear_leads(session, viewer):
        _drop_leads(request.sid, state)  # type: ignore[attr-defined]
        raise Forbidden("Only leads and administrators can follow escalations for leads.")
    _enter(state, LEADS_ROOM)
    # Named as its own reason to stay, so leaving a board does not take it away.
    state.staff_rooms.setdefault(LEADS_ROOM, set()).add(LEADS_ROOM)
    return ok(room=LEADS_ROOM)


def _leave(sid: str, state: ClientState, room: str) -> None:
    if room not in state.staff_rooms:
        # A staff room joined by name stays while a board still brings the connection in.
        leave_room(room, sid=sid)
    state.rooms.discard(room)
    for staff_room, via in list(state.staff_rooms.items()):
        via.discard(room)
        if not via:
            leave_room(staff_room, sid=sid)
            del state.staff_rooms[staff_room]
    if room.startswith("thread:"):
        _broadcast_presence(room, _presence().remove(room, sid))


# Every join and leave changes a room's head count; sending each change to everyone in the
# room costs readers squared (1,000 readers joining is ~500,000 frames: measured in make bench).
# So a room hears its count at most once per PRESENCE_INTERVAL_SECONDS, always the latest.
_presence_lock = threading.Lock()
_presence_next_at: dict[str, float] = {}
_presence_latest: dict[str, int] = {}
_presence_waiting: set[str] = set()


def _emit_presence(room: str, count: int) -> None:
    thread_id = int(room.split(":", 1)[1])
    socketio.emit("presence", {"thread_id": thread_id, "count": count}, to=room)


def _broadcast_presence(room: str, count: int) -> None:
    interval = float(current_app.config.get("PRESENCE_INTERVAL_SECONDS", 2.0))
    now = time.monotonic()
    with _presence_lock:
        _presence_latest[room] = count
        if room in _presence_waiting:
            return
        delay = _presence_next_at.get(room, 0.0) - now
        if delay <= 0:
            _presence_next_at[room] = now + interval
        else:
            _presence_waiting.add(room)
    if delay <= 0:
        _emit_presence(room, count)
    else:
        socketio.start_background_task(_send_presence_later, room, delay, interval)


def _send_presence_later(room: str, delay: float, interval: float) -> None:
    socketio.sleep(delay)
    with _presence_lock:
        _presence_waiting.discard(room)
        _presence_next_at[room] = time.monotonic() + interval
        count = _presence_latest.pop(room, None)
    if count is not None:
        _emit_presence(room, count)


def _send_posts(sid: str, posts: list[Any], board_slug: str) -> int:
    for post in posts:
        payload = post_json(post)
        payload["board"] = board_slug
        # Straight to this socket, which lives in this process: no trip through Redis.
        socketio.emit("post.created", payload, to=sid, ignore_queue=True)
    return posts[-1].id if posts else 0


def _join(session: Session, viewer: Viewer, state: ClientState, data: Any) -> dict[str, Any]:
    sid: str = request.sid  # type: ignore[attr-defined]
    if _staff_target(data):
        return _join_leads(session, viewer, state)
    thread_id, slug, after = _target(data, allow_after=True)
    if slug is not None:
        board = access_board(session, viewer, slug)
        room = f"board:{board.slug}"
        _enter(state, room)
        join_room(board_readers_room(board.id))
        _enter_staff(state, viewer, board.id, board.slug, room)
        _enter_leads(session, state, viewer, room)
        unread = unread_counts_by_board(session, viewer, [board.id]).get(board.id, 0)
        return ok(room=room, board=board.slug, unread_threads=unread)
    assert thread_id is not None
    thread = access_thread(session, viewer, thread_id)
    room = f"thread:{thread.id}"
    slug = thread.board.slug
    sent = 0
    more = False
    if after is not None:
        # Catch-up without loss or reordering: send what was missed BEFORE entering the
        # room, so no new post can overtake it; then enter, then look once more for anything
        # committed in between. A post committed in that instant may arrive twice (here and
        # by broadcast): clients de-duplicate by post id.
        missed = posts_after(session, viewer, thread, after, limit=CATCH_UP_LIMIT)
        more = len(missed) == CATCH_UP_LIMIT
        last = _send_posts(sid, missed, slug) or after
        sent = len(missed)
    _enter(state, room)
    join_room(board_readers_room(thread.board_id))
    _enter_staff(state, viewer, thread.board_id, slug, room)
    if after is not None and not more:
        session.rollback()  # a new snapshot, so posts committed meanwhile are visible
        late = posts_after(session, viewer, thread, last, limit=CATCH_UP_LIMIT)
        _send_posts(sid, late, slug)
        sent += len(late)
    count = _presence().add(room, sid)
    _broadcast_presence(room, count)
    return ok(room=room, thread_id=thread.id, presence=count, caught_up=sent, more=more)


def _leave_event(session: Session, viewer: Viewer, state: ClientState, data: Any
                 ) -> dict[str, Any]:
    if _staff_target(data):
        room = LEADS_ROOM
    else:
        thread_id, slug, _after = _target(data, allow_after=False)
        room = f"thread:{thread_id}" if thread_id is not None else f"board:{slug}"
    if room in state.rooms:
        _leave(request.sid, state, room)  # type: ignore[attr-defined]
    return ok(room=room)


def _typing(session: Session, viewer: Viewer, state: ClientState, data: Any) -> dict[str, Any]:
    sid: str = request.sid  # type: ignore[attr-defined]
    if not isinstance(data, dict) or set(data) != {"thread"}:
        raise Invalid("Send {\"thread\": ID}.")
    thread_id = _int(data["thread"], "thread")
    room = f"thread:{thread_id}"
    if room not in state.rooms:
        raise Invalid("Join the conversation before saying you are typing.")
    if viewer.user is None:
        raise Unauthorised()
    thread = access_thread(session, viewer, thread_id)
    if not can_reply(viewer, thread):
        raise Invalid("You cannot reply in this conversation.")
    now = time.monotonic()
    if now - state.last_typing < TYPING_INTERVAL:
        return ok(sent=False)
    state.last_typing = now
    # No name: "someone is writing" is enough, and says nothing about who is online.
    socketio.emit("typing", {"thread_id": thread.id}, to=room, skip_sid=sid)
    return ok(sent=True)


# ---- handlers -----------------------------------------------------------------------------

def _sent_as_message(sid: str) -> bool:
    """True when "connect" or "disconnect" is a message the client sent, not the server's
    own event: python-socketio hands any event name to its handler. The server counts a
    connection as connected only after its handshake and until its goodbye begin, so
    while it does, the event can only have come from the client."""
    namespace: str = getattr(request, "namespace", None) or "/"
    return bool(socketio.server.manager.is_connected(sid, namespace))


def on_connect(auth: Any = None) -> dict[str, Any] | None:
    """Identify the connection (token, else session cookie, else anonymous)."""
    sid: str = request.sid  # type: ignore[attr-defined]
    if _sent_as_message(sid):
        # Otherwise a client could start afresh (a new message allowance, its rooms
        # forgotten but still joined) whenever it liked.
        return _refuse_unknown()
    credential: Credential | None = None
    if auth is not None and not (isinstance(auth, dict) and set(auth) <= {"token"}):
        # A token sent any other way would otherwise be taken for none: signed out.
        raise ConnectionRefusedError(
            {"code": "invalid", "message": 'Send the token as auth={"token": "alo_…"}.'})
    with _fresh_request_state():
        token = auth.get("token") if isinstance(auth, dict) else None
        if token is not None:
            user = user_from_token(token) if isinstance(token, str) else None
            if user is None:
                raise ConnectionRefusedError(
                    {"code": "unauthorised", "message": "That access token is not valid."})
            credential = Credential(user_id=user.id, token_id=g.api_token_id)
        elif current_user.is_authenticated:
            key = getattr(current_user, "session_key", None)
            credential = Credential(user_id=current_user.id,
                                    session_version=current_user.session_version,
                                    session_digest=key_digest(key) if key else None)
    with _clients_lock:
        _clients[sid] = ClientState(credential=credential)
    if credential is not None:
        # Notifications and the author's own held posts arrive here.
        join_room(f"user:{credential.user_id}")
    if credential is not None and credential.session_digest is not None:
        # Signing this one browser out ends its connections too (forum/session_sockets.py).
        join_room(session_room(credential.session_digest))
    _start_refresher()
    status = _watch_live_status()
    if status is not None and status.paused:
        # Straight to this connection: the queue is what is down.
        socketio.server.emit(PAUSED, paused_payload(), to=sid, ignore_queue=True)


def on_disconnect(*_args: Any) -> dict[str, Any] | None:
    sid: str = request.sid  # type: ignore[attr-defined]
    if _sent_as_message(sid):
        # Not a goodbye: forgetting the connection would leave it in its rooms, unlimited.
        return _refuse_unknown()
    with _clients_lock:
        state = _clients.pop(sid, None)
    if state is None:
        return None
    for room in list(state.rooms):
        if room.startswith("thread:"):
            _broadcast_presence(room, _presence().remove(room, sid))
    return None


def on_join(data: Any = None) -> dict[str, Any]:
    return _run("join", data, _join)


def on_leave(data: Any = None) -> dict[str, Any]:
    return _run("leave", data, _leave_event)


def on_typing(data: Any = None) -> dict[str, Any]:
    return _run("typing", data, _typing)


def _refuse_unknown() -> dict[str, Any]:
    def _refuse(*_: Any) -> dict[str, Any]:
        return error("unknown_event", "The server does not know that message.")

    return _run("unknown", None, _refuse)


def on_unknown(event: Any, *_args: Any) -> dict[str, Any]:
    return _refuse_unknown()


# ---- presence refresh (scale mode) --------------------------------------------------------


# Flask-SocketIO puts handlers straight onto the server that exists when they are declared,
# so they are attached by a function that runs each time the server is (re)bound.
HANDLERS = {
    "connect": on_connect,
    "disconnect": on_disconnect,
    "join": on_join,
    "leave": on_leave,
    "typing": on_typing,
    "*": on_unknown,
}


def register_handlers() -> None:
    for event_name, handler in HANDLERS.items():
        socketio.on_event(event_name, handler)


def _start_refresher() -> None:
    """Keep this process's connections counted in Redis while they stay connected."""
    global _refresher_started
    presence = _presence()
    if not isinstance(presence, RedisPresence) or _refresher_started:
        return
    _refresher_started = True
    socketio.start_background_task(_refresh_loop, presence)


def _tell_this_process(event: str, payload: dict[str, Any]) -> None:
    # ignore_queue: to this process's own connections, without Redis (which may be down).
    socketio.server.emit(event, payload, ignore_queue=True)


def _watch_live_status() -> LiveStatus | None:
    """In scale mode, start (once per process) the check that tells open pages when
    live updates pause and resume (forum/live_status.py); None in embedded mode."""
    global _live_status
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    with _live_lock:
        if _live_status is None:
            _live_status = LiveStatus(redis_ping(url), _tell_this_process)
            socketio.start_background_task(_live_status_loop, _live_status)
        return _live_status


def _live_status_loop(status: LiveStatus) -> None:
    while True:
        socketio.sleep(CHECK_SECONDS)
        status.check()


def _refresh_loop(presence: RedisPresence) -> None:
    while True:
        socketio.sleep(presence.ttl / 3)
        with _clients_lock:
            entries = [(room, sid) for sid, state in _clients.items()
                       for room in state.rooms if room.startswith("thread:")]
        try:
            presence.refresh(entries)
        except Exception:  # noqa: BLE001 - Redis may blip; the next round tries again
            log.exception("presence refresh failed")
