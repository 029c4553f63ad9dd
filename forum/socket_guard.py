"""Malformed Engine.IO / Socket.IO packets are dropped with one warning line, never a traceback.

python-socketio and python-engineio trust the shape of what a client sends: a frame with
bad JSON, an event that is not a list with a name first, a binary placeholder whose
attachment never comes, an empty websocket frame or an unknown packet type each raised
inside the library and were logged with a full traceback (some after ending the
connection, one leaving the connection waiting for an attachment that swallowed the
client's next event). Anyone can send them; none of our clients does.

Two layers, installed by :func:`install` each time the Socket.IO server is bound:

- Socket.IO packets: the Engine.IO server's ``message`` handler is wrapped (this server
  instance only). Each packet is decoded and checked before the library sees it; one that
  is not what our protocol sends is dropped. An event that asked for an answer gets an
  error answer instead of silence. Our protocol carries no binary data, so binary packets
  and frames are dropped too, which also means the library never waits for attachments.
- Engine.IO packets: the library decodes a websocket frame outside any error handling, so
  a malformed one escaped to the web server's log. ``engineio.packet.Packet.decode`` is
  wrapped to turn such a frame into a no-op packet, which Engine.IO ignores over a
  websocket; over polling such a packet, or a body that is not UTF-8 or has too many
  packets, is dropped the same way, the session left open.

The warning names the kind of problem only: never the packet, which may hold a post; a
flood of junk writes a few lines a second, not one a packet.
"""

from __future__ import annotations

import binascii
import functools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import engineio.exceptions
import engineio.packet
import engineio.socket
import socketio
from socketio import packet as sio_packet

log = logging.getLogger(__name__)

WARNING = "Dropped a malformed Socket.IO packet (%s)"
# A client sending nothing but junk must not fill the log: after the first few lines a
# second, each kind is written at most once a second, saying how many went unwritten.
WARNINGS_PER_SECOND = 5
_warn_lock = threading.Lock()
_warn_window = [0.0, 0]  # the second's start, lines written in it
_unwritten: dict[str, int] = {}


def _warn(kind: str) -> None:
    now = time.monotonic()
    with _warn_lock:
        if now - _warn_window[0] >= 1.0:
            _warn_window[0], _warn_window[1] = now, 0
        if _warn_window[1] >= WARNINGS_PER_SECOND:
            _unwritten[kind] = _unwritten.get(kind, 0) + 1
            return
        _warn_window[1] += 1
        skipped = _unwritten.pop(kind, 0)
    if skipped:
        log.warning(WARNING + "; %d more not logged", kind, skipped)
    else:
        log.warning(WARNING, kind)
_DECODE_ERRORS = (ValueError, TypeError, IndexError, KeyError, AttributeError,
                  UnicodeDecodeError, binascii.Error)


def _problem(pkt: Any) -> str | None:
    """Why a decoded Socket.IO packet is not one our protocol sends (None when it is)."""
    kind = pkt.packet_type
    if kind == sio_packet.CONNECT:
        return None if pkt.data is None or isinstance(pkt.data, dict) else "connect data"
    if kind == sio_packet.DISCONNECT:
        return None
    if kind == sio_packet.EVENT:
        data = pkt.data
        if not isinstance(data, list) or not data or not isinstance(data[0], str):
            return "event shape"
        return None
    if kind == sio_packet.ACK:
        return None if pkt.id is not None and isinstance(pkt.data, list) else "ack shape"
    if kind in (sio_packet.BINARY_EVENT, sio_packet.BINARY_ACK):
        return "binary packet"
    return "packet type"


def guard_messages(server: socketio.Server) -> None:
    """Check every Socket.IO packet before ``server`` handles it (once per server)."""
    eio = server.eio
    handle = eio.handlers.get("message")
    if handle is None or getattr(handle, "_alongside_guard", False):
        return

    def _answer_error(eio_sid: str, pkt: Any) -> None:
        # An event that asked for an acknowledgement is answered, as our handlers answer
        # a bad payload, so a client waiting on it is not left hanging.
        namespace = pkt.namespace or "/"
        if pkt.id is None or server.manager.sid_from_eio_sid(eio_sid, namespace) is None:
            return
        answer = {"ok": False, "error": {"code": "bad_message",
                                         "message": "The server could not read that message."}}
        server._send_packet(eio_sid, server.packet_class(
            sio_packet.ACK, namespace=namespace, id=pkt.id, data=[answer]))

    @functools.wraps(handle)
    def guarded(eio_sid: str, data: Any) -> Any:
        if not isinstance(data, str):
            _warn("binary frame")
            return None
        try:
            pkt = server.packet_class(encoded_packet=data)
        except _DECODE_ERRORS:
            _warn("undecodable")
            return None
        problem = _problem(pkt)
        if problem is not None:
            _warn(problem)
            if pkt.packet_type == sio_packet.EVENT:
                _answer_error(eio_sid, pkt)
            return None
        return handle(eio_sid, data)

    guarded._alongside_guard = True  # type: ignore[attr-defined]
    eio.on("message", guarded)


def _guard_engineio() -> None:
    """Wrap Engine.IO's frame decoding and polling body handling (once per process)."""
    packet_class: Any = engineio.packet.Packet
    if getattr(packet_class.decode, "_alongside_guard", False):
        return
    decode: Callable[..., Any] = packet_class.decode

    @functools.wraps(decode)
    def tolerant_decode(self: Any, encoded_packet: Any) -> Any:
        try:
            return decode(self, encoded_packet)
        except _DECODE_ERRORS:
            _warn("engine.io frame")
            # NOOP from a client is not something Engine.IO handles: it ignores it over a
            # websocket, and guarded_post below over polling (UnknownPacketError).
            self.packet_type = engineio.packet.NOOP
            self.data = None
            self.binary = False
            return None

    tolerant_decode._alongside_guard = True  # type: ignore[attr-defined]
    packet_class.decode = tolerant_decode

    socket_class: Any = engineio.socket.Socket
    handle_post: Callable[..., Any] = socket_class.handle_post_request

    @functools.wraps(handle_post)
    def guarded_post(self: Any, environ: dict[str, Any]) -> Any:
        # Dropped, and the session left open, as over a websocket: the library's own way
        # (disconnect, then 400) waits for the client's long poll to drain the queue and
        # can hang the request when that poll comes second.
        try:
            return handle_post(self, environ)
        except engineio.exceptions.UnknownPacketError:
            return None  # a packet type no client sends (already warned if undecodable)
        except (UnicodeDecodeError, ValueError, KeyError, IndexError):
            _warn("polling body")
            return None

    socket_class.handle_post_request = guarded_post


def install(server: socketio.Server) -> None:
    _guard_engineio()
    guard_messages(server)
