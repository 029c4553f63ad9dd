"""Several threads writing to one SQLite file (embedded mode: web threads and the
in-process scheduler). A request that has read and then writes must not fail with
"database is locked" because another connection wrote in between (forum/db_sqlite.py)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from forum.db import make_engine, rolls_back_on_error

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True),
              Column("text", String(50), nullable=False))


@rolls_back_on_error
def do_add_note(session: Session, text: str) -> int:
    session.execute(insert(notes).values(text=text))
    session.commit()
    # A read after the commit, as actions do when they return what they made.
    return int(session.scalar(select(func.count()).select_from(notes)) or 0)


@pytest.fixture()
def sessions(tmp_path: Path) -> sessionmaker[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 'site.db'}")
    metadata.create_all(engine)
    yield sessionmaker(bind=engine, expire_on_commit=False)
    engine.dispose()


def test_file_database_runs_in_wal_mode(sessions: sessionmaker[Session]) -> None:
    with sessions() as session:
        assert session.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


def test_read_then_write_after_another_writer_without_the_fix_fails(
        sessions: sessionmaker[Session]) -> None:
    # The failure the fix is for, shown on plain sessions: a reader's snapshot is stale
    # once another connection commits, and its upgrade to writer is refused at once.
    with sessions() as reader, sessions() as other:
        reader.scalar(select(func.count()).select_from(notes))
        other.execute(insert(notes).values(text="from a job"))
        other.commit()
        with pytest.raises(OperationalError, match="locked"):
            reader.execute(insert(notes).values(text="from a request"))


def test_action_after_a_read_succeeds_when_another_wrote_in_between(
        sessions: sessionmaker[Session]) -> None:
    with sessions() as request_session, sessions() as job_session:
        # The request loads what it needs (its snapshot begins)…
        request_session.scalar(select(func.count()).select_from(notes))
        # …a scheduler job writes meanwhile…
        do_add_note(job_session, "from a job")
        # …and the request's action still writes, from a fresh snapshot.
        assert do_add_note(request_session, "from a request") == 2
        # The read after the action's commit does not keep the write lock.
        assert not request_session.in_transaction()
        assert do_add_note(job_session, "again") == 3


def test_many_threads_reading_then_writing_lose_nothing(
        sessions: sessionmaker[Session]) -> None:
    errors: list[BaseException] = []
    per_thread = 40

    def work(name: str) -> None:
        try:
            for number in range(per_thread):
                with sessions() as session:
                    session.scalar(select(func.count()).select_from(notes))
                    do_add_note(session, f"{name}-{number}")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"t{i}",)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(notes)) == 6 * per_thread
