"""A soft, temporary slow-down after repeated failed sign-ins for one login name.

Called by the sign-in view (and the API's token endpoint), which owns the decision::

    from forum.security import login_throttle

    wait = login_throttle.is_throttled(form.login.data)
    if wait:
        ...show "Please wait {wait} seconds and try again" (same words for every login)
    elif sign-in fails:
        login_throttle.record_failure(form.login.data)
    else:
        login_throttle.record_success(form.login.data)

After :data:`FAILURES` failures within :data:`WINDOW_SECONDS`, one attempt is allowed every
:data:`SLOW_DOWN_SECONDS`, so the owner can still get in (and a reset link always works) and
nothing lasts longer than the failure window. It counts by the *typed* login string, hashed
with the app secret, whether or not such an account exists, so it never reveals whether an
account exists. It uses the rate limiter's storage (Redis in scale mode, memory otherwise),
falls back to this process's memory if Redis is down, and is off when rate limits are off.
It changes no database rows, audits nothing and emits nothing.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import TypeVar

from flask import current_app
from flask_limiter import Limiter
from limits import RateLimitItemPerSecond, parse
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter

from forum.security.ratelimit import private_digest

log = logging.getLogger(__name__)

FAILURES = 5
WINDOW_SECONDS = 30 * 60
SLOW_DOWN_SECONDS = 60

FAILURE_LIMIT = parse(f"{FAILURES} per {WINDOW_SECONDS} seconds")
SLOW_DOWN_LIMIT = RateLimitItemPerSecond(1, SLOW_DOWN_SECONDS)
NAMESPACE = "sign-in-failures"

T = TypeVar("T")


def _limiter() -> Limiter | None:
    limiter: Limiter | None = current_app.extensions.get("forum_limiter")
    if limiter is None or not limiter.enabled or not limiter.initialized:
        return None
    return limiter


def _fallback() -> RateLimiter:
    strategy: RateLimiter | None = current_app.extensions.get("forum_login_throttle_memory")
    if strategy is None:
        strategy = MovingWindowRateLimiter(MemoryStorage())
        current_app.extensions["forum_login_throttle_memory"] = strategy
    return strategy


def _run(call: Callable[[RateLimiter], T]) -> T | None:
    limiter = _limiter()
    if limiter is None:
        return None
    try:
        return call(MovingWindowRateLimiter(limiter.storage))
    except Exception as exc:  # noqa: BLE001 - a storage outage must not stop sign-in
        log.warning("sign-in throttle storage unavailable (%s); counting in memory",
                    type(exc).__name__)
        return call(_fallback())


def _key(login: str) -> str:
    return private_digest(login)


def record_failure(login: str) -> None:
    """Count one failed sign-in for the typed ``login`` (existing account or not)."""
    key = _key(login)

    def _hit(strategy: RateLimiter) -> None:
        if not strategy.hit(FAILURE_LIMIT, NAMESPACE, key):
            # Already slowed down: this attempt uses up the next slot.
            strategy.hit(SLOW_DOWN_LIMIT, NAMESPACE, "slow", key)

    _run(_hit)


def record_success(login: str) -> None:
    """Forget the failures for ``login`` once its owner has signed in."""
    key = _key(login)

    def _clear(strategy: RateLimiter) -> None:
        strategy.clear(FAILURE_LIMIT, NAMESPACE, key)
        strategy.clear(SLOW_DOWN_LIMIT, NAMESPACE, "slow", key)

    _run(_clear)


def is_throttled(login: str) -> int:
    """Seconds to wait before the next attempt for ``login`` (0: go ahead)."""
    key = _key(login)

    def _check(strategy: RateLimiter) -> int:
        if strategy.test(FAILURE_LIMIT, NAMESPACE, key):
            return 0
        if strategy.test(SLOW_DOWN_LIMIT, NAMESPACE, "slow", key):
            return 0
        reset_at, _remaining = strategy.get_window_stats(SLOW_DOWN_LIMIT, NAMESPACE, "slow", key)
        return max(1, math.ceil(reset_at - time.time()))

    return _run(_check) or 0
