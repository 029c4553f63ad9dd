"""The app's Flask-Limiter instance and the keys requests are counted under.

:func:`init_limiter` is called by :func:`forum.security.init_security`; the limits
themselves are in :mod:`forum.security.limits`. Counts live in Redis in scale mode (so every
process shares them) and in memory otherwise. If Redis stops answering, Flask-Limiter falls
back to counting in this process's memory and goes back to Redis when it answers again, so
an outage never turns into errors for members.

Keys never hold an email address or a login name in clear: those are hashed with the
app's secret first.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import ipaddress
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask, current_app, g, request
from flask_limiter import Limiter

from forum.db import utcnow

NEW_MEMBER_DAYS = 7
#: app.extensions key: the endpoints that carry limits (forum.security.limits fills it).
LIMITED_ENDPOINTS = "forum_limited_endpoints"


def client_network() -> str:
    """The client's address, with IPv6 grouped by /64 (one home or phone gets a whole /64).

    ``request.remote_addr`` is already corrected by ProxyFix for the trusted hops only.
    """
    raw = request.remote_addr or "unknown"
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return raw
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.ip_network(f"{address}/64", strict=False))
    return str(address)


def ip_key() -> str:
    return f"ip:{client_network()}"


def _viewer_user_id() -> int | None:
    from forum.auth import current_viewer

    return current_viewer().id


def account_key() -> str:
    """Per member when signed in (cookie or token), per network otherwise."""
    user_id = _viewer_user_id()
    return f"user:{user_id}" if user_id is not None else ip_key()


def api_key() -> str:
    """Per API token when one is used, otherwise per signed-in member or network."""
    from forum.auth import bearer_token, current_viewer

    if bearer_token() is not None:
        current_viewer()  # resolves the token and sets g.api_token_id
        if g.get("api_token_id") is not None:
            return f"token:{g.api_token_id}"
    return account_key()


def private_digest(value: str) -> str:
    """A keyed hash of an email address or login name, for use as a counter key."""
    secret = str(current_app.config.get("SECRET_KEY") or "").encode("utf-8")
    normalised = value.strip().casefold().encode("utf-8")
    return hmac.new(secret, normalised, hashlib.sha256).hexdigest()[:32]


def submitted_address_key() -> str:
    """Per email address typed into a form or JSON body (hashed), else per network."""
    address = request.form.get("email", "")
    if not address and request.is_json:
        body = request.get_json(silent=True)
        if isinstance(body, dict) and isinstance(body.get("email"), str):
            address = body["email"]
    return f"address:{private_digest(address)}" if address.strip() else ip_key()


def is_new_member() -> bool:
    from forum.auth import current_viewer

    user = current_viewer().user
    if user is None or user.created_at is None:
        return True
    return user.created_at > utcnow() - timedelta(days=NEW_MEMBER_DAYS)


def init_limiter(app: Flask) -> Limiter:
    """Create this app's limiter (stored as ``app.extensions["forum_limiter"]``)."""
    redis_url = app.config.get("REDIS_URL") or ""
    app.config.setdefault("RATELIMIT_STORAGE_URI", redis_url or "memory://")
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")
    app.config.setdefault("RATELIMIT_KEY_PREFIX", "alongside")
    # A stopped or unreachable Redis must fail fast, then fall back to memory.
    if redis_url:
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS",
                              {"socket_connect_timeout": 1, "socket_timeout": 1})
    # Any other storage failure is logged, never turned into an error page.
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)
    enabled = bool(app.config.get("RATELIMIT_ENABLED", True))
    limiter = Limiter(ip_key, in_memory_fallback_enabled=True, headers_enabled=False)
    # Always set up fully, then honour the setting: the security tests switch limits on
    # for a test and off again on the shared test app.
    app.config["RATELIMIT_ENABLED"] = True
    limiter.init_app(app)
    app.config["RATELIMIT_ENABLED"] = enabled
    limiter.enabled = enabled
    app.extensions["forum_limiter"] = limiter
    app.extensions[LIMITED_ENDPOINTS] = set()
    confine_to_limited_endpoints(app, limiter)
    return limiter


def confine_to_limited_endpoints(app: Flask, limiter: Limiter) -> bool:
    """Run Flask-Limiter's per-request hooks only for endpoints that carry limits.

    Flask-Limiter checks every request in ``before_request`` for default limits, and in
    ``after_request`` deducts the limits that count only successes. This app has no
    default or application-wide limits: each limited endpoint is wrapped with its own
    (forum.security.limits), which checks itself. For the other endpoints, nearly every
    page, the hooks only cost time (about a tenth of a kept thread page's). False, with the
    hooks left as they are, if default limits are configured or the hooks are not found.
    """
    if any(app.config.get(name) for name in (
            "RATELIMIT_DEFAULT", "RATELIMIT_APPLICATION", "RATELIMIT_META")):
        return False
    limited: set[str] = app.extensions[LIMITED_ENDPOINTS]

    def confined(hook: Callable[..., Any], passthrough: bool) -> Callable[..., Any]:
        @functools.wraps(hook)
        def run(*args: Any) -> Any:
            if request.endpoint in limited:
                return hook(*args)
            return args[0] if passthrough else None
        run.__confined_limiter_hook__ = True  # type: ignore[attr-defined]
        return run

    def owned(hook: Any) -> bool:
        bound = getattr(hook, "__self__", None)
        partial_args = getattr(hook, "args", ())
        return bound is limiter or (bool(partial_args) and partial_args[0] is limiter)

    hooks = (app.before_request_funcs, False), (app.after_request_funcs, True), (
        app.teardown_request_funcs, False)
    found = [[f for f in table.get(None, []) if owned(f)] for table, _ in hooks]
    if any(len(own) != 1 for own in found):
        return False
    for (table, passthrough), (own,) in zip(hooks, found, strict=True):
        table[None] = [confined(f, passthrough) if f is own else f for f in table[None]]
    return True
