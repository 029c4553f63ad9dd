"""Fixtures for the security tests: an app of their own with rate limits switchable.

``secure_app`` is a second app on the suite's database (whose schema the ``app`` fixture
builds). Endpoints the layout links to, or the limits table names, that are not built yet
on this branch get a marked stub, so pages render and limits can be exercised; once the
real views are merged no stub is added and the real views are tested. Stubs are never
part of the route walks (CSRF, access table).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import Factories
from sqlalchemy.orm import Session, sessionmaker

from forum import create_app
from forum.security.limits import apply_limits, expected_endpoints

# The helpers here (stubs.py) are imported by name, whatever pytest's import mode.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from stubs import LAYOUT_ENDPOINTS, add_stubs  # noqa: E402


@pytest.fixture(scope="session")
def secure_app(app: Flask) -> Flask:
    new_app = create_app({"DATABASE_URL": app.config["DATABASE_URL"]}, env="test")
    add_stubs(new_app, [*LAYOUT_ENDPOINTS, *expected_endpoints()])
    apply_limits(new_app)
    return new_app


@pytest.fixture()
def sdb(secure_app: Flask) -> Iterator[Session]:
    """Like the suite's ``db`` fixture, for ``secure_app``: every commit is rolled back."""
    from forum.db import new_session

    engine = secure_app.extensions["db_engine"]
    connection = engine.connect()
    outer = connection.begin()
    original = secure_app.extensions["db_sessionmaker"]
    secure_app.extensions["db_sessionmaker"] = sessionmaker(
        bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    session = new_session(secure_app)
    try:
        yield session
    finally:
        session.close()
        secure_app.extensions["db_sessionmaker"] = original
        outer.rollback()
        connection.close()


@pytest.fixture()
def smake(sdb: Session) -> Factories:
    return Factories(sdb)


@pytest.fixture()
def sclient(secure_app: Flask, sdb: Session) -> FlaskClient:
    return secure_app.test_client()


@pytest.fixture()
def rate_limits(secure_app: Flask) -> Iterator[Any]:
    """Rate limits on, with empty counters, for one test."""
    limiter = secure_app.extensions["forum_limiter"]
    limiter.enabled = True
    limiter.reset()
    secure_app.extensions.pop("forum_login_throttle_memory", None)
    try:
        yield limiter
    finally:
        limiter.reset()
        limiter.enabled = False
