"""Settings for each environment, overridden by environment variables.

``FORUM_ENV`` picks the environment (development, test, production). Every setting is
declared once in :data:`SETTINGS` with its default and meaning; the README's settings
table is checked against this list by a test, so the two cannot drift apart.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent

DEFAULT_CRISIS_CONTACTS: list[dict[str, str]] = [
    {
        "name": "Samaritans",
        "detail": "Call 116 123, free, any time, day or night.",
        "href": "tel:116123",
    },
    {
        "name": "NHS 111",
        "detail": "Call 111 for urgent help. Choose option 2 for mental health.",
        "href": "tel:111",
    },
    {
        "name": "999",
        "detail": "In an emergency, or if your life is at risk, call 999 or go to A&E.",
        "href": "tel:999",
    },
]


# Minutes: high acknowledged within 15 and acted on within 60; medium within 4 hours;
# low within 3 days.
DEFAULT_ESCALATION_TARGETS: dict[str, dict[str, int]] = {
    "high": {"ack": 15, "act": 60},
    "medium": {"ack": 240, "act": 240},
    "low": {"ack": 4320, "act": 4320},
}


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    meaning: str
    kind: str = "str"  # str, int, bool, json
    secret: bool = False


SETTINGS: list[Setting] = [
    Setting("FORUM_ENV", "development", "Which defaults to use: development, test or production."),
    Setting("SECRET_KEY", "dev-only-not-secret",
            "Signs sessions, CSRF tokens and emailed links. Required in production.", secret=True),
    Setting("DATABASE_URL", "sqlite:///instance/alongside.db",
            "Where the data lives: a SQLite file (embedded) or postgresql+psycopg://… (scale)."),
    Setting("REDIS_URL", "",
            "Empty for embedded mode. Set (redis://…) for scale mode: Socket.IO message "
            "queue, rate limits and background jobs go through Redis."),
    Setting("SERVICE_NAME", "Alongside", "The service's name, shown in the header and emails."),
    Setting("CRISIS_HELP_TEXT",
            "If you feel you cannot keep yourself safe right now, get help straight away.",
            "The sentence shown above the crisis contacts on every \"Need help now?\" page."),
    Setting("CRISIS_CONTACTS", DEFAULT_CRISIS_CONTACTS,
            "JSON list of {name, detail, href}: the crisis contacts shown to members "
            "(two or three, as Samaritans advise).", kind="json"),
    Setting("POSTS_PER_PAGE", 25, "Posts shown on one page of a thread.", kind="int"),
    Setting("THREADS_PER_PAGE", 30, "Threads shown on one page of a board.", kind="int"),
    Setting("RENDER_CACHE_KB", 8192,
            "Memory (KB, per server process) for rendered pieces of pages that look the same "
            "to every reader, such as a post's header and body. 0 turns the cache off.",
            kind="int"),
    Setting("PAGE_CACHE_KB", 16384,
            "Memory (KB, per server process) for whole thread pages, kept by what they show "
            "and for which kind of reader, so a page nobody changed is not built again. "
            "0 turns the cache off.", kind="int"),
    Setting("FRESH_ANSWER_SECONDS", 1.0,
            "At most how long (seconds) a server process gives again a database answer it "
            "read, such as what a thread page shows, while no write has been committed "
            "anywhere since (in scale mode, processes hear each other's writes through "
            "Redis). 0 asks the database every time.", kind="float"),
    Setting("MAX_POST_LENGTH", 20000, "The longest post body accepted, in characters.", kind="int"),
    Setting("MAX_CONTENT_LENGTH", 1_000_000, "The largest request body accepted, in bytes.",
            kind="int"),
    Setting("BASE_URL", "http://127.0.0.1:5000",
            "The site's public address, used for absolute links in the API and emails, and the "
            "origin browsers may open live updates from. Unset, `forum run` uses the address "
            "it serves (its --host and --port)."),
    Setting("MAIL_SERVER", "",
            "SMTP host. Empty: mail is written to the log instead (development)."),
    Setting("MAIL_PORT", 25, "SMTP port.", kind="int"),
    Setting("MAIL_USERNAME", "", "SMTP user name, if the server needs one."),
    Setting("MAIL_PASSWORD", "", "SMTP password, if the server needs one.", secret=True),
    Setting("MAIL_USE_TLS", False, "Use STARTTLS when sending mail.", kind="bool"),
    Setting("MAIL_DEFAULT_SENDER", "Alongside <no-reply@alongside.invalid>",
            "The From address of account mail."),
    Setting("PASSWORD_RESET_MAX_AGE", 3600,
            "Seconds a password-reset link stays valid.", kind="int"),
    Setting("REGISTRATION_LINK_MAX_AGE", 86400,
            "Seconds the emailed link that finishes creating an account stays valid.",
            kind="int"),
    Setting("EMAIL_CHANGE_LINK_MAX_AGE", 86400,
            "Seconds the link sent to a new email address (which makes the change) stays "
            "valid.", kind="int"),
    Setting("REMEMBER_COOKIE_DAYS", 30, "How long \"remember me\" keeps a member signed in.",
            kind="int"),
    Setting("SESSION_COOKIE_SECURE", False, "Send cookies over HTTPS only (on in production).",
            kind="bool"),
    Setting("DEBUG", False, "Flask debug mode. Never on in production.", kind="bool"),
    Setting("DEMO_CONTENT", True,
            "Load demo boards, members and conversations when the database is empty "
            "(development only).", kind="bool"),
    Setting("SOCKETIO_ASYNC_MODE", "threading",
            "Socket.IO async mode: threading (embedded, make run) or gevent (make serve)."),
    Setting("SOCKETIO_CHANNEL", "alongside",
            "The Redis channel (and presence key prefix) Socket.IO uses in scale mode. "
            "Servers that should reach each other's clients share it."),
    Setting("SCHEDULER_ENABLED", True,
            "Run background jobs (notification email) inside the web process. Turn off where "
            "`forum jobs run` runs them instead (scale mode).", kind="bool"),
    Setting("JOBS_INTERVAL_SECONDS", 30, "Seconds between background job runs.", kind="int"),
    Setting("DIGEST_HOUR", 7,
            "Hour (UTC, 0-23) when daily and weekly (Monday) summary emails go out.", kind="int"),
    Setting("PRESENCE_INTERVAL_SECONDS", 2.0,
            "At most how often a thread's readers hear how many people are reading it.",
            kind="float"),
    Setting("LOG_FORMAT", "text", "text (development) or json (one object a line, production)."),
    Setting("TRUSTED_PROXY_HOPS", 0,
            "How many reverse proxies in front of the app to trust for the client's address "
            "and scheme (X-Forwarded-*). 0 trusts none.", kind="int"),
    Setting("RATELIMIT_ENABLED", True,
            "Rate limits on sign-in, reset, registration, posting, reports, tokens and the API "
            "(off in the test environment except in the security tests).", kind="bool"),
    Setting("PRIVACY_CONTACT", "privacy@alongside.invalid",
            "Where members write about their data (the data protection contact), shown on the "
            "privacy page."),
    Setting("SECURITY_CONTACT", "security@alongside.invalid",
            "Where to report a security problem, shown on the privacy page and in "
            "/.well-known/security.txt."),
    Setting("DATA_CONTROLLER", "the organisation that runs Alongside",
            "Who is responsible for members' data (the controller), named on the privacy page."),
    Setting("AUDIT_RETENTION_DAYS", 730,
            "Days audit entries are kept before the daily purge deletes them.", kind="int"),
    Setting("MODERATION_RETENTION_DAYS", 1095,
            "Days closed moderation cases, staff notes, notices, appeals, ended sanctions "
            "and cleared handover notes are kept.", kind="int"),
    Setting("SAFEGUARDING_RETENTION_DAYS", 2190,
            "Days escalated (safeguarding) cases are kept after they close, and escalations "
            "after they are resolved.", kind="int"),
    Setting("IP_RETENTION_DAYS", 30, "Days the network (IP) address of a sign-in, and the rough "
            "network shown with a session, are kept.",
            kind="int"),
    Setting("DELETED_CONTENT_RETENTION_DAYS", 90,
            "Days earlier versions of deleted posts, and the copies of reported posts kept "
            "with a closed (not escalated) case, are kept.", kind="int"),
    Setting("READ_NOTIFICATION_RETENTION_DAYS", 90, "Days read notifications are kept.",
            kind="int"),
    Setting("EMAIL_JOB_RETENTION_DAYS", 30,
            "Days records of sent or cancelled notification and account emails are kept.",
            kind="int"),
    Setting("PURGE_INTERVAL_SECONDS", 3600,
            "Seconds between retention purges run by the background jobs.", kind="int"),
    Setting("ESCALATION_TARGETS", DEFAULT_ESCALATION_TARGETS,
            "JSON: minutes per risk tier to acknowledge (ack) and act on (act) an escalation "
            "before it moves up a level. A tier left out keeps its default; a bad value "
            "stops the start.", kind="json"),
    Setting("OUT_OF_HOURS_ENABLED", True,
            "When no trained facilitator is on duty for a board: show the \"not being "
            "watched\" banner, hold risky posts and let report-count hides wait for a person "
            "(off in the test environment except in its own tests).", kind="bool"),
    Setting("SITE_LAUNCH_YEAR", 2026,
            "The year the site opened. Rota shifts may start from the year before it and "
            "at most two years ahead.", kind="int"),
    Setting("UNANSWERED_HOURS", 24,
            "Hours without a reply before a conversation is listed as unanswered.", kind="int"),
    Setting("UNANSWERED_LOOKBACK_DAYS", 14,
            "How far back the unanswered-posts list looks, in days.", kind="int"),
    Setting("TRAINING_REMINDER_DAYS", 30,
            "Days before a facilitator's training expires that a renewal reminder is emailed.",
            kind="int"),
    Setting("MEMBER_SESSION_IDLE_MINUTES", 120,
            "A member's sign-in ends after this many minutes without a visit (without "
            "\"keep me signed in\").", kind="int"),
    Setting("MEMBER_REMEMBERED_IDLE_DAYS", 14,
            "With \"keep me signed in\", a member's sign-in ends after this many days "
            "without a visit.", kind="int"),
    Setting("MEMBER_SESSION_MAX_DAYS", 30,
            "A member's sign-in ends this many days after it began, however active.", kind="int"),
    Setting("STAFF_SESSION_IDLE_MINUTES", 30,
            "A facilitator's or admin's sign-in ends after this many minutes without a visit.",
            kind="int"),
    Setting("STAFF_SESSION_MAX_HOURS", 12,
            "A facilitator's or admin's sign-in ends this many hours after it began.", kind="int"),
]

ENVIRONMENT_DEFAULTS: dict[str, dict[str, Any]] = {
    "development": {"DEBUG": False, "DEMO_CONTENT": True},
    "test": {
        "TESTING": True,
        "DEMO_CONTENT": False,
        "DATABASE_URL": "sqlite://",
        # Tests see every presence change at once; tests/forum/realtime sets an interval.
        "PRESENCE_INTERVAL_SECONDS": 0.0,
        "SECRET_KEY": "test-secret-key-not-for-use",
        # Most tests post forms directly; tests/security checks CSRF with it switched on.
        "WTF_CSRF_ENABLED": False,
        # Most tests make many requests quickly; tests/security switches limits on.
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://localhost",
        "SCHEDULER_ENABLED": False,
        # Most tests have nobody on duty; tests/moderation/duty switches it on.
        "OUT_OF_HOURS_ENABLED": False,
        # Tests sign people in by writing "<id>:<version>" into the session; real sign-ins
        # always carry a session key, and outside tests an id without one is refused.
        "ALLOW_KEYLESS_SESSIONS": True,
    },
    "production": {"DEMO_CONTENT": False, "SESSION_COOKIE_SECURE": True, "LOG_FORMAT": "json"},
}

PLACEHOLDER_SECRETS = {"", "dev-only-not-secret", "change-me", "secret"}


class ConfigError(RuntimeError):
    """The settings cannot run the service; the message says why in one line."""


def _parse(setting: Setting, raw: str) -> Any:
    if setting.kind == "int":
        return int(raw)
    if setting.kind == "float":
        return float(raw)
    if setting.kind == "bool":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if setting.kind == "json":
        return json.loads(raw)
    return raw


def load_config(env: str | None = None, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build settings: declared defaults, the environment's, env vars, then overrides."""
    env_name = env or os.environ.get("FORUM_ENV", "development")
    if env_name not in ENVIRONMENT_DEFAULTS:
        choices = ", ".join(ENVIRONMENT_DEFAULTS)
        raise ConfigError(f"FORUM_ENV must be one of {choices}, not {env_name!r}.")
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}
    values.update(ENVIRONMENT_DEFAULTS[env_name])
    values["FORUM_ENV"] = env_name
    for setting in SETTINGS:
        raw = os.environ.get(setting.name)
        if raw is not None and setting.name != "FORUM_ENV":
            try:
                values[setting.name] = _parse(setting, raw)
            except ValueError as exc:
                raise ConfigError(f"{setting.name} is not a valid {setting.kind}: {exc}") from exc
    values.update(overrides or {})
    values["SESSION_COOKIE_HTTPONLY"] = True
    values["SESSION_COOKIE_SAMESITE"] = "Lax"
    values["REMEMBER_COOKIE_HTTPONLY"] = True
    values["REMEMBER_COOKIE_SAMESITE"] = "Lax"
    values["REMEMBER_COOKIE_SECURE"] = values["SESSION_COOKIE_SECURE"]
    values["ESCALATION_TARGETS"] = escalation_targets(values.get("ESCALATION_TARGETS"))
    if env_name == "production":
        validate_production(values)
    return values


