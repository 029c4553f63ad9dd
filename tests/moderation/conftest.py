"""Moderation test helpers: deterministic stand-ins for the automatic checks (the real
engine is tested on branch ``checks``), and shortcuts for staff and cases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import moderation.checks as engine
from moderation.checks.types import CheckResult, Finding

MARKERS = {
    "[risk]": Finding("risk.test", "risk", "high", "test risk", None, None),
    "[phone]": Finding("pii.phone", "pii", "high", "test phone", (0, 7), "phone"),
    "[spam]": Finding("spam.new_account_link", "spam", "medium", "test spam", (0, 6), "link"),
}


@pytest.fixture()
def fake_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Posts containing ``[risk]``, ``[phone]`` or ``[spam]`` get that finding. Not autouse:
    the engine's own tests (tests/moderation/checks) must see the real engine."""

    def run_checks(text: str, meta: object = None) -> CheckResult:
        return CheckResult([f for marker, f in MARKERS.items() if marker in text])

    monkeypatch.setattr(engine, "run_checks", run_checks)
    yield


LAYOUT_ENDPOINTS = {
    "accounts.login": "/sign-in",
    "accounts.register": "/register",
    "accounts.settings": "/settings",
    "accounts.logout": "/sign-out",
    "notifications.index": "/notifications",
}


@pytest.fixture(autouse=True, scope="session")
def _layout_endpoints(app):  # type: ignore[no-untyped-def]
    """The layout links to parts built on other branches; stand in for any still missing
    so these page tests run on this branch too (a no-op once they are merged)."""
    missing = {n: p for n, p in LAYOUT_ENDPOINTS.items() if n not in app.view_functions}
    if not missing:
        return
    started = app._got_first_request  # noqa: SLF001
    app._got_first_request = False  # noqa: SLF001
    try:
        for name, path in missing.items():
            app.add_url_rule(path, name, lambda: "stand-in", methods=["GET", "POST"])
    finally:
        app._got_first_request = started  # noqa: SLF001


# The real SMTP server on loopback (aiosmtpd) from tests/forum, for escalation alerts.
from tests.forum.conftest import mailbox  # noqa: E402,F401
