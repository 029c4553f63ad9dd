"""Database plumbing: the declarative base, engines, and one session per request or job.

Actions receive a session and commit it; nothing else commits. An action that fails
part-way rolls its own session back (:func:`rolls_back_on_error`). The session carries an
event outbox (see :mod:`forum.events`) that is emitted only after a successful commit.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from forum import db_sqlite

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine for ``url``; SQLite gets the transaction fix, PostgreSQL pre-ping."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        options: dict[str, Any] = {"connect_args": db_sqlite.connect_args(in_memory)}
        if in_memory:
            options["poolclass"] = StaticPool
        options.update(kwargs)
        engine = create_engine(url, **options)
        db_sqlite.configure(engine, in_memory=in_memory)
        return engine
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        url = str(parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False))
    return create_engine(url, pool_pre_ping=True, **kwargs)


def init_db(app: Flask) -> None:
    """Bind an engine and session factory to the app and close the request's session after it."""
    url = app.config["DATABASE_URL"]
    if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
        relative = url.removeprefix("sqlite:///")
        path = (app.config["REPO_ROOT"] / relative).resolve()
        path.parent.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{path}"
        app.config["DATABASE_URL"] = url
    engine = make_engine(url)
    app.extensions["db_engine"] = engine
    app.extensions["db_sessionmaker"] = sessionmaker(bind=engine, expire_on_commit=False)

    @app.teardown_appcontext
    def _close_session(_exc: BaseException | None) -> None:
        session = g.pop("db_session", None)
        if session is not None:
            close_quietly(session)

    # A request reuses an app context that is already pushed (tests push one around many
    # requests), so the request's session must also end with the request itself.
    app.teardown_request(_close_session)


def close_quietly(session: Session) -> None:
    """Close a request's session after its response is built, even if the database went away.

    Closing rolls back the open transaction; if the connection was cut after the page was
    rendered, that ROLLBACK fails. The response is already good and nothing is left to
    undo (the server ends a cut connection's transaction itself), so the connection is
    thrown away instead of turning a finished 200 into a 500. Called at request teardown.
    """
    transaction = session.get_transaction()
    # SessionTransaction has no public accessor for its connections; they are needed
    # because a failed close leaves them checked out of the pool.
    connections = [entry[0] for entry in getattr(transaction, "_connections", {}).values()]
    try:
        session.close()
    except DBAPIError as exc:
        # The type only: the message can hold SQL and parameters (member text).
        log.warning("discarding a lost database connection at teardown (%s)",
                    type(exc.orig or exc).__name__)
        for connection in connections:
            try:
                # Hands the broken connection back to the pool as unusable.
                connection.invalidate()
            except SQLAlchemyError:
                log.debug("discarding a lost connection failed")


def new_session(app: Flask | None = None) -> Session:
    """A fresh session wired to the app's event sink (for jobs and CLI commands)."""
    from forum.events import attach_outbox

    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    session: Session = app.extensions["db_sessionmaker"]()
    attach_outbox(session, app)
    return session


def get_session() -> Session:
    """The current request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = new_session()
    session: Session = g.db_session
    return session


@contextmanager
def job_session(app: Flask) -> Iterator[Session]:
    """A session for work outside a request (CLI, background job)."""
    session = new_session(app)
    try:
        yield session
    finally:
        session.close()


P = ParamSpec("P")
T = TypeVar("T")

# Set on every wrapped action; tests/test_architecture.py checks each public ``do_*`` has it.
ROLLS_BACK_MARKER = "__rolls_back_on_error__"


def rolls_back_on_error(action: Callable[P, T]) -> Callable[P, T]:
    """Wrap an action (``do_*(session, ...)``) so that when it raises, refused part-way
    (a domain error after a flush, a moderation hook, a failed commit), its session is
    rolled back before the error goes on: nothing half-written stays in the session for
    the caller to commit or render by mistake, and queued events and mail are dropped.
    No caller has to remember ``session.rollback()``. Every public action carries it.
    On SQLite the action also runs as a writer (:func:`forum.db_sqlite.writing`)."""

    @functools.wraps(action)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        session = args[0] if args else kwargs.get("session")
        try:
            if isinstance(session, Session):
                with db_sqlite.writing(session):
                    return action(*args, **kwargs)
            return action(*args, **kwargs)
        except Exception:
            if isinstance(session, Session):
                try:
                    session.rollback()
                except SQLAlchemyError:
                    # The connection is gone: the original error says more than this one.
                    log.warning("rollback after a failed action failed")
            raise

    setattr(wrapper, ROLLS_BACK_MARKER, True)
    return wrapper
