"""Graceful shutdown: a server told to stop (SIGTERM) finishes the requests in flight.

Starts gunicorn exactly as production does (``config/gunicorn.conf.py``: one gevent
worker) on a free loopback port, serving the app on an SQLite file. A request is held
in flight by the test's gate (``shutdown_app.py``), SIGTERM is sent, the gate is opened,
and the request must still complete with 200 before the server exits.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import requests

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_for(check: object, what: str, timeout: float = 60.0) -> None:
    """Poll until ``check()`` is true (waiting for the server, not asserting a time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():  # type: ignore[operator]
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_sigterm_lets_the_request_in_flight_finish(tmp_path: Path) -> None:
    port = _free_port()
    gate = tmp_path / "gate"
    gate.mkdir()
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "BIND": f"127.0.0.1:{port}",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'shutdown.db'}",
           "SHUTDOWN_GATE_DIR": str(gate)}
    env.pop("FORUM_ENV", None)
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(REPO_ROOT / "config/gunicorn.conf.py"),
             "--pythonpath", str(HERE), "shutdown_app:app"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        def _up() -> bool:
            assert server.poll() is None, "gunicorn exited:\n" + log_path.read_text()
            return requests.get(base + "/healthz", timeout=5).status_code == 200

        _wait_for(_up, "gunicorn to serve")
        result: dict[str, requests.Response] = {}
        request = threading.Thread(target=lambda: result.update(
            r=requests.get(base + "/_gate/help/now", timeout=60,
                           # An idle keep-alive connection would hold the worker open until
                           # graceful_timeout; the point here is the request in flight.
                           headers={"Connection": "close"})))
        request.start()
        _wait_for(lambda: (gate / "started").exists(), "the request to reach the app")

        server.send_signal(signal.SIGTERM)
        # The arbiter has begun to stop (its worker is told to finish up) before the gate
        # opens: the request is genuinely in flight during the shutdown.
        _wait_for(lambda: b"Handling signal: term" in log_path.read_bytes(),
                  "gunicorn to take the signal")
        assert server.poll() is None  # still finishing the request
        (gate / "open").write_text("1")

        request.join(timeout=60)
        response = result["r"]
        assert response.status_code == 200
        assert "Need help now?" in response.text
        assert server.wait(timeout=30) == 0
        text = log_path.read_text()
        assert "Shutting down: Master" in text
        assert "Worker exiting" in text and "graceful timeout" not in text  # not killed
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)
