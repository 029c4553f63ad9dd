"""Domain errors raised inside actions and queries, and their one mapping to responses.

Actions speak in these; the handlers here turn them into a calm HTML page or the API's
one JSON error shape ``{"error": {"code", "message", "fields"}}``.
"""

from __future__ import annotations

import logging
import math
import time
from typing import Any

from flask import Flask, Response, current_app, g, jsonify, render_template, request
from flask_limiter import RateLimitExceeded
from markupsafe import escape
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class DomainError(Exception):
    status = 400
    code = "bad_request"
    default_message = "Something about that request was not right."

    def __init__(self, message: str | None = None, fields: dict[str, str] | None = None) -> None:
        self.message = message or self.default_message
        self.fields = fields or {}
        super().__init__(self.message)


class NotFound(DomainError):
    status = 404
    code = "not_found"
    default_message = "We could not find that page."


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    default_message = "You do not have permission to do that."


class Unauthorised(DomainError):
    status = 401
    code = "unauthorised"
    default_message = "Please sign in first."


class Invalid(DomainError):
    status = 422
    code = "invalid"
    default_message = "Some of the details need changing."


class Conflict(DomainError):
    status = 409
    code = "conflict"
    default_message = "That has changed since you loaded the page. Please try again."


HTTP_MESSAGES: dict[int, tuple[str, str]] = {
    400: ("Something went wrong with that request", "Please go back and try again."),
    401: ("Please sign in", "You need to sign in to see this page."),
    403: ("You cannot do that", "You do not have permission to do that."),
    404: ("Page not found", "If you typed the web address, check it is correct. "
          "If you pasted it, check you copied all of it."),
    405: ("That did not work", "That page cannot be used like that."),
    409: ("Something changed", "That has changed since you loaded the page. Please try again."),
    413: ("That is too big", "What you sent is too large. Please make it shorter and try again."),
    422: ("Some details need changing", "Please check what you entered and try again."),
    429: ("Please slow down",
          "You have done that too many times. Please wait a moment and try again."),
    500: ("Sorry, there is a problem with the service", "Please try again later. "
          "Nothing you wrote has been shared by this error."),
    503: ("The service is busy", "The service is busy, please try again in a moment."),
}

BUSY_MESSAGE = "The service is busy, please try again in a moment."
BUSY_RETRY_AFTER = "5"


def wants_json() -> bool:
    return request.path.startswith("/api/") or (
        request.accept_mimetypes.best == "application/json"
    )


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None,
                   headers: dict[str, str] | None = None) -> Response | tuple[Any, ...]:
    if wants_json():
        body = {"error": {"code": code, "message": message, "fields": fields or {}}}
        resp = jsonify(body)
        resp.status_code = status
    else:
        title, default_text = HTTP_MESSAGES.get(status, HTTP_MESSAGES[400])
        html = render_template("errors/error.html", status=status, title=title,
                               message=message or default_text, fields=fields or {})
        resp = Response(html, status=status, mimetype="text/html")
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def _plain_page(status: int, title: str, message: str) -> Response:
    """A page that needs nothing (no database, no layout) for when the database is down."""
    html = (f'<!DOCTYPE html><html lang="en-GB"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title></head><body><main>"
            f"<h1>{escape(title)}</h1><p>{escape(message)}</p>"
            f'<p><a href="/help/now">Need help now?</a></p></main></body></html>')
    return Response(html, status=status, mimetype="text/html")


def is_database_outage(exc: BaseException) -> bool:
    """A lost or refused database connection (not a bug such as a broken constraint)."""
    if isinstance(exc, OperationalError | PoolTimeoutError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)


def _rate_limit_retry_after() -> str:
    limiter = current_app.extensions.get("forum_limiter")
    try:
        current = limiter.current_limit if limiter is not None else None
        if current is not None:
            return str(max(1, math.ceil(current.window[0] - time.time())))
    except Exception:  # noqa: BLE001 - storage trouble: a safe default below
        log.warning("could not read the rate-limit window for Retry-After")
    return "60"


def init_errors(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError) -> Any:
        return error_response(exc.status, exc.code, exc.message, exc.fields)

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException) -> Any:
        status = exc.code or 500
        title, text = HTTP_MESSAGES.get(status, (exc.name, exc.description or ""))
        code = (exc.name or "error").lower().replace(" ", "_")
        headers = {}
        retry_after = getattr(exc, "retry_after", None)
        if status == 429 and exc.get_response().headers.get("Retry-After"):
            headers["Retry-After"] = exc.get_response().headers["Retry-After"]
        elif retry_after:
            headers["Retry-After"] = str(retry_after)
        elif status == 429:
            headers["Retry-After"] = _rate_limit_retry_after()
        if status == 405 and exc.get_response().headers.get("Allow"):
            headers["Allow"] = exc.get_response().headers["Allow"]
        message = text if wants_json() is False else (text or title)
        if isinstance(exc, RateLimitExceeded) and exc.limit.error_message:
            # The limit's own plain-English words (forum/security/limits.py).
            message = str(exc.description)
        return error_response(status, code, message, headers=headers)

    @app.errorhandler(DBAPIError)
    @app.errorhandler(PoolTimeoutError)
    def _database(exc: Exception) -> Any:
        if not is_database_outage(exc):
            return _unexpected(exc)
        # The type only: the message can hold SQL and parameters (member text).
        log.warning("database unavailable during %s %s (%s)", request.method,
                    request.endpoint or "-", type(getattr(exc, "orig", None) or exc).__name__)
        session = g.get("db_session")
        if session is not None:
            try:
                session.rollback()
            except Exception:  # noqa: BLE001 - the connection is already gone
                log.debug("rollback after a lost connection failed")
        headers = {"Retry-After": BUSY_RETRY_AFTER}
        try:
            return error_response(503, "service_busy", BUSY_MESSAGE, headers=headers)
        except Exception:  # noqa: BLE001 - the layout itself needed the database
            response = _plain_page(503, HTTP_MESSAGES[503][0], BUSY_MESSAGE)
            response.headers.update(headers)
            return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Any:
        # Log the type and place, never request bodies: they may hold health details.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "server_error", HTTP_MESSAGES[500][1])
