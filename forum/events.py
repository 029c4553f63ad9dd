"""The real-time outbox: events queued by actions, emitted only after commit.

Actions call :func:`queue_event`; an ``after_commit`` listener hands the events to the
app's event sink (Socket.IO in the running service, a recorder in tests) and an
``after_rollback`` listener drops them, so a client never hears of a change that did
not happen. A failed emit is logged and swallowed: the data is committed and clients
catch up on reconnect.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    name: str
    room: str
    payload: dict[str, Any] = field(default_factory=dict)
    # A socket id (or room) that should not receive it, e.g. the sender of a typing event.
    skip_sid: str | None = None


EventSink = Callable[[Event], None]


def _null_sink(_event: Event) -> None:
    return None


def get_sink(app: Flask) -> EventSink:
    sink: EventSink = app.extensions.get("event_sink", _null_sink)
    return sink


def set_sink(app: Flask, sink: EventSink) -> None:
    app.extensions["event_sink"] = sink


def attach_outbox(session: Session, app: Flask) -> None:
    session.info["outbox"] = []
    session.info["app"] = app


def queue_event(session: Session, name: str, room: str, payload: dict[str, Any]) -> None:
    """Queue an event to go out when ``session`` commits."""
    session.info.setdefault("outbox", []).append(Event(name=name, room=room, payload=payload))


def emit_now(app: Flask, evt: Event) -> None:
    """Send one event through the app's sink, logging (never raising) a failure."""
    try:
        get_sink(app)(evt)
    except Exception:  # noqa: BLE001 - a lost emit must never undo a committed change
        log.exception("emit failed for event %s to %s", evt.name, evt.room)


@event.listens_for(Session, "after_commit")
def _flush_outbox(session: Session) -> None:
    outbox: list[Event] = session.info.get("outbox") or []
    app: Flask | None = session.info.get("app")
    session.info["outbox"] = []
    if app is None:
        return
    for evt in outbox:
        emit_now(app, evt)


@event.listens_for(Session, "after_soft_rollback")
def _drop_outbox(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info["outbox"] = []
