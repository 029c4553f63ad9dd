from __future__ import annotations

import re
from pathlib import Path

import pytest

from config import SETTINGS, ConfigError, load_config

README = Path(__file__).resolve().parents[2] / "README.md"


def test_production_refuses_placeholder_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config("production")


def test_production_refuses_debug(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("DEBUG", "true")
    with pytest.raises(ConfigError, match="DEBUG"):
        load_config("production")


def test_production_starts_with_real_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    monkeypatch.delenv("DEBUG", raising=False)
    values = load_config("production")
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["REMEMBER_COOKIE_SECURE"] is True


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTS_PER_PAGE", "50")
    monkeypatch.setenv("SERVICE_NAME", "Kidney Peers")
    values = load_config("development")
    assert values["POSTS_PER_PAGE"] == 50
    assert values["SERVICE_NAME"] == "Kidney Peers"


def test_bad_number_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POSTS_PER_PAGE", "lots")
    with pytest.raises(ConfigError, match="POSTS_PER_PAGE"):
        load_config("development")


def test_unknown_environment_is_refused() -> None:
    with pytest.raises(ConfigError, match="FORUM_ENV"):
        load_config("staging-ish")


def test_readme_documents_every_setting() -> None:
    text = README.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", text, flags=re.MULTILINE))
    missing = {s.name for s in SETTINGS} - documented
    assert missing == set()


def test_escalation_targets_are_completed_from_the_defaults(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ESCALATION_TARGETS", '{"high": {"ack": 5, "act": 30}}')
    targets = load_config("test")["ESCALATION_TARGETS"]
    assert targets["high"] == {"ack": 5, "act": 30}
    assert targets["medium"] == {"ack": 240, "act": 240}
    assert targets["low"] == {"ack": 4320, "act": 4320}


@pytest.mark.parametrize("raw, says", [
    ("[15, 60]", "JSON object"),
    ('{"urgent": {"ack": 5, "act": 30}}', "unknown risk tiers: urgent"),
    ('{"high": {"ack": 5}}', '"ack" and "act"'),
    ('{"high": {"ack": 0, "act": 30}}', "at least 1"),
    ('{"high": {"ack": "15", "act": 30}}', "whole number"),
    ('{"medium": {"ack": 2.5, "act": 30}}', "whole number"),
])
def test_a_bad_escalation_target_stops_the_start(monkeypatch: pytest.MonkeyPatch, raw: str,
                                                  says: str) -> None:
    monkeypatch.setenv("ESCALATION_TARGETS", raw)
    with pytest.raises(ConfigError, match="ESCALATION_TARGETS") as err:
        load_config("test")
    assert says in str(err.value)
