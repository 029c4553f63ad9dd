"""Database plumbing: the declarative base, engines, and one session per request or job.

Actions receive a session and commit it; nothing else commits. An action that fails
part-way rolls its own session back (:func:`rolls_back_on_error`). The session carries an
event outbox (see :mod:`forum.events`) that is emitted only after a successful commit.
"""

from __future__ import annotations

import functools
import logging
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool
from sqlalchemy.types import TypeDecorator

from forum import db_sqlite
from forum.change_clock import watch_engine
from forum.change_feed import FEED_EXTENSION, ChangeFeed

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
    """Create an engine for ``url``; SQLite gets the transaction fix, PostgreSQL pings for
    pooled connections that sat idle."""
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
    engine = create_engine(url, **kwargs)
    _ping_idle_connections(engine)
    return engine


# A pooled connection unused for longer than this is pinged before it is handed out.
PING_AFTER_IDLE_SECONDS = 1.0


def _ping_idle_connections(engine: Engine) -> None:
    """SQLAlchemy's ``pool_pre_ping``, for connections that have sat in the pool a while.

    A connection cut while idle (a database restart, a proxy's idle time-out) is found
    before a request uses it, as with ``pool_pre_ping``. Pinging every checkout cost a
    round trip on every request; a connection in steady use is pinged by its own
    statements instead, and if one of those finds it cut, SQLAlchemy throws away every
    pooled connection opened before the cut, so the next request gets a fresh one.
    """

    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("checked_in_at")
        if since is None or time.monotonic() - since < PING_AFTER_IDLE_SECONDS:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            # The pool throws this connection away and checks out another.
            raise DisconnectionError("an idle connection failed its ping") from exc


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
    clock = watch_engine(app, engine)
    if app.config.get("REDIS_URL"):
        channel = str(app.config.get("SOCKETIO_CHANNEL") or "alongside") + ":changes"
        app.extensions[FEED_EXTENSION] = ChangeFeed(app.config["REDIS_URL"], channel, clock)
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


def read_outside(session: Session) -> Session | Engine:
    """Where a :class:`FixedQuery` read at the start of a request can run: on the engine,
    outside any transaction, when the session has no connection of its own yet (nothing
    read or written in this request: a transaction would only add BEGIN and ROLLBACK
    round trips) and its sessions are on the engine, not on one shared connection (as in
    the tests). Otherwise in the session."""
    bind = session.get_bind()
    transaction = session.get_transaction()
    # A session begins a transaction of its own as soon as an object is added to it,
    # before it has any connection; only one with a connection has read or written.
    if isinstance(bind, Engine) and (transaction is None or not transaction._connections):  # noqa: SLF001
        return bind
    return session


def request_reader() -> Session | Engine:
    """Where a request's first :class:`FixedQuery` read can run, without making the
    request's session only to learn that it has no connection yet: the engine when the
    request has no session and sessions are on the engine, else :func:`read_outside`
    of the request's session."""
    if "db_session" not in g:
        bind = current_app.extensions["db_sessionmaker"].kw.get("bind")
        if isinstance(bind, Engine):
            return bind
    return read_outside(get_session())


