"""Ending a member's live connections the moment their sessions end.

``session.ended`` events (queued by :mod:`forum.accounts.sessions` when a password changes,
a member is suspended, a role changes, or one session or all others are signed out) go to
the room ``user:<id>`` or ``session:<digest>``. The client managers here deliver the event
and then disconnect that room's sockets on the server side. With Redis, every process
receives every emit through the queue and disconnects only its own sockets, so a member is
cut off everywhere at once. Installed by :func:`forum.realtime.bind_socketio`.
"""

from __future__ import annotations

import logging
from typing import Any

import socketio

log = logging.getLogger(__name__)

SESSION_ENDED = "session.ended"


def _disconnect_room(manager: Any, namespace: str | None, room: str | None) -> None:
    if not room or not (room.startswith("user:") or room.startswith("session:")):
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
        if event == SESSION_ENDED:
            _disconnect_room(self, namespace, room or kwargs.get("to"))
        return result


class ScaleManager(socketio.RedisManager):  # type: ignore[misc]
    """Many processes joined by Redis (scale mode): each handles every emit message."""

    def _handle_emit(self, message: dict[str, Any]) -> None:
        super()._handle_emit(message)
        if message.get("event") == SESSION_ENDED:
            _disconnect_room(self, message.get("namespace"), message.get("room"))
