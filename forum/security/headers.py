"""Security headers on every response, and ``Cache-Control: no-store`` on private ones.

Registered by :func:`forum.security.init_security` as an ``after_request`` hook. It changes
only response headers; it audits and emits nothing.

The Content-Security-Policy allows scripts from our own origin that carry the request's
nonce (``g.csp_nonce``, printed by the ``csp_nonce()`` Jinja global), styles and images from
our own origin, the NHS.UK Frutiger fonts from assets.nhs.uk, and Socket.IO on our own host.
Nothing inline runs; nothing can frame the site; forms only post back to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Flask, Response, current_app, g, request, session

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

# Only features a peer-support forum could ever be asked for are listed, all switched off.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
HSTS = "max-age=63072000; includeSubDomains"
NHS_FONTS = "https://assets.nhs.uk"


def content_security_policy(nonce: str, host: str, secure: bool) -> str:
    """The policy for one response; ``host`` is the request's own host (for Socket.IO)."""
    rest = _rest_of_policy.get((host, secure))
    if rest is None:
        if len(_rest_of_policy) > 64:  # hosts come from requests: keep only a few
            _rest_of_policy.clear()
        rest = _rest_of_policy[host, secure] = "; ".join([
            "style-src 'self'",
            "img-src 'self' data:",
            f"font-src 'self' {NHS_FONTS}",
            f"connect-src 'self' {'wss' if secure else 'ws'}://{host}",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            "form-action 'self'",
        ])
    scripts = f"script-src 'self' 'nonce-{nonce}'" if nonce else "script-src 'self'"
    return f"default-src 'self'; {scripts}; {rest}"


# (host, secure) -> the directives after script-src, built once rather than per response.
_rest_of_policy: dict[tuple[str, bool], str] = {}


def is_private_response() -> bool:
    """Whether this answer is for a signed-in member or a token holder (never cache it).

    Decided from the request alone, without a database query, so that it still works
    while the database is down (the 503 page goes through here too).
    """
    if request.headers.get("Authorization"):
        return True
    login_user = g.get("_login_user")
    if login_user is not None and getattr(login_user, "is_authenticated", False):
        return True
    if "_user_id" in session:
        return True
    cookie_name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return cookie_name in request.cookies


def constant_headers(production: bool) -> list[tuple[str, str]]:
    """The headers every response carries whatever the request: worked out once, and
    appended without looking for earlier copies (no view sets any of them)."""
    found = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Cross-Origin-Opener-Policy", "same-origin"),
    ]
    if production:
        found.append(("Strict-Transport-Security", HSTS))
    return found


class ConstantHeaders:
    """WSGI middleware that adds :func:`constant_headers` to every response, Socket.IO's
    included: a list joined at the edge costs a fraction of setting them one by one on
    each response object."""

    def __init__(self, wsgi_app: WSGIApplication, headers: list[tuple[str, str]]) -> None:
        self.wsgi_app = wsgi_app
        self.headers = headers

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse
                 ) -> Iterable[bytes]:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            return start_response(status, headers + self.headers, exc_info)

        return self.wsgi_app(environ, start)


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(
        g.get("csp_nonce", ""), request.host, request.is_secure)
    # A board's address (/boards/hiv-support) is itself health data: never send it away.
    # A view may ask for stricter (the reset page's link carries a token: no-referrer).
    if "Referrer-Policy" not in headers:
        headers["Referrer-Policy"] = "same-origin"
    if request.endpoint != "static" and is_private_response():
        headers["Cache-Control"] = "no-store"
        headers.add("Vary", "Cookie")
    return response


def init_headers(app: Flask) -> None:
    """Before :func:`forum.security.init_proxy`: the proxy fix stays the outermost layer."""
    app.wsgi_app = ConstantHeaders(  # type: ignore[method-assign]
        app.wsgi_app, constant_headers(app.config.get("FORUM_ENV") == "production"))
    app.after_request(set_security_headers)
