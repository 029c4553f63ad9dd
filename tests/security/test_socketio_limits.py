"""Socket.IO hardening on a real server: a foreign Origin is refused, and a payload over
the 64 KB buffer is refused (the connection is dropped, the oversized event never handled).

The server is ``tests/forum/realtime/liveserver.py`` (embedded mode, as ``make run``) in
its own process, on its own SQLite file and loopback port, so nothing here touches the
Socket.IO server bound in the test process.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
import socketio
from helpers import wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
LIVESERVER = ROOT / "tests/forum/realtime/liveserver.py"
FOREIGN = "https://evil.example"
LIMIT = 64 * 1024


@dataclass
class Live:
    base: str
    data: dict[str, Any]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    tmp = tmp_path_factory.mktemp("sio")
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**{k: v for k, v in os.environ.items() if k != "FLASK_RUN_FROM_CLI"},
           "PYTHONPATH": str(ROOT), "FORUM_ENV": "development",
           "RATELIMIT_ENABLED": "false", "DEMO_CONTENT": "false", "REDIS_URL": "",
           "DATABASE_URL": f"sqlite:///{tmp / 'sio.db'}", "SECRET_KEY": "sio-limits-test",
           "BASE_URL": base}
    seeded = subprocess.run([sys.executable, str(LIVESERVER), "seed"], env=env,
                            capture_output=True, text=True, timeout=120, check=True)
    data = json.loads(seeded.stdout.strip().splitlines()[-1])
    log = tmp / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, str(LIVESERVER), "serve", str(port)],
                                  env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        wait_until_serving(server, base + "/healthz", log)
        yield Live(base, data)
    finally:
        server.terminate()
        server.wait(timeout=20)


def _poll_open(live: Live, origin: str) -> requests.Response:
    return requests.get(live.base + "/socket.io/", params={"EIO": "4", "transport": "polling"},
                        headers={"Origin": origin}, timeout=10)


def test_a_foreign_origin_is_refused(live: Live) -> None:
    assert _poll_open(live, live.base).status_code == 200  # the site's own origin works
    refused = _poll_open(live, FOREIGN)
    assert refused.status_code == 400
    assert "sid" not in refused.text
    client = socketio.Client(reconnection=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(live.base, headers={"Origin": FOREIGN},
                       auth={"token": live.data["users"][0]["token"]},
                       transports=["polling"], wait_timeout=10)
    assert not client.connected
    over_websocket = socketio.Client(reconnection=False,
                                     websocket_extra_options={"origin": FOREIGN})
    with pytest.raises(socketio.exceptions.ConnectionError):
        over_websocket.connect(live.base, auth={"token": live.data["users"][0]["token"]},
                               transports=["websocket"], wait_timeout=10)
    assert not over_websocket.connected


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_an_oversized_message_ends_the_connection(live: Live, transport: str) -> None:
    # websocket-client sends its own Origin; the site's own here, as a browser would.
    client = socketio.Client(reconnection=False,
                             websocket_extra_options={"origin": live.base})
    dropped: list[bool] = []
    client.on("disconnect", lambda *args: dropped.append(True))
    client.connect(live.base, headers={"Origin": live.base} if transport == "polling" else {},
                   auth={"token": live.data["users"][0]["token"]},
                   transports=[transport], wait_timeout=10)
    assert client.connected
    client.emit("typing", {"thread_id": live.data["thread"], "pad": "x" * (LIMIT + 1024)})
    deadline = time.monotonic() + 15
    while client.connected and time.monotonic() < deadline:
        time.sleep(0.1)  # waiting for the server to drop us, not asserting a time
    try:
        assert not client.connected
        assert dropped
    finally:
        client.disconnect()
