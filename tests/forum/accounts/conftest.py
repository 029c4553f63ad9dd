"""Fixtures for the account tests: sign-in through the real form. (The SMTP ``mailbox``
fixture is in tests/forum/conftest.py.)"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD
from werkzeug.routing import BuildError


@pytest.fixture(autouse=True)
def _notifications_link(app: Flask) -> Iterator[None]:
    # The layout links to notifications.index, built on another branch. Until it is merged
    # here, answer that one link so signed-in pages render; once it exists this is unused.
    def _stub(error: BuildError, endpoint: str, values: dict[str, Any]) -> str:
        if endpoint == "notifications.index":
            return "/notifications"
        raise error

    app.url_build_error_handlers.append(_stub)
    yield
    app.url_build_error_handlers.remove(_stub)


SignIn = Callable[..., Any]


@pytest.fixture()
def sign_in() -> SignIn:
    """Sign in through the real form: ``sign_in(client, login, password=..., ...)``."""

    def _sign_in(client: FlaskClient, login: str, password: str = PASSWORD,
                 remember: bool = False, next_url: str | None = None) -> Any:
        data = {"login": login, "password": password}
        if remember:
            data["remember"] = "y"
        if next_url is not None:
            data["next"] = next_url
        return client.post("/sign-in", data=data)

    return _sign_in


def is_signed_in(client: FlaskClient) -> bool:
    """Whether the client's session (or remember cookie) still signs it in."""
    return client.get("/settings").status_code == 200


@pytest.fixture()
def signed_in() -> Callable[[FlaskClient], bool]:
    return is_signed_in
