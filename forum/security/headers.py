"""Security headers on every response, and ``Cache-Control: no-store`` on private ones.

Registered by :func:`forum.security.init_security` as an ``after_request`` hook. It changes
only response headers; it audits and emits nothing.

The Content-Security-Policy allows scripts from our own origin that carry the request's
nonce (``g.csp_nonce``, printed by the ``csp_nonce()`` Jinja global), styles and images from
our own origin, the NHS.UK Frutiger fonts from assets.nhs.uk, and Socket.IO on our own host.
Nothing inline runs; nothing can frame the site; forms only post back to it.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g, request, session

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


def set_security_headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(
        g.get("csp_nonce", ""), request.host, request.is_secure)
    headers["X-Content-Type-Options"] = "nosniff"
    # A board's address (/boards/hiv-support) is itself health data: never send it away.
    # A view may ask for stricter (the reset page's link carries a token: no-referrer).
    headers.setdefault("Referrer-Policy", "same-origin")
    headers["X-Frame-Options"] = "DENY"
    headers["Permissions-Policy"] = PERMISSIONS_POLICY
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("FORUM_ENV") == "production":
        headers["Strict-Transport-Security"] = HSTS
    if request.endpoint != "static" and is_private_response():
        headers["Cache-Control"] = "no-store"
        headers.add("Vary", "Cookie")
    return response


def init_headers(app: Flask) -> None:
    app.after_request(set_security_headers)
