"""A request id on every request, and one access-log line per request.

Registered by :func:`forum.security.init_security`. The id is ``X-Request-ID`` from the
client or proxy when it looks like a harmless token, otherwise a fresh random one; it is
put on ``g.request_id`` (which ``forum.logging_setup.JsonFormatter`` adds to every log
record) and echoed in the response so a member can quote it to support.

The access line names the method, the endpoint (``threads.show``, never the path: a path
like ``/boards/hiv-support`` or ``/reset-password/<token>`` is itself private), the status
and the duration. Never query strings, bodies, emails or tokens. Audits and emits nothing.
"""

from __future__ import annotations

import logging
import re
import secrets
import time

from flask import Flask, Response, g, request

access_log = logging.getLogger("forum.access")

REQUEST_ID_HEADER = "X-Request-ID"
# Letters, digits and a little punctuation, as load balancers and UUIDs use: nothing that
# could forge a log line or carry someone's details.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{7,63}")


def choose_request_id(offered: str | None) -> str:
    """The offered id if it is a safe token, otherwise a new random one."""
    if offered and SAFE_REQUEST_ID.fullmatch(offered):
        return offered
    return secrets.token_hex(16)


def _start_request() -> None:
    g.request_id = choose_request_id(request.headers.get(REQUEST_ID_HEADER))
    g.request_started = time.perf_counter()
    # A nonce even if a later before_request hook (CSRF, rate limit) stops the request
    # before the app's own nonce hook runs, so the error page's scripts still load.
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)


def _finish_request(response: Response) -> Response:
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    duration_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
    fields = {
        "method": request.method,
        "endpoint": request.endpoint or "-",
        "status": response.status_code,
        "duration_ms": duration_ms,
    }
    access_log.info("%s %s %s %sms", fields["method"], fields["endpoint"], fields["status"],
                    duration_ms, extra={"fields": fields})
    return response


class _DropServerAccessLines(logging.Filter):
    """Werkzeug's development server logs every request line with its full path and query
    string; our own access line replaces it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("%s - - [%s] %s"))


def init_request_log(app: Flask) -> None:
    # First of all before_request hooks, so every later log line carries the id.
    app.before_request_funcs.setdefault(None, []).insert(0, _start_request)
    app.after_request(_finish_request)
    werkzeug_log = logging.getLogger("werkzeug")
    if not any(isinstance(f, _DropServerAccessLines) for f in werkzeug_log.filters):
        werkzeug_log.addFilter(_DropServerAccessLines())