def escalation_targets(raw: Any) -> dict[str, dict[str, int]]:
    """``ESCALATION_TARGETS`` checked at start-up and completed from the defaults: a tier
    left out keeps its default; anything else wrong stops the start, because a bad value
    found later would stop escalations opening or moving up a level."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError("ESCALATION_TARGETS must be a JSON object such as "
                          '{"high": {"ack": 15, "act": 60}}.')
    unknown = sorted(set(raw) - set(DEFAULT_ESCALATION_TARGETS))
    if unknown:
        raise ConfigError(f"ESCALATION_TARGETS has unknown risk tiers: {', '.join(unknown)} "
                          "(use high, medium and low).")
    table: dict[str, dict[str, int]] = {}
    for tier, default in DEFAULT_ESCALATION_TARGETS.items():
        row = raw.get(tier, default)
        if not isinstance(row, dict) or set(row) != {"ack", "act"}:
            raise ConfigError(f'ESCALATION_TARGETS["{tier}"] must give "ack" and "act" in '
                              "minutes, and nothing else.")
        for key, minutes in row.items():
            if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 1:
                raise ConfigError(f'ESCALATION_TARGETS["{tier}"]["{key}"] must be a whole '
                                  "number of minutes, at least 1.")
        table[tier] = {"ack": row["ack"], "act": row["act"]}
    return table


def validate_production(values: dict[str, Any]) -> None:
    """Refuse to start production with a placeholder secret or debug on."""
    secret = str(values.get("SECRET_KEY") or "")
    if secret in PLACEHOLDER_SECRETS or len(secret) < 32:
        raise ConfigError(
            "SECRET_KEY must be set to a random value of at least 32 characters in production."
        )
    if values.get("DEBUG"):
        raise ConfigError("DEBUG must be off in production.")
