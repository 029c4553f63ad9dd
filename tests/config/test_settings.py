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