class FixedQuery:
    """A statement built once and run straight on the driver's cursor, for the very few
    statements on the busiest path (the thread page's cache key, the duty check).

    Going through ``Session.execute`` cost several times more CPU than the query itself
    (building and checking the cache key of a large statement, the ORM's execution
    events, the result wrappers). ``build(param)`` returns the statement; ``param(name,
    type)`` stands for a value given at each run. The statement is compiled once per
    backend (and per ``variant``, for the rare part that is not a parameter) with every
    other value as a literal; parameters go through their type's bind processing and
    result columns through their result processing, as SQLAlchemy would do, so callers see
    the same values as from ``session.execute``. It reads inside the session's own
    transaction and connection.
    """

    MAX_VARIANTS = 64

    def __init__(self, build: Callable[..., Any]) -> None:
        self._build = build
        self._compiled: dict[Any, tuple[str, dict[str, Any], tuple[Any, ...]]] = {}

    def first(self, source: Session | Engine, variant: Any = None, **params: Any
              ) -> tuple[Any, ...] | None:
        """The first row, or None. ``variant`` is passed on to ``build`` (hashable).

        ``source`` is the request's session (the statement runs in its transaction), or an
        engine: then it runs on a pooled connection of its own, outside any transaction
        (PostgreSQL autocommit: no BEGIN and ROLLBACK round trips), for a read that is
        the only one a request makes.
        """
        rows = self._run(source, variant, params, one=True)
        return rows[0] if rows else None

    def all(self, source: Session | Engine, variant: Any = None, **params: Any
            ) -> list[tuple[Any, ...]]:
        """Every row (``source`` as for :meth:`first`)."""
        return self._run(source, variant, params, one=False)

    def _run(self, source: Session | Engine, variant: Any, params: dict[str, Any], *,
             one: bool) -> list[tuple[Any, ...]]:
        if isinstance(source, Engine):
            pooled = source.raw_connection()
            driver = pooled.driver_connection
            autocommit = source.dialect.name == "postgresql"
            try:
                if autocommit:
                    driver.autocommit = True  # type: ignore[union-attr]
                return self._execute(pooled.dbapi_connection, source.dialect,
                                     pooled.invalidate, variant, params, one)
            finally:
                if autocommit and not driver.closed:  # type: ignore[union-attr]
                    driver.autocommit = False  # type: ignore[union-attr]
                pooled.close()
        connection = source.connection()
        return self._execute(connection.connection.dbapi_connection, connection.dialect,
                             connection.invalidate, variant, params, one)

    def _execute(self, dbapi_connection: Any, dialect: Any,
                 invalidate: Callable[[BaseException], None], variant: Any,
                 params: dict[str, Any], one: bool) -> list[tuple[Any, ...]]:
        found = self._compiled.get((dialect.name, variant))
        if found is None:
            if len(self._compiled) >= self.MAX_VARIANTS:
                self._compiled.clear()
            found = self._compiled[dialect.name, variant] = self._compile(dialect, variant)
        sql, binds, results = found
        values = {name: (process(params[name]) if process else params[name])
                  for name, process in binds.items()}
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(sql, values)
            raw = [cursor.fetchone()] if one else cursor.fetchall()
        except dialect.loaded_dbapi.Error as exc:
            # As SQLAlchemy does for its own statements: a lost connection is thrown away,
            # not handed back to the pool, and the error is SQLAlchemy's (the error pages
            # answer 503 for it).
            lost = dialect.is_disconnect(exc, dbapi_connection, cursor)
            if lost:
                invalidate(exc)
            raise DBAPIError.instance(sql, values, exc, dialect.loaded_dbapi.Error,
                                      connection_invalidated=lost, dialect=dialect) from exc
        finally:
            cursor.close()
        return [tuple(process(value) if process else value
                      for process, value in zip(results, row, strict=True))
                for row in raw if row is not None]

    def _compile(self, dialect: Any, variant: Any) -> tuple[str, dict[str, Any], tuple[Any, ...]]:
        from sqlalchemy import literal_column

        marker = f"__fixed_{secrets.token_hex(4)}_"
        types: dict[str, Any] = {}

        def param(name: str, type_: Any) -> Any:
            types[name] = type_
            return literal_column(f"{marker}{name}__", type_)

        statement = self._build(param, variant) if variant is not None else self._build(param)
        sql = str(statement.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if "%" in sql:  # would need doubling for drivers that take %(name)s parameters
            raise RuntimeError("FixedQuery statements cannot hold a literal %")
        style = dialect.paramstyle
        for name in types:
            if style == "pyformat":
                placeholder = f"%({name})s"
            elif style in ("qmark", "named") and dialect.name == "sqlite":
                placeholder = f":{name}"  # pysqlite takes named parameters with a mapping
            else:
                raise RuntimeError(f"FixedQuery does not know the {style} parameter style")
            sql = sql.replace(f"{marker}{name}__", placeholder)
        # The backend's own form of each type (SQLite keeps datetimes as text), as
        # SQLAlchemy itself processes them.
        binds = {name: type_.dialect_impl(dialect).bind_processor(dialect)
                 for name, type_ in types.items()}
        results = tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
                        for column in statement.selected_columns)
        return sql, binds, results
