"""Fixtures for the API tests: bearer headers for a member, and the error-shape check."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy.orm import Session

from forum.accounts.actions import do_create_token
from forum.accounts.models import User
from forum.permissions import load_viewer


@pytest.fixture()
def bearer(db: Session) -> Callable[[User], dict[str, str]]:
    """``bearer(user)`` → headers carrying a fresh personal access token for ``user``."""

    def _bearer(user: User) -> dict[str, str]:
        _token, secret = do_create_token(db, actor=load_viewer(db, user), name="tests")
        return {"Authorization": f"Bearer {secret}"}

    return _bearer
