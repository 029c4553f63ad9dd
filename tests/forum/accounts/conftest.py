"""Fixtures for the account tests: sign-in through the real form. (The SMTP ``mailbox``
fixture is in tests/forum/conftest.py.)"""

from __future__ import annotations

import re
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


@pytest.fixture()
def deliver(app: Flask) -> Callable[[], Any]:
    """Run the mail jobs once (account mail, then ready-written mail such as "your
    password was changed"), as a tick of the jobs scheduler would."""
    from forum.accounts.jobs import send_account_emails
    from forum.mail_outbox import send_outgoing_mail

    def run() -> Any:
        account = send_account_emails(app)
        send_outgoing_mail(app)
        return account

    return run


class Statements:
    """The SQL statements (text only, no values) the app sends while recording."""

    def __init__(self) -> None:
        self.recorded: list[str] = []
        self.on = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if self.on:
            # Savepoint names count up through the test; only the statement matters.
            text = re.sub(r"sa_savepoint_\d+", "sa_savepoint", " ".join(statement.split()))
            self.recorded.append(text)

    def record(self) -> Statements:
        self.recorded = []
        self.on = True
        return self

    def __enter__(self) -> Statements:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.on = False


@pytest.fixture()
def statements(app: Flask) -> Iterator[Statements]:
    """``with statements.record() as seen: ...`` then ``seen.recorded``."""
    from sqlalchemy import event

    engine = app.extensions["db_engine"]
    recorder = Statements()
    event.listen(engine, "before_cursor_execute", recorder)
    try:
        yield recorder
    finally:
        event.remove(engine, "before_cursor_execute", recorder)
