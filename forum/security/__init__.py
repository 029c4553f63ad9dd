"""Cross-cutting protection: headers, request ids and access log, health checks, rate limits.

``init_security(app)`` is called once at the end of ``create_app``, after every blueprint
is registered (the rate limits are applied to endpoints by name). Nothing here changes
data, audits or emits.

- :mod:`.headers`: CSP with a nonce, nosniff, Referrer-Policy, no-store on private pages.
- :mod:`.request_log`: X-Request-ID and one access line per request.
- :mod:`.health`: ``/healthz`` and ``/readyz``.
- :mod:`.ratelimit` and :mod:`.limits`: Flask-Limiter and the table of limits.
- :mod:`.login_throttle`: the soft slow-down after failed sign-ins (called by sign-in).
- :mod:`.null_chars` and :mod:`.no_files`: NUL characters and files refused before any view.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix


def init_proxy(app: Flask) -> None:
    """Trust X-Forwarded-* only from the configured number of proxies in front of us."""
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)


def init_cookies(app: Flask) -> None:
    """Session and remember-me cookies: HttpOnly, SameSite=Lax, Secure in production."""
    secure = bool(app.config.get("SESSION_COOKIE_SECURE"))
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=secure,
        # Flask-Login's default is 365 days.
        REMEMBER_COOKIE_DURATION=timedelta(days=int(app.config["REMEMBER_COOKIE_DAYS"])),
    )


class KeptSerializerSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer made once per secret
    key rather than on every request (building one also test-encodes a value: about a
    twentieth of a kept thread page's time)."""

    def __init__(self) -> None:
        self._kept: tuple[Any, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()),
               app.config.get("SESSION_COOKIE_NAME"))
        kept = self._kept
        if kept is None or kept[0] != key:
            kept = self._kept = (key, super().get_signing_serializer(app))
        return kept[1]


def init_security(app: Flask) -> None:
    from forum.security.headers import init_headers
    from forum.security.health import init_health
    from forum.security.limits import apply_limits
    from forum.security.no_files import init_file_guard
    from forum.security.null_chars import init_null_guard
    from forum.security.ratelimit import init_limiter
    from forum.security.request_log import init_request_log

    init_headers(app)
    init_proxy(app)
    init_cookies(app)
    app.session_interface = KeptSerializerSessionInterface()
    init_request_log(app)
    init_null_guard(app)
    init_file_guard(app)
    init_health(app)
    init_limiter(app)
    apply_limits(app)
