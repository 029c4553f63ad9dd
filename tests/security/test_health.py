"""/healthz, /readyz, and the calm 503 when the database is unreachable."""

from __future__ import annotations

import sys
import types
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.exc import IntegrityError, OperationalError

from forum import create_app


def test_healthz_answers_without_touching_anything(sclient: FlaskClient) -> None:
    response = sclient.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(sclient: FlaskClient) -> None:
    response = sclient.get("/readyz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"] == {"database": "ok", "redis": "not used"}


def test_readyz_names_what_failed(app: Flask, tmp_path: Any) -> None:
    # A database that cannot be opened, and a Redis port nobody listens on (set after
    # start-up, so this app's Socket.IO is not bound to a Redis that is not there).
    broken = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/missing/dir/x.db"},
                        env="test")
    broken.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    response = broken.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert body["failed"] == ["database", "redis"]
    assert "127.0.0.1" not in response.get_data(as_text=True)
    assert response.headers["Retry-After"]


def test_readyz_reports_the_moderation_engine_when_installed(
        sclient: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    package = types.ModuleType("moderation")
    checks = types.ModuleType("moderation.checks")
    checks.engine_status = lambda: {"semantic": "unavailable", "reason": "no model",  # type: ignore[attr-defined]
                                    "rules": "loaded"}
    if "moderation.checks" not in sys.modules:
        monkeypatch.setitem(sys.modules, "moderation", package)
        monkeypatch.setitem(sys.modules, "moderation.checks", checks)
    else:
        monkeypatch.setattr(sys.modules["moderation.checks"], "engine_status",
                            checks.engine_status)
    body = sclient.get("/readyz").get_json()
    assert body["moderation"] == {"semantic": "unavailable", "rules": "loaded",
                                  "mode": "rules only"}


def _raise(exc: Exception) -> Any:
    def view(**_values: Any) -> Any:
        raise exc

    return view


@pytest.mark.parametrize("accept", ["text/html", "application/json"])
def test_a_lost_database_connection_is_a_calm_503(
        secure_app: Flask, sclient: FlaskClient, monkeypatch: pytest.MonkeyPatch,
        accept: str) -> None:
    lost = OperationalError("SELECT ...", {"body": "member words"},
                            Exception("server closed the connection unexpectedly"))
    monkeypatch.setitem(secure_app.view_functions, "help.guidelines", _raise(lost))
    response = sclient.get("/guidelines", headers={"Accept": accept})
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    text = response.get_data(as_text=True)
    assert "The service is busy, please try again in a moment" in text
    assert "member words" not in text and "Traceback" not in text
    if accept == "application/json":
        assert response.get_json()["error"]["code"] == "service_busy"


def test_a_database_bug_is_still_a_500(
        secure_app: Flask, sclient: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = IntegrityError("INSERT ...", {}, Exception("duplicate key"))
    monkeypatch.setitem(secure_app.view_functions, "help.guidelines", _raise(broken))
    response = sclient.get("/guidelines", headers={"Accept": "application/json"})
    assert response.status_code == 500
