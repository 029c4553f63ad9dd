"""The Alembic migrations build exactly the schema the models describe, on each backend."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData, Table, create_engine, inspect, text
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



def test_0002_gives_declined_posts_their_own_state(fresh_database_url: str) -> None:
    """Posts whose latest take-down was a "decline" become ``DECLINED``; posts hidden by a
    facilitator or by reports, even if declined once before, stay ``HIDDEN``."""
    app = create_app({"DATABASE_URL": fresh_database_url}, env="test")
    upgrade(app, "0001")
    engine = app.extensions["db_engine"]
    t = dict(metadata.tables)
    # 0002 changes no table, so today's table definitions (and their defaults) fit 0001,
    # but for posts: 0005 added its stamp, so posts are written as 0001 made them.
    with engine.connect() as conn:
        t["posts"] = Table("posts", MetaData(), autoload_with=conn)
    with engine.begin() as conn:
        conn.execute(t["users"].insert(), [{"id": 1, "username": "a", "username_key": "a",
                                            "email": "a@example.org",
                                            "email_key": "a@example.org",
                                            "password_hash": "x",
                                            "accepted_guidelines_at": datetime.now(UTC)}])
        conn.execute(t["boards"].insert(), [{"id": 1, "slug": "b", "name": "B"}])
        conn.execute(t["threads"].insert(), [{"id": 1, "board_id": 1, "title": "T"}])
        conn.execute(t["posts"].insert(), [
            {"id": n, "thread_id": 1, "author_id": 1, "body_source": "x", "body_html": "x",
             "state": "HIDDEN", "is_guidance": False, "created_at": datetime.now(UTC)}
            for n in (1, 2, 3)])
        conn.execute(t["audit_entries"].insert(), [
            {"action": "post:reject", "subject_type": "post", "subject_id": 1},
            {"action": "post:hide", "subject_type": "post", "subject_id": 2},
            {"action": "post:reject", "subject_type": "post", "subject_id": 3},
            {"action": "post:approve", "subject_type": "post", "subject_id": 3},
            {"action": "post:auto_hide", "subject_type": "post", "subject_id": 3}])
    upgrade(app)
    with engine.connect() as conn:
        states = dict(conn.execute(text("SELECT id, state FROM posts ORDER BY id")).all())
    engine.dispose()
    assert states == {1: "DECLINED", 2: "HIDDEN", 3: "HIDDEN"}
