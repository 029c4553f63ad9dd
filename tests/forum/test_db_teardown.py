"""A connection lost after the response is built must not turn the response into a 500.

Seen under load in tests/security/test_resilience.py: a page rendered (200), then
PostgreSQL cut the connection, and the ROLLBACK in the request's teardown raised.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from forum.db import close_quietly


def test_a_failed_rollback_at_close_discards_the_connection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'cut.db'}")
    session = Session(engine)
    session.execute(text("SELECT 1"))
    assert engine.pool.checkedout() == 1

    def cut(_connection: object) -> None:
        raise sqlite3.OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(engine.dialect, "do_rollback", cut)
    close_quietly(session)  # does not raise
    assert engine.pool.checkedout() == 0
    monkeypatch.undo()
    # The session and the pool work again afterwards.
    assert session.execute(text("SELECT 2")).scalar() == 2
    session.close()
    engine.dispose()
