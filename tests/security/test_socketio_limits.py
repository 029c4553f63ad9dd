"""Socket.IO hardening on a real server: a foreign Origin is refused, a payload over
the 64 KB buffer is refused (the connection is dropped, the oversized event never handled),
and malformed packets are dropped with one warning line, no traceback, the connection
still usable.

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
import websocket
from helpers import wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
LIVESERVER = ROOT / "tests/forum/realtime/liveserver.py"
FOREIGN = "https://evil.example"
LIMIT = 64 * 1024


@dataclass
class Live:
    base: str
    data: dict[str, Any]
    log: Path


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
        yield Live(base, data, log)
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


# Never sent by our clients; each once raised inside python-socketio or python-engineio and
# was logged with a traceback (or broke the connection). "SECRET" stands for post text:
# it must not reach the log.
MALFORMED_FRAMES: list[str | bytes] = [
    '42["typing",{"thread_id":1,"body":"SECRET"',  # bad JSON
    '42{"SECRET":1}',  # an event that is not a list
    "42",  # an event with nothing in it
    "42[]",
    "42[null]",
    '421[123,{"SECRET":1}]',  # an event name that is not a string, asking for an answer
    '451-["typing",{"_placeholder":true,"num":0}]',  # an attachment that never comes
    '451-["typing",{"_placeholder":true,"num":7}]',
    b"SECRET binary frame",  # a binary frame with nothing waiting for one
    "",  # an empty Engine.IO frame
    "xSECRET",  # an unknown Engine.IO packet type
    "b!!!",  # a base64 frame that is not base64
    "9",
    "44",  # CONNECT_ERROR, which only servers send
    "49SECRET",  # an unknown Socket.IO packet type
    "43",  # an acknowledgement with no id
]


def _raw_socket(live: Live, token: str) -> websocket.WebSocket:
    port = live.base.rsplit(":", 1)[1]
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket", origin=live.base,
        timeout=10)
    assert ws.recv().startswith("0")  # Engine.IO open
    ws.send("40" + json.dumps({"token": token}))
    assert ws.recv().startswith("40")  # Socket.IO connected
    return ws


def _join_answer(ws: websocket.WebSocket, thread_id: int, ack: int) -> dict[str, Any]:
    ws.send(f'42{ack}["join",{{"thread":{thread_id}}}]')
    while True:
        frame = ws.recv()
        if isinstance(frame, str) and frame.startswith(f"43{ack}"):
            answer: dict[str, Any] = json.loads(frame[len(f"43{ack}"):])[0]
            return answer


def test_malformed_packets_are_dropped_without_a_traceback(live: Live) -> None:
    before = live.log.read_text().count("\n")
    ws = _raw_socket(live, live.data["users"][1]["token"])
    answers: list[str] = []
    try:
        for number, frame in enumerate(MALFORMED_FRAMES, start=1):
            if isinstance(frame, bytes):
                ws.send_binary(frame)
            else:
                ws.send(frame)
            # The same connection still answers the next good event (acks 1001, 1002, ...).
            answer = _join_answer(ws, live.data["thread"], 1000 + number)
            assert answer["ok"], (frame, answer)
            answers.append(frame if isinstance(frame, str) else "<binary>")
    finally:
        ws.close()
    # Over polling too: a body that is not UTF-8, one that is not Engine.IO, and bad JSON,
    # each on a fresh session, which still connects afterwards.
    token = live.data["users"][1]["token"]
    for body in (b"\xff\xfeSECRET", b"xSECRET", b'42["join",{"SECRET"'):
        params = {"EIO": "4", "transport": "polling"}
        opened = requests.get(live.base + "/socket.io/", params=params,
                              headers={"Origin": live.base}, timeout=10)
        params["sid"] = json.loads(opened.text[1:])["sid"]

        def post(data: bytes, params: dict[str, str] = params) -> int:
            return requests.post(live.base + "/socket.io/", data=data, params=params,
                                 headers={"Origin": live.base}, timeout=10).status_code

        assert post(body) == 200  # dropped; the session stays open
        assert post(("40" + json.dumps({"token": token})).encode()) == 200
        polled = requests.get(live.base + "/socket.io/", params=params,
                              headers={"Origin": live.base}, timeout=10)
        assert polled.status_code == 200 and polled.text.startswith("40")
        assert post(b"1") == 200  # Engine.IO close
    # Someone else connecting now is served as usual.
    other = _raw_socket(live, live.data["users"][0]["token"])
    try:
        assert _join_answer(other, live.data["thread"], 1)["ok"]
    finally:
        other.close()
    time.sleep(0.5)  # let the server write its log lines
    lines = live.log.read_text().splitlines()[before:]
    text = "\n".join(lines)
    assert "Traceback" not in text and "SECRET" not in text, text[-3000:]
    # Werkzeug's "Bad request syntax" is the previous test's client closing its websocket
    # after the server had let go of it: not this test's doing.
    errors = [line for line in lines if " ERROR " in line and "Bad request syntax" not in line]
    assert errors == [], text[-3000:]
    warnings = [line for line in lines if "malformed" in line.lower()]
    assert warnings, text[-3000:]  # a few a second at most (test_a_flood_of_junk_...)


def test_a_flood_of_junk_writes_a_few_warning_lines(caplog: pytest.LogCaptureFixture) -> None:
    from forum import socket_guard

    with caplog.at_level("WARNING", logger="forum.socket_guard"):
        for _ in range(1_000):
            socket_guard._warn("undecodable")
    lines = [r for r in caplog.records if r.name == "forum.socket_guard"]
    assert 1 <= len(lines) <= 2 * socket_guard.WARNINGS_PER_SECOND
