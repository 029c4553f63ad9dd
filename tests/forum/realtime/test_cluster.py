"""The production set-up for real: two gunicorn + gevent processes (scripts/serve.sh) on two
loopback ports, sharing PostgreSQL and Redis, with python-socketio clients.

A reply posted over HTTP to process A reaches a client of process B (and not a client in
another room), and a client that drops its connection gets exactly what it missed when it
comes back. The delivery delay is measured and reported, never asserted against a clock.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import redis
import requests
import socketio

ROOT = Path(__file__).resolve().parents[3]
PG_ADMIN = os.environ.get("SERVICES_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("SERVICES_REDIS_URL", "redis://127.0.0.1:6379/0")
WAIT = 10.0  # generous: a slow CI machine must not turn this into a flaky timing test

pytestmark = pytest.mark.services


def _unavailable(what: str, exc: Exception) -> None:
    # Never a skip: a skipped scale-out test proves nothing, and every project machine runs
    # PostgreSQL and Redis.
    message = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    pytest.fail(f"{message}; the services tests need it.", pytrace=False)


def _free_port_pair() -> int:
    for _ in range(50):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port >= 65000:
            continue
        with socket.socket() as second:
            try:
                second.bind(("127.0.0.1", port + 1))
            except OSError:
                continue
        return port
    raise RuntimeError("no two free loopback ports next to each other")


@dataclass
class Cluster:
    ports: tuple[int, int]
    data: dict[str, Any]
    channel: str
    redis: redis.Redis

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.ports[n]}"

    def reply(self, n: int, token: str, thread_id: int, body: str) -> dict[str, Any]:
        response = requests.post(f"{self.url(n)}/api/v1/threads/{thread_id}/posts",
                                 json={"body": body}, timeout=WAIT,
                                 headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    import psycopg

    try:
        admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=3)
    except Exception as exc:  # noqa: BLE001
        _unavailable("PostgreSQL", exc)
    try:
        store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
        store.ping()
    except Exception as exc:  # noqa: BLE001
        admin.close()
        _unavailable("Redis", exc)

    run = uuid.uuid4().hex[:10]
    dbname = f"alongside_rt_{run}"
    channel = f"alongside-test-{run}"
    admin.execute(f'CREATE DATABASE "{dbname}"')
    database_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + dbname
    first = _free_port_pair()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FORUM_ENV": "development",
           "RATELIMIT_ENABLED": "false",
           "DEMO_CONTENT": "false", "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
           "SOCKETIO_CHANNEL": channel, "SECRET_KEY": "cluster-test-" + run,
           "BASE_URL": f"http://127.0.0.1:{first}", "PYTHON": sys.executable,
           "PROCESSES": "2", "FIRST_PORT": str(first), "GUNICORN_LOG_LEVEL": "warning",
           # Answers kept for a minute: a page that shows a change at once was told of it,
           # not merely aged out (forum/change_clock.py).
           "FRESH_ANSWER_SECONDS": "60"}
    log = tmp_path_factory.mktemp("cluster") / "serve.log"
    server = None
    try:
        seeded = subprocess.run([sys.executable, str(ROOT / "tests/forum/realtime/liveserver.py"),
                                 "seed"], env=env, capture_output=True, text=True, timeout=120,
                                check=True)
        data = json.loads(seeded.stdout.strip().splitlines()[-1])
        with log.open("w") as out:
            server = subprocess.Popen(["bash", str(ROOT / "scripts/serve.sh")], env=env,
                                      stdout=out, stderr=subprocess.STDOUT,
                                      start_new_session=True)
        deadline = time.monotonic() + 60
        for port in (first, first + 1):
            while True:
                assert server.poll() is None, log.read_text()
                try:
                    requests.get(f"http://127.0.0.1:{port}/socket.io/?EIO=4&transport=polling",
                                 timeout=5)
                    break
                except requests.RequestException:
                    assert time.monotonic() < deadline, log.read_text()
                    time.sleep(0.2)
        yield Cluster(ports=(first, first + 1), data=data, channel=channel, redis=store)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait()
        for key in store.scan_iter(f"{channel}:*"):
            store.delete(key)
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (dbname,))
        admin.execute(f'DROP DATABASE IF EXISTS "{dbname}"')
        admin.close()


class Listener:
    """A python-socketio client that records every event with its arrival time."""

    def __init__(self, url: str, token: str | None = None) -> None:
        self.events: queue.Queue[tuple[str, dict[str, Any], float]] = queue.Queue()
        # An API client sends no Origin (browsers must send the site's own: BASE_URL).
        self.client = socketio.Client(reconnection=False,
                                      websocket_extra_options={"suppress_origin": True})
        self.client.on("*", self._record)
        self.client.connect(url, auth={"token": token} if token else None,
                            transports=["websocket"], wait_timeout=WAIT)

    def _record(self, event: str, data: Any = None) -> None:
        self.events.put((event, data, time.monotonic()))

    def join(self, **target: Any) -> dict[str, Any]:
        ack: dict[str, Any] = self.client.call("join", target, timeout=WAIT)
        assert ack["ok"] is True, ack
        return ack

    def next(self, name: str, timeout: float = WAIT) -> tuple[dict[str, Any], float]:
        deadline = time.monotonic() + timeout
        while True:
            event, data, at = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if event == name:
                return data, at

    def drain(self, name: str) -> list[dict[str, Any]]:
        found = []
        while True:
            try:
                event, data, _at = self.events.get_nowait()
            except queue.Empty:
                return found
            if event == name:
                found.append(data)

    def close(self) -> None:
        self.client.disconnect()


def _wait_for_subscribers(cluster: Cluster, count: int, suffix: str = "") -> None:
    channel = cluster.channel + suffix
    deadline = time.monotonic() + WAIT
    while True:
        subscribed = dict(cluster.redis.pubsub_numsub(channel))
        if subscribed.get(channel.encode(), 0) >= count:
            return
        assert time.monotonic() < deadline, f"only {subscribed} subscribed to Redis"
        time.sleep(0.05)


def test_reply_to_process_a_reaches_a_client_of_process_b(cluster, record_property):
    users = cluster.data["users"]
    reader = Listener(cluster.url(1), token=users[1]["token"])  # on process B
    elsewhere = Listener(cluster.url(0))  # on process A, in another room
    try:
        reader.join(thread=cluster.data["thread"])
        elsewhere.join(thread=cluster.data["other_thread"])
        _wait_for_subscribers(cluster, 2)
        reader.drain("presence")

        sent_at = time.monotonic()
        written = cluster.reply(0, users[0]["token"], cluster.data["thread"],
                                "Glucose tablets by the bed help me.")
        answered_at = time.monotonic()
        payload, received_at = reader.next("post.created")

        delay_ms = (received_at - sent_at) * 1000
        record_property("delivery_ms_from_request", round(delay_ms, 1))
        record_property("delivery_ms_after_response", round((received_at - answered_at) * 1000, 1))
        print(f"\ncross-process delivery: {delay_ms:.1f} ms from the HTTP request "
              f"({(answered_at - sent_at) * 1000:.1f} ms for the HTTP reply itself)")
        assert payload["post_id"] == written["post"]["id"]
        assert payload["thread_id"] == cluster.data["thread"]
        assert "Glucose tablets" in payload["html"]
        # The other room hears nothing of it. Redis keeps the order of messages, so a reply
        # in the other room, sent afterwards, must be the first thing that client hears.
        other = cluster.reply(1, users[1]["token"], cluster.data["other_thread"], "Same here")
        heard, _at = elsewhere.next("post.created")
        assert heard["post_id"] == other["post"]["id"]
    finally:
        reader.close()
        elsewhere.close()


def test_reconnecting_client_gets_exactly_the_three_replies_it_missed(cluster):
    users = cluster.data["users"]
    thread_id = cluster.data["thread"]
    first = Listener(cluster.url(1), token=users[2]["token"])
    try:
        first.join(thread=thread_id)
        _wait_for_subscribers(cluster, 1)
        marker = cluster.reply(0, users[0]["token"], thread_id, "Before the tunnel")
        seen, _ = first.next("post.created")
        assert seen["post_id"] == marker["post"]["id"]
    finally:
        first.close()

    missed = [cluster.reply(0, users[0]["token"], thread_id, f"While you were away {n}")
              for n in range(3)]
    missed_ids = [m["post"]["id"] for m in missed]

    again = Listener(cluster.url(1), token=users[2]["token"])
    try:
        ack = again.join(thread=thread_id, after=seen["post_id"])
        assert ack["caught_up"] == 3
        got = [again.next("post.created")[0]["post_id"] for _ in range(3)]
        assert got == missed_ids
        later = cluster.reply(0, users[0]["token"], thread_id, "Welcome back")
        assert again.next("post.created")[0]["post_id"] == later["post"]["id"]
        assert again.drain("post.created") == []
    finally:
        again.close()


def test_a_page_read_on_process_b_shows_at_once_what_was_just_written_on_process_a(cluster):
    """Each process keeps what a thread page shows for a moment (FRESH_ANSWER_SECONDS, a
    minute here) while no write has been heard of: a reply or an edit made through
    process A must show on process B's very next page, for a reader who is not signed in."""
    users = cluster.data["users"]
    thread_id = cluster.data["thread"]
    path = f"/threads/{thread_id}"

    def page(n: int) -> str:
        response = requests.get(cluster.url(n) + path, timeout=WAIT)
        assert response.status_code == 200
        return response.text

    for n in (0, 1):
        page(n)  # each process starts hearing of the others' writes
    _wait_for_subscribers(cluster, 2, suffix=":changes")
    page(1)
    assert "Jelly babies" not in page(1)  # the facts behind this page are now kept
    written = cluster.reply(0, users[0]["token"], thread_id, "Jelly babies work for me too.")
    assert "Jelly babies work for me too." in page(1)
    edited = requests.patch(f"{cluster.url(0)}/api/v1/posts/{written['post']['id']}",
                            json={"body": "Jelly babies, and a banana after."}, timeout=WAIT,
                            headers={"Authorization": f"Bearer {users[0]['token']}"})
    assert edited.status_code == 200, edited.text
    after_edit = page(1)
    assert "and a banana after." in after_edit and "work for me too." not in after_edit
