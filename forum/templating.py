"""Jinja set-up shared by every page: the NHS.UK template loader, safe defaults and helpers.

Call ``init_templating(app)`` once in the app factory, after the config is loaded.

Static files: the app serves the repo-root ``static/`` folder at ``/static``. The NHS.UK
frontend files are copied into ``static/vendor/nhsuk-frontend/`` by
``scripts/fetch-assets.sh`` (never committed), so ``vendor_asset("nhsuk-frontend.min.css")``
is just ``url_for("static", filename="vendor/nhsuk-frontend/nhsuk-frontend.min.css")``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import Flask, current_app, get_flashed_messages, url_for
from jinja2 import ChainableUndefined, ChoiceLoader, PackageLoader
from markupsafe import Markup

log = logging.getLogger(__name__)

VENDOR_DIR = "vendor/nhsuk-frontend"

DEFAULT_SERVICE_NAME = "Alongside"

# Shown on the "Need help now?" page. Deployments can replace the whole list with
# config["CRISIS_CONTACTS"]; each entry is {name, detail, href} and href may be empty.
DEFAULT_CRISIS_CONTACTS: list[dict[str, str]] = [
    {
        "name": "Samaritans",
        "detail": "Call 116 123. It is free and open any time, day or night.",
        "href": "tel:116123",
    },
    {
        "name": "NHS 111",
        "detail": "Call 111 for urgent help. Choose option 2 for mental health support.",
        "href": "tel:111",
    },
    {
        "name": "Emergency",
        "detail": "Call 999 or go to A&E if you or someone else is in danger right now.",
        "href": "tel:999",
    },
    {
        "name": "Shout",
        "detail": "Text SHOUT to 85258 to talk by text message. It is free and open any time.",
        "href": "sms:85258",
    },
]

DEFAULT_CRISIS_HELP_TEXT = (
    "If you are struggling right now, you do not have to wait. "
    "These services are free and can help straight away."
)

# Spelled out rather than strftime("%B"), which follows the server's locale.
_MONTHS = (
    "January February March April May June July August September October November December"
).split()


def describe_seconds(seconds: int) -> str:
    """How long a link lasts, in words: "24 hours", "60 minutes" (pages and emails)."""
    seconds = int(seconds)
    if seconds >= 7200 and seconds % 3600 == 0:
        return f"{seconds // 3600} hours"
    minutes = max(1, seconds // 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def safe_flashed_messages(with_categories: bool = False,
                          category_filter: Any = ()) -> list[Any]:
    """Flask's ``get_flashed_messages`` for templates, keeping only (category, text) pairs
    of strings, as ``flash()`` writes them.

    ``_flashes`` comes from the session cookie; a forged one (someone with SECRET_KEY) or a
    bug of ours can hold anything JSON can (a string, a dict, a list of numbers), and the
    layout's ``for category, message in ...`` would then fail on every page: a 500 loop
    until the cookie goes. Anything else is dropped, with one warning line that says
    nothing of what was there."""
    raw = get_flashed_messages(with_categories=True)
    items = raw if isinstance(raw, list | tuple) else None
    pairs = [(item[0], item[1]) for item in items or ()
             if isinstance(item, list | tuple) and len(item) == 2
             and isinstance(item[0], str) and isinstance(item[1], str)]
    if raw and (items is None or len(pairs) != len(items)):
        log.warning("Ignored malformed flashed messages in a session")
    if category_filter:
        pairs = [pair for pair in pairs if pair[0] in category_filter]
    return pairs if with_categories else [message for _, message in pairs]


def init_templating(app: Flask) -> None:
    """Configure ``app.jinja_env`` for our templates plus the nhsuk-frontend-jinja macros."""
    env = app.jinja_env
    # Our own templates (the app's loader, which also covers blueprint folders) win;
    # the NHS.UK macros are found under "nhsuk/components/..." after them.
    if not getattr(env, "_alongside_templating", False):
        env.loader = ChoiceLoader([env.loader, PackageLoader("nhsuk_frontend_jinja")])
        env._alongside_templating = True  # type: ignore[attr-defined]  # no double wrap
    # The NHS.UK macros read optional nested params such as params.formGroup.classes,
    # which needs ChainableUndefined (their README says so).
    env.undefined = ChainableUndefined
    # Flask only autoescapes .html files by default. The NHS.UK macros are .jinja
    # files and print labels, hints and errors that can hold member text, so
    # escaping must be on for every template, whatever its extension.
    env.autoescape = True
    env.trim_blocks = True
    env.lstrip_blocks = True

    app.config.setdefault("SERVICE_NAME", DEFAULT_SERVICE_NAME)
    app.config.setdefault("CRISIS_CONTACTS", DEFAULT_CRISIS_CONTACTS)
    app.config.setdefault("CRISIS_HELP_TEXT", DEFAULT_CRISIS_HELP_TEXT)
    app.config.setdefault("DISPLAY_TIMEZONE", "Europe/London")

    env.globals["vendor_asset"] = vendor_asset
    env.globals["get_flashed_messages"] = safe_flashed_messages
    env.globals["has_endpoint"] = has_endpoint
    # The app's CSP code provides the real csp_nonce; until then, and in small test
    # apps, script tags get an empty nonce rather than a template error.
    env.globals.setdefault("csp_nonce", _no_nonce)
    if "csrf_token" not in env.globals:
        # CSRFProtect normally registers this. The sign-out form in the layout needs it
        # even in apps that only use FlaskForm, so fall back to Flask-WTF's generator.
        from flask_wtf.csrf import generate_csrf

        env.globals["csrf_token"] = generate_csrf

    # cached_fragment and memo_macro, used by the layout and the busiest pages.
    from forum.render_cache import init_render_cache

    init_render_cache(app)
    # page_slot; csp_nonce and csrf_token go through it (whole pages kept by some views).
    from forum.page_cache import init_page_cache

    init_page_cache(app)
    env.globals["notification_badge"] = notification_badge

    env.filters["format_datetime"] = format_datetime
    env.filters["duration"] = describe_seconds
    env.filters["format_date"] = format_date
    env.filters["time_ago"] = time_ago
    env.filters["isoformat"] = isoformat
    app.context_processor(_service_name)


def notification_badge(count: int) -> Markup:
    """The unread count after "Notifications" in the layout (nothing when there is none)."""
    if not count:
        return Markup("")
    return Markup(' <span class="app-count">{}<span class="nhsuk-u-visually-hidden"> unread'
                  '</span></span>').format(count)


def vendor_asset(path: str) -> str:
    """URL of a copied nhsuk-frontend file, e.g. ``vendor_asset("assets/images/favicon.ico")``."""
    return url_for("static", filename=f"{VENDOR_DIR}/{path.lstrip('/')}")


def has_endpoint(name: str) -> bool:
    """True if the app has a view called ``name``, so links to unbuilt blueprints can be hidden."""
    return name in current_app.view_functions


def _no_nonce() -> str:
    return ""


def _display_zone() -> ZoneInfo:
    name = current_app.config.get("DISPLAY_TIMEZONE", "Europe/London")
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        # Better an hour out in summer than a broken page; log so it gets fixed.
        log.warning("time zone %r not found; showing times in UTC", name)
        return ZoneInfo("UTC")


def _local(value: datetime) -> datetime:
    # Naive datetimes from the database are stored as UTC by convention.
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(_display_zone())


def _clock(value: datetime) -> str:
    # NHS and GOV.UK style: 9am, 3:05pm, midday, midnight.
    if value.minute == 0:
        if value.hour == 0:
            return "midnight"
        if value.hour == 12:
            return "midday"
    hour = value.hour % 12 or 12
    suffix = "am" if value.hour < 12 else "pm"
    minutes = f":{value.minute:02d}" if value.minute else ""
    return f"{hour}{minutes}{suffix}"


def format_date(value: datetime | None) -> str:
    """``26 November 2026`` in the display time zone."""
    if value is None:
        return ""
    local = _local(value)
    return f"{local.day} {_MONTHS[local.month - 1]} {local.year}"


def format_datetime(value: datetime | None) -> str:
    """``26 November 2026 at 3:05pm`` in the display time zone (UK time by default)."""
    if value is None:
        return ""
    local = _local(value)
    return f"{format_date(local)} at {_clock(local)}"


def time_ago(value: datetime | None, now: datetime | None = None) -> str:
    """A short relative time: ``just now``, ``5 minutes ago``, ``yesterday``, or the date.

    Use it inside ``<time datetime="{{ dt|isoformat }}" title="{{ dt|format_datetime }}">``
    so the exact time is still available.
    """
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    now = now or datetime.now(UTC)
    seconds = int((now - value).total_seconds())
    # Small clock differences can put a new post slightly in the future.
    if seconds < 60:
        return "just now"
    minutes = seconds // 60
    if minutes < 60:
        return "1 minute ago" if minutes == 1 else f"{minutes} minutes ago"
    hours = minutes // 60
    if hours < 24:
        return "1 hour ago" if hours == 1 else f"{hours} hours ago"
    days = (_local(now).date() - _local(value).date()).days
    if days <= 1:
        return "yesterday"
    if days < 7:
        return f"{days} days ago"
    return format_date(value)


def isoformat(value: datetime | None) -> str:
    """Machine-readable UTC time for ``<time datetime="...">``."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _service_name() -> dict[str, Any]:
    return {"service_name": current_app.config.get("SERVICE_NAME") or DEFAULT_SERVICE_NAME}
