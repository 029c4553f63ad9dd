"""Socket.IO binding: the event sink that delivers committed events to rooms.

Embedded mode runs Socket.IO in-process (threading + simple-websocket); scale mode adds
Redis as the message queue so every server process, and any CLI or job process, reaches
every client. Socket handlers live in :mod:`forum.sockets`.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask

from forum.events import Event, set_sink
from forum.extensions import socketio

log = logging.getLogger(__name__)

# One computer, two names: people type either, and each is its own origin to a browser.
LOOPBACK_NAMES = ("127.0.0.1", "localhost")


def allowed_origins(base_url: str) -> list[str]:
    """The origins browsers may open live updates from: the site's own (``BASE_URL``),
    under both of its names when it is served on this computer."""
    parts = urlsplit(base_url.rstrip("/"))
    origin = f"{parts.scheme}://{parts.netloc}"
    if parts.hostname not in LOOPBACK_NAMES:
        return [origin]
    port = f":{parts.port}" if parts.port else ""
    return list(dict.fromkeys([origin, *(f"{parts.scheme}://{name}{port}"
                                         for name in LOOPBACK_NAMES)]))


def set_public_address(app: Flask, base_url: str) -> None:
    """Make ``base_url`` the site's address: links in emails and the API, and the origin
    live updates are accepted from (called by ``forum run`` when BASE_URL is unset)."""
    app.config["BASE_URL"] = base_url
    app.extensions["socketio_server"].eio.cors_allowed_origins = allowed_origins(base_url)


def bind_socketio(app: Flask) -> None:
    """Bind the process's one Socket.IO server to ``app``.

    A process serves one app; tests that build several apps call this again to take
    the server back (see tests/forum/realtime/conftest.py).
    """
    options: dict[str, object] = {
        "async_mode": app.config.get("SOCKETIO_ASYNC_MODE", "threading"),
        "cors_allowed_origins": allowed_origins(app.config["BASE_URL"]),
        "max_http_buffer_size": 64 * 1024,
        "logger": False,
        "engineio_logger": False,
    }
    from forum.session_sockets import EmbeddedManager, ScaleManager

    # Our client managers also disconnect a member's sockets when their session ends.
    if app.config.get("REDIS_URL"):
        # One channel per deployment (and per test run), so two never hear each other.
        options["client_manager"] = ScaleManager(
            app.config["REDIS_URL"], channel=app.config.get("SOCKETIO_CHANNEL") or "alongside",
            write_only=False)
    else:
        options["client_manager"] = EmbeddedManager()
    socketio.init_app(app, **options)
    app.extensions["socketio_server"] = socketio.server
    from forum.socket_guard import install
    from forum.sockets import register_handlers

    register_handlers()
    # Malformed packets from a client: one warning line and dropped, never a traceback.
    install(socketio.server)


def init_realtime(app: Flask) -> None:
    bind_socketio(app)

    def _socketio_sink(evt: Event) -> None:
        socketio.emit(evt.name, evt.payload, to=evt.room, skip_sid=evt.skip_sid)

    set_sink(app, _socketio_sink)

    from forum.sockets import init_sockets  # importing registers the handlers

    init_sockets(app)
