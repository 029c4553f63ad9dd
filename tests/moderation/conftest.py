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


@pytest.fixture(autouse=True)
def fake_checks(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Posts containing ``[risk]``, ``[phone]`` or ``[spam]`` get that finding."""

    def run_checks(text: str, meta: object = None) -> CheckResult:
        return CheckResult([f for marker, f in MARKERS.items() if marker in text])

    monkeypatch.setattr(engine, "run_checks", run_checks)
    yield
