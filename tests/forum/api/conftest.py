"""Fixtures for the API tests: bearer headers for a member, and the error-shape check."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.accounts.tokens import do_create_token
from forum.permissions import load_viewer


@pytest.fixture()
def bearer(db: Session) -> Callable[[User], dict[str, str]]:
    """``bearer(user)`` → headers carrying a fresh personal access token for ``user``."""

    def _bearer(user: User) -> dict[str, str]:
        _token, secret = do_create_token(db, actor=load_viewer(db, user), name="tests")
        return {"Authorization": f"Bearer {secret}"}

    return _bearer


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the API's one JSON error shape with ``status`` (and ``code``)."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error
