"""Every rate limit in one table, applied to endpoints by name.

:func:`apply_limits` runs at the end of ``create_app``, after every blueprint is registered,
and wraps each named view with Flask-Limiter limits, so the views themselves carry no
limit code. A name with no view yet is skipped (start-up never breaks);
``tests/security/test_limits.py`` checks every name exists once its blueprint does.

Rules with the same ``scope`` share one count, whichever endpoint is used: posting on a
page and through the API draw on the same allowance. Posting, reports and new threads
count only when they succeed, so a member who fixes a mistake in a form is not told to
slow down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, Response
from flask_limiter import Limiter

from forum.security.ratelimit import (
    LIMITED_ENDPOINTS,
    account_key,
    api_key,
    ip_key,
    is_new_member,
    submitted_address_key,
)


def _succeeded(response: Response) -> bool:
    return response.status_code < 400


def posting_limit() -> str:
    """New members (account under 7 days old) one post per 30 seconds, others one per 5."""
    return "1 per 30 seconds" if is_new_member() else "1 per 5 seconds"


@dataclass(frozen=True)
class Rule:
    limit: str | Callable[[], str]
    key: Callable[[], str]
    scope: str
    message: str
    methods: tuple[str, ...] | None = ("POST",)
    only_successes: bool = False


SIGN_IN = (
    Rule("6 per minute;30 per hour", ip_key, "sign-in",
         "You have tried to sign in a lot of times. Please wait a few minutes and try again. "
         "If you have forgotten your password, you can set a new one."),
)
RESET = (
    Rule("2 per hour", submitted_address_key, "reset-address",
         "We have already sent a link to set a new password, if that address has an account. "
         "Please check your inbox and spam folder, or try again in an hour."),
    Rule("10 per hour", ip_key, "reset-network",
         "Too many password reset requests have come from this connection. "
         "Please try again in an hour."),
)
REGISTER = (
    Rule("10 per hour", ip_key, "register",
         "Too many accounts have been created from this connection. "
         "Please try again in an hour."),
    # Each sign-up emails the address typed, account or not: stop anyone filling a
    # stranger's inbox. Counted only when the form was accepted, whatever the address.
    Rule("3 per hour", submitted_address_key, "register-address",
         "We have already sent several emails to that address. Please check your inbox "
         "and spam folder, or try again in an hour.", only_successes=True),
)
CHANGE_EMAIL = (
    # Each accepted try emails the address typed (a link, or a note to its owner): a few
    # an hour is plenty for a real change and stops anyone filling a stranger's inbox.
    # Wrong passwords count too, so the password cannot be guessed here either.
    Rule("5 per hour", account_key, "change-email",
         "You have tried to change your email address a lot of times. Please try again in "
         "an hour."),
)
POSTING = (
    Rule(posting_limit, account_key, "posting",
         "You are posting very quickly. Please wait a few seconds, then go back and send "
         "it again.", only_successes=True),
)
NEW_THREAD = POSTING + (
    Rule("20 per day", account_key, "new-threads",
         "You have started 20 conversations today, the most we allow in a day. You can "
         "still reply to conversations, and start new ones tomorrow.", only_successes=True),
)
REPORTS = (
    Rule("20 per hour", account_key, "reports",
         "Thank you for your reports. You have sent a lot in the last hour, so please wait "
         "a while before sending more. If someone is in danger now, call 999.",
         only_successes=True),
)
TOKENS = (
    Rule("10 per hour", account_key, "tokens",
         "You have created a lot of API tokens recently. Please try again in an hour."),
)
API_OVERALL = (
    Rule("300 per minute", api_key, "api",
         "Too many requests. Please slow down and try again after the time given in the "
         "Retry-After header.", methods=None),
)

#: endpoint name -> rules. One line per endpoint; add new endpoints here.
LIMITS: dict[str, tuple[Rule, ...]] = {
    "accounts.login": SIGN_IN,
    "accounts.request_reset": RESET,
    "accounts.register": REGISTER,
    "accounts.create_token": TOKENS,
    "accounts.change_email": CHANGE_EMAIL,
    "threads.reply": POSTING,
    "threads.new": NEW_THREAD,
    "api.reply": POSTING,
    "api.create_thread": NEW_THREAD,
    # The API's token endpoint takes a login and password: it is a sign-in too.
    "api.create_token": TOKENS + SIGN_IN,
    "moderation.report": REPORTS,
    # Reporting through the API draws on the same allowance as the page.
    "moderation_api.report": REPORTS,
}

#: Endpoints under these prefixes also get these rules (the API as a whole).
PREFIX_LIMITS: dict[str, tuple[Rule, ...]] = {
    "api.": API_OVERALL,
    # The moderation API (/api/v1/moderation/...) is its own blueprint: the same allowance.
    "moderation_api.": API_OVERALL,
}

_MARK = "_alongside_rate_limited"


def rules_for(endpoint: str) -> tuple[Rule, ...]:
    rules = LIMITS.get(endpoint, ())
    for prefix, extra in PREFIX_LIMITS.items():
        if endpoint.startswith(prefix):
            rules = rules + extra
    return rules


def apply_rules(app: Flask, endpoint: str, rules: tuple[Rule, ...]) -> bool:
    """Wrap one view with ``rules``; False if the endpoint does not exist or is done."""
    view = app.view_functions.get(endpoint)
    if view is None or getattr(view, _MARK, False) or not rules:
        return False
    limiter: Limiter = app.extensions["forum_limiter"]
    for rule in rules:
        view = limiter.shared_limit(
            rule.limit, scope=rule.scope, key_func=rule.key,
            methods=list(rule.methods) if rule.methods else None,
            error_message=rule.message,
            deduct_when=_succeeded if rule.only_successes else None,
        )(view)
    setattr(view, _MARK, True)
    app.view_functions[endpoint] = view
    # Flask-Limiter's per-request hooks run for these endpoints only (forum.security.ratelimit).
    app.extensions.setdefault(LIMITED_ENDPOINTS, set()).add(endpoint)
    return True


def apply_limits(app: Flask) -> list[str]:
    """Apply the table to every registered endpoint; returns the names newly limited.

    Safe to call again (tests add endpoints, then call it once more).
    """
    applied = []
    for endpoint in list(app.view_functions):
        if apply_rules(app, endpoint, rules_for(endpoint)):
            applied.append(endpoint)
    return applied


def expected_endpoints() -> list[str]:
    """Every endpoint name the table expects to exist once all features are merged."""
    return sorted(LIMITS)
