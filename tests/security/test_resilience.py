"""Staying up: Redis stopped and started under load; PostgreSQL connections cut under load.

Each test runs the app as a real threaded server in a subprocess
(``resilience_server.py``), so nothing here touches the shared test app's global state.
The Redis test starts its own ``redis-server`` on a free loopback port; the PostgreSQL
test makes a fresh database on 127.0.0.1:5432 and cuts the app's connections with
``pg_terminate_backend`` rather than restarting the shared server. Loads are bounded (a
fixed number of requests). A missing redis-server or PostgreSQL fails these tests, in CI
and everywhere else: a skipped fault test proves nothing.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests

pytestmark = pytest.mark.services

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]
SERVER = HERE / "resilience_server.py"
PG_ADMIN_DSN = os.environ.get("RESILIENCE_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
APP_NAME = "alongside_resilience"
BUSY = "The service is busy, please try again in a moment"


def need(ok: bool, what: str) -> None:
    if ok:
        return
    pytest.fail(f"{what} is required by the fault tests and is missing.", pytrace=False)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(check: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll until ``check()`` is true (waiting for a service, not asserting a time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except AssertionError:
            raise
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# ---- processes --------------------------------------------------------------------------

class RedisServer:
    def __init__(self, binary: str, port: int, workdir: Path) -> None:
        self.binary, self.port, self.workdir = binary, port, workdir
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.5)
        wait_for(lambda: bool(client.ping()), "redis-server to answer")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None


@dataclass
class AppServer:
    base: str
    process: subprocess.Popen[bytes]
    log_path: Path
    seed: dict[str, Any] = field(default_factory=dict)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.base + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.post(self.base + path, timeout=30, **kwargs)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture()
def start_app(tmp_path: Path) -> Iterator[Callable[[dict[str, str]], AppServer]]:
    started: list[AppServer] = []

    def _start(env: dict[str, str]) -> AppServer:
        port = free_port()
        log_path = tmp_path / f"server-{port}.log"
        full_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), **env}
        full_env.pop("FORUM_ENV", None)
        with log_path.open("wb") as log_file:
            process = subprocess.Popen([sys.executable, str(SERVER), str(port)],
                                       env=full_env, stdout=log_file, stderr=log_file)
        server = AppServer(f"http://127.0.0.1:{port}", process, log_path)
        started.append(server)
        def _up() -> bool:
            if process.poll() is not None:
                raise AssertionError("the app server exited:\n" + server.log())
            return server.get("/healthz").status_code == 200

        try:
            wait_for(_up, "the app server", 60)
        except AssertionError:
            raise AssertionError("the app server did not start:\n" + server.log()) from None
        server.seed = server.get("/_resilience/seed").json()
        return server

    yield _start
    for server in started:
        server.process.terminate()
        server.process.wait(timeout=10)


# ---- load -------------------------------------------------------------------------------

@dataclass
class Load:
    statuses: list[tuple[str, int]] = field(default_factory=list)
    acknowledged: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, what: str, response: requests.Response) -> None:
        with self.lock:
            self.statuses.append((what, response.status_code))
            if what.startswith("POST reply") and response.status_code in (200, 201):
                self.acknowledged.append(response.json()["post_id"])

    def server_errors(self, allowed_503: bool = False) -> list[tuple[str, int]]:
        return [(what, status) for what, status in self.statuses
                if status >= 500 and not (allowed_503 and status == 503)
                and what != "GET /readyz"]


def one_round(app: AppServer, load: Load, tag: str) -> None:
    """One pass over pages, API reads, writes and rate-limited endpoints."""
    thread_id, slug = app.seed["thread_id"], app.seed["board_slug"]
    endpoints = set(app.seed["endpoints"])
    paths = ["/", f"/boards/{slug}", f"/threads/{thread_id}", "/help/now", "/healthz",
             "/readyz"]
    if "api.boards" in endpoints:
        paths.append("/api/v1/boards")
    if "api.thread_posts" in endpoints:
        paths.append(f"/api/v1/threads/{thread_id}/posts")
    for path in paths:
        load.record(f"GET {path}", app.get(path))
    load.record("POST reply", app.post(f"/_resilience/reply/{thread_id}",
                                       data=f"Checking in ({tag}).".encode()))
    load.record("GET limited", app.get("/_resilience/limited", params={"who": tag}))
    # Sign-in is rate limited per network (a stub on branches without the real page).
    sign_in = app.post(app.seed["login_path"], data={"login": "resilient", "password": "no"})
    load.record("POST sign-in", sign_in)


def posts_missing(app_db_url: str, ids: list[int]) -> list[int]:
    from sqlalchemy import create_engine, text

    from forum.db import make_engine

    engine = make_engine(app_db_url) if app_db_url.startswith("postgresql") \
        else create_engine(app_db_url)
    with engine.connect() as connection:
        found = {row[0] for row in connection.execute(text("SELECT id FROM posts"))}
    engine.dispose()
    return sorted(set(ids) - found)


# ---- Redis ------------------------------------------------------------------------------

def test_redis_stopped_and_started_under_load(
        tmp_path: Path, start_app: Callable[[dict[str, str]], AppServer]) -> None:
    binary = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None)
    need(binary is not None, "redis-server")
    assert binary is not None
    redis_server = RedisServer(binary, free_port(), tmp_path)
    redis_server.start()
    db_url = f"sqlite:///{tmp_path / 'resilience.db'}"
    try:
        app = start_app({"DATABASE_URL": db_url,
                         "REDIS_URL": f"redis://127.0.0.1:{redis_server.port}/0"})
        load = Load()
        ready = app.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["redis"] == "ok"
        for n in range(3):
            one_round(app, load, f"before-{n}")
        # An open page: its connection is told when live updates pause and resume.
        import socketio

        heard: list[str] = []
        page = socketio.Client(reconnection=False)
        for name in ("live.paused", "live.resumed"):
            page.on(name, lambda data, name=name: heard.append(name))
        page.connect(app.base, transports=["polling"], wait_timeout=10)

        redis_server.stop()
        wait_for(lambda: "live.paused" in heard, "the open page to hear live.paused")
        assert page.connected  # paused, not cut off
        down = app.get("/readyz")
        assert down.status_code == 503
        assert down.json()["failed"] == ["redis"]
        for n in range(3):
            one_round(app, load, f"during-{n}")
        # Limits still bite, counted in this process's memory while Redis is away.
        limited = [app.get("/_resilience/limited", params={"who": "outage"}).status_code
                   for _ in range(4)]
        assert limited == [200, 200, 200, 429]
        # Posting still works: the Socket.IO message queue's failure is logged, not raised.
        replies_during = [s for what, s in load.statuses[-40:] if what == "POST reply"]
        assert replies_during and all(s == 201 for s in replies_during)

        redis_server.start()
        wait_for(lambda: app.get("/readyz").status_code == 200, "/readyz to recover")
        wait_for(lambda: "live.resumed" in heard, "the open page to hear live.resumed")
        assert heard == ["live.paused", "live.resumed"]
        page.disconnect()
        for n in range(3):
            one_round(app, load, f"after-{n}")

        assert load.server_errors() == [], app.log()[-4000:]
        assert "unhandled error" not in app.log()  # forum.errors' 500 handler never ran
        assert len(load.acknowledged) == 9
        assert posts_missing(db_url, load.acknowledged) == []
    finally:
        redis_server.stop()


# ---- PostgreSQL -------------------------------------------------------------------------

def _pg_admin() -> Any:
    import psycopg

    return psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3)


def _pg_available() -> bool:
    try:
        _pg_admin().close()
    except Exception:  # noqa: BLE001 - any failure means "not available"
        return False
    return True


@pytest.fixture()
def fresh_pg_database() -> Iterator[str]:
    need(_pg_available(), f"PostgreSQL at {PG_ADMIN_DSN}")
    name = f"alongside_resilience_{secrets.token_hex(4)}"
    with _pg_admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    try:
        yield f"{base}/{name}?application_name={APP_NAME}"
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _cut_app_connections(database: str) -> int:
    with _pg_admin() as admin:
        rows = admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND application_name = %s AND pid <> pg_backend_pid()",
            (database, APP_NAME)).fetchall()
    return len(rows)


def _sleeping_in(database: str) -> bool:
    with _pg_admin() as admin:
        row = admin.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = %s "
            "AND application_name = %s AND query LIKE %s AND state = 'active'",
            (database, APP_NAME, "%pg_sleep%")).fetchone()
    return bool(row and row[0])


def test_postgresql_connections_cut_under_load(
        fresh_pg_database: str, start_app: Callable[[dict[str, str]], AppServer]) -> None:
    database = fresh_pg_database.rsplit("/", 1)[1].split("?", 1)[0]
    app = start_app({"DATABASE_URL": fresh_pg_database, "REDIS_URL": ""})
    thread_id = app.seed["thread_id"]
    load = Load()
    for n in range(2):
        one_round(app, load, f"warm-{n}")

    # A request in flight when its connection is cut gets the calm 503, not a traceback.
    in_flight: dict[str, requests.Response] = {}
    worker = threading.Thread(target=lambda: in_flight.update(
        r=app.get("/_resilience/slow", params={"seconds": "15"})))
    worker.start()
    wait_for(lambda: _sleeping_in(database), "the slow request to reach PostgreSQL")
    assert _cut_app_connections(database) >= 1
    worker.join(timeout=30)
    cut = in_flight["r"]
    assert cut.status_code == 503
    assert BUSY in cut.text and "Traceback" not in cut.text
    assert cut.headers["Retry-After"]

    # The very next requests succeed: the pool pings connections before use.
    assert app.get(f"/threads/{thread_id}").status_code == 200
    nxt = app.post(f"/_resilience/reply/{thread_id}", data=b"Right after the cut.")
    assert nxt.status_code == 201
    load.acknowledged.append(nxt.json()["post_id"])
    assert app.get("/readyz").status_code == 200

    # Concurrent writers and readers while the connections are cut three more times.
    done = threading.Semaphore(0)

    def writer(n: int) -> None:
        for i in range(12):
            load.record("POST reply", app.post(f"/_resilience/reply/{thread_id}",
                                               data=f"Writer {n} post {i}".encode()))
            load.record("GET thread", app.get(f"/threads/{thread_id}"))
            done.release()

    with ThreadPoolExecutor(max_workers=6) as pool:
        futures = [pool.submit(writer, n) for n in range(6)]
        for _ in range(3):
            for _ in range(15):
                done.acquire(timeout=60)
            _cut_app_connections(database)
        for future in futures:
            future.result()

    statuses = {status for _what, status in load.statuses}
    # 422: the real sign-in page refusing the wrong password; 429: its rate limit.
    assert statuses <= {200, 201, 302, 303, 422, 429, 503}, load.statuses
    assert load.server_errors(allowed_503=True) == []
    assert "unhandled error" not in app.log()  # forum.errors' 500 handler never ran
    # Afterwards everything works again.
    assert app.get(f"/threads/{thread_id}").status_code == 200
    assert app.get("/readyz").status_code == 200
    base_url = fresh_pg_database.split("?", 1)[0]
    assert posts_missing(base_url, load.acknowledged) == []
    assert len(load.acknowledged) >= 2
