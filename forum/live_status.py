"""Telling open pages when live updates pause, and when they come back.

In scale mode every live update travels through Redis. If Redis stops answering, pages and
the API keep working (see README "Staying up"), but a browser that is still connected to
its own server process would simply stop hearing of new replies, with nothing to say why.
So each process that has connections checks Redis every :data:`CHECK_SECONDS`
(:func:`forum.sockets.on_connect` starts the check) and, when the answer changes, tells its
own connections directly, without the queue that is down:

- ``live.paused`` ``{"message": ...}``: the page shows the message until
- ``live.resumed`` ``{"message": ...}``: the page hides it and reconnects, which joins its
  rooms again and catches up with everything written meanwhile (``after``, as after any
  reconnect: docs/realtime.md).

A connection made while updates are paused hears ``live.paused`` at once. This module
changes no data, audits nothing and keeps no personal data; it never raises into a caller.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

PAUSED = "live.paused"
RESUMED = "live.resumed"
CHECK_SECONDS = 3.0
PAUSED_MESSAGE = ("Live updates are paused because of a problem on our side. New replies "
                  "will not appear on their own for now: reload the page to see them. "
                  "Everything else works as usual.")
RESUMED_MESSAGE = "Live updates are back on."

Tell = Callable[[str, dict[str, Any]], None]


class LiveStatus:
    """Whether this process's live updates are flowing, told once per change.

    ``ping()`` answers whether the message queue is reachable (raising counts as no);
    ``tell(event, payload)`` reaches every connection of this process.
    """

    def __init__(self, ping: Callable[[], Any], tell: Tell) -> None:
        self._ping = ping
        self._tell = tell
        self._lock = threading.Lock()
        self.paused = False

    def check(self) -> bool:
        """Ask once; tell the connections if the answer changed. True while flowing."""
        try:
            up = bool(self._ping())
        except Exception:  # noqa: BLE001 - any failure to answer means paused
            up = False
        with self._lock:
            changed = up == self.paused
            self.paused = not up
        if changed:
            if up:
                log.info("live updates resumed: the message queue answers again")
                self._safe_tell(RESUMED, {"message": RESUMED_MESSAGE})
            else:
                log.warning("live updates paused: the message queue does not answer")
                self._safe_tell(PAUSED, {"message": PAUSED_MESSAGE})
        return up

    def _safe_tell(self, event: str, payload: dict[str, Any]) -> None:
        try:
            self._tell(event, payload)
        except Exception:  # noqa: BLE001 - a lost notice must not stop the next check
            log.exception("could not tell connections about %s", event)


def paused_payload() -> dict[str, Any]:
    return {"message": PAUSED_MESSAGE}


def redis_ping(url: str) -> Callable[[], Any]:
    """A quick ping of the Redis at ``url`` (fails fast when it is down)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    return client.ping
