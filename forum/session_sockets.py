"""Ending a member's live connections the moment their sessions end.

``session.ended`` events (queued by :mod:`forum.accounts.sessions` when a password changes,
a member is suspended, a role changes, or one session or all others are signed out) go to
the room ``user:<id>`` or ``session:<digest>``. The client managers here deliver the event
and then disconnect that room's sockets on the server side. With Redis, every process
receives every emit through the queue and disconnects only its own sockets, so a member is
cut off everywhere at once. Installed by :func:`forum.realtime.bind_socketio`.

``caches.purge`` (queued when a member closes their account) reaches no socket: each
process that hears it empties its own fragment and page caches, so no copy of the member's
words stays in any process's memory (:func:`forum.render_cache.clear_every_cache`).

``rooms.reset`` works the same way for a change of rights that leaves the sessions alive:
a member leaves a private board, a facilitator or lead is stood down, a board turns private
or a conversation moves to another board. The room's sockets hear the event and are then
disconnected, so nothing more reaches them from rooms they may no longer be in; the
browser connects again at once and joins its rooms afresh, each checked against the
database as on any join (a refused one answers with an error), and catches up with
``after`` as after any reconnect (see docs/realtime.md).
"""

from __future__ import annotations

import logging
from typing import Any

import socketio
from sqlalchemy.orm import Session

from forum.events import queue_event
from forum.render_cache import PURGE_EVENT, clear_every_cache

log = logging.getLogger(__name__)

SESSION_ENDED = "session.ended"
ROOMS_RESET = "rooms.reset"
# The rooms whose sockets each event may cut off (a person, one browser, the readers of a
# conversation, everyone following any part of a board).
_CUTS_OFF = {SESSION_ENDED: ("user:", "session:"),
             ROOMS_RESET: ("user:", "session:", "thread:", "within:")}


def board_readers_room(board_id: int) -> str:
    """Every connection that joined a board or one of its conversations (never announced
    to, only reset: forum/sockets.py puts connections in it)."""
    return f"within:{board_id}"


def queue_rooms_reset(session: Session, room: str) -> None:
    """A step inside an action whose change takes rights away: once it commits, the
    connections in ``room`` rejoin their rooms afresh (see the module docstring)."""
    queue_event(session, ROOMS_RESET, room, {"message": "Reconnecting to check what you can "
                                                        "still see."})


def _disconnect_room(manager: Any, event: str | None, namespace: str | None,
                     room: str | None) -> None:
    if event == PURGE_EVENT:
        clear_every_cache()
        return
    prefixes = _CUTS_OFF.get(event or "")
    if not prefixes or not room or not room.startswith(prefixes):
        return
    namespace = namespace or "/"
    sids = [sid for sid, _eio in manager.get_participants(namespace, room)]
    for sid in sids:
        try:
            manager.server.disconnect(sid, namespace=namespace, ignore_queue=True)
        except Exception:  # noqa: BLE001 - one stale socket must not keep the others open
            log.exception("could not disconnect a socket after its session ended")


class EmbeddedManager(socketio.Manager):  # type: ignore[misc]
    """One process (embedded mode)."""

    def emit(self, event: str, data: Any, namespace: str | None = None,
             room: str | None = None, *args: Any, **kwargs: Any) -> Any:
        result = super().emit(event, data, namespace, room, *args, **kwargs)
        _disconnect_room(self, event, namespace, room or kwargs.get("to"))
        return result


class ScaleManager(socketio.RedisManager):  # type: ignore[misc]
    """Many processes joined by Redis (scale mode): each handles every emit message."""

    def _handle_emit(self, message: dict[str, Any]) -> None:
        super()._handle_emit(message)
        _disconnect_room(self, message.get("event"), message.get("namespace"),
                         message.get("room"))
