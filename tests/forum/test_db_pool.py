"""Pooled PostgreSQL connections cut while idle are replaced before a request uses them
(forum.db._ping_idle_connections), without a ping on every checkout."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from forum import db as forum_db

pytestmark = pytest.mark.services

PG_DSN = os.environ.get("RESILIENCE_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def test_an_idle_connection_cut_by_the_server_is_replaced_before_use(monkeypatch) -> None:
    engine = forum_db.make_engine(PG_DSN, pool_size=1, max_overflow=0)
    admin = forum_db.make_engine(PG_DSN)
    try:
        first = _pid(engine)
        assert _pid(engine) == first  # reused from the pool
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        # Idle long enough to be pinged: the cut connection is found and replaced.
        monkeypatch.setattr(forum_db, "PING_AFTER_IDLE_SECONDS", 0.0)
        second = _pid(engine)
        assert second != first
    finally:
        engine.dispose()
        admin.dispose()


def test_a_connection_in_steady_use_is_not_pinged(monkeypatch) -> None:
    engine = forum_db.make_engine(PG_DSN, pool_size=1, max_overflow=0)
    pings: list[object] = []
    monkeypatch.setattr(engine.dialect, "do_ping", lambda conn: pings.append(conn) or True)
    try:
        for _ in range(3):
            _pid(engine)
        assert pings == []
        monkeypatch.setattr(forum_db, "PING_AFTER_IDLE_SECONDS", 0.0)
        _pid(engine)
        assert len(pings) == 1
    finally:
        engine.dispose()
