"""Fixtures shared by the whole suite.

Every test runs inside a transaction that is rolled back afterwards (SQLAlchemy's "join a
session into an external transaction" recipe with savepoints), on SQLite by default and on
PostgreSQL when ``TEST_DATABASE_URL`` is set.
"""

from __future__ import annotations

import contextvars
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, sessionmaker

TESTS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS_DIR))

from helpers import Factories  # noqa: E402

from forum import create_app, db_sqlite  # noqa: E402
from forum.events import Event, set_sink  # noqa: E402
from forum.models import metadata  # noqa: E402

IN_CI = os.environ.get("CI", "").lower() == "true"


def test_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(autouse=True)
def _no_flask_cli_marker() -> Iterator[None]:
    """Driving the ``forum`` command in a test (CliRunner) makes FlaskGroup set
    FLASK_RUN_FROM_CLI in this process; servers that tests start as subprocesses would
    inherit it, and Flask then refuses to run them. Clear it after every test."""
    yield
    os.environ.pop("FLASK_RUN_FROM_CLI", None)


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    app = create_app({"DATABASE_URL": test_database_url(tmp_path_factory)}, env="test")
    engine = app.extensions["db_engine"]
    metadata.drop_all(engine)
    metadata.create_all(engine)
    with app.app_context():
        yield app
    engine.dispose()


@pytest.fixture()
def db(app: Flask) -> Iterator[Session]:
    """A session whose every commit lands in a savepoint of an outer, rolled-back transaction."""
    engine = app.extensions["db_engine"]
    connection = engine.connect()
    # On SQLite the test's writes must not have to upgrade a read transaction: a commit
    # by any other connection in between (a server thread an earlier test left running)
    # would refuse the upgrade at once ("database is locked").
    with db_sqlite.write_intent():
        outer = connection.begin()
    original = app.extensions["db_sessionmaker"]
    factory = sessionmaker(bind=connection, expire_on_commit=False,
                           join_transaction_mode="create_savepoint")
    app.extensions["db_sessionmaker"] = factory
    from forum.db import new_session

    session = new_session(app)
    try:
        yield session
    finally:
        session.close()
        app.extensions["db_sessionmaker"] = original
        outer.rollback()
        connection.close()


@pytest.fixture()
def captured_events(app: Flask) -> Iterator[list[Event]]:
    """Every event the actions emit after commit during the test, in order."""
    from forum.events import get_sink

    previous = get_sink(app)
    events: list[Event] = []
    set_sink(app, events.append)
    yield events
    set_sink(app, previous)


@pytest.fixture()
def make(db: Session) -> Factories:
    """Builders for users, boards, threads and posts (through the real actions)."""
    return Factories(db)


class IsolatedClient(FlaskClient):
    """Runs each request in a fresh context, so it gets its own app context and ``g``.

    The ``app`` fixture keeps one app context pushed for the whole run, and Flask reuses a
    pushed app context for requests; without this, ``g`` (the request's database session,
    viewer and Flask-Login's cached user) would leak from one request, and test, to the next.
    """

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture()
def client(app: Flask, db: Session) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture()
def login(client: FlaskClient):  # type: ignore[no-untyped-def]
    """Sign a user in on the test client without going through the sign-in form."""

    def _login(user) -> FlaskClient:  # type: ignore[no-untyped-def]
        with client.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
        return client

    return _login
