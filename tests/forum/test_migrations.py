"""The Alembic migrations build exactly the schema the models describe, on each backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from forum import create_app
from forum.migrate import upgrade
from forum.models import metadata


def _postgres_database() -> Iterator[str]:
    base = make_url(os.environ["TEST_DATABASE_URL"])
    name = f"alongside_migrations_{uuid.uuid4().hex[:8]}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# SQLite always; PostgreSQL too whenever the suite is pointed at it (CI always is).
BACKENDS = ["sqlite"] + (
    ["postgresql"] if os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql") else [])


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrated.db'}"
        return
    yield from _postgres_database()


def test_migrations_match_models(fresh_database_url: str) -> None:
    app = create_app({"DATABASE_URL": fresh_database_url}, env="test")
    upgrade(app)
    engine = app.extensions["db_engine"]
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)
    engine.dispose()
    assert differences == []


def test_migrations_create_every_table(fresh_database_url: str) -> None:
    app = create_app({"DATABASE_URL": fresh_database_url}, env="test")
    upgrade(app)
    engine = app.extensions["db_engine"]
    tables = set(inspect(engine).get_table_names())
    engine.dispose()
    assert set(metadata.tables) <= tables
