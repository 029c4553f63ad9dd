"""Services for the benchmark: a throw-away PostgreSQL database, Redis, and server processes.

Used by :mod:`bench.http` and :mod:`bench.live`. Every server listens on 127.0.0.1 only,
runs in its own process group, and is stopped (group-wide, SIGTERM then SIGKILL) when its
``with`` block ends, whatever happened inside it.
"""

from __future__ import annotations

import os
import platform
import resource
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")


def raise_open_file_limit() -> int:
    """Raise this process's soft open-file limit to its hard limit (thousands of sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = 1_048_576 if hard == resource.RLIM_INFINITY else hard
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def machine_info() -> dict[str, Any]:
    """What the figures were measured on, including how busy the machine already was."""
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {"nproc": os.cpu_count(), "cpu_model": cpu, "memory_gb": round(mem_kb / 1048576, 1),
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
            "python": platform.python_version(), "platform": platform.platform()}


def free_ports(count: int) -> list[int]:
    """``count`` consecutive free loopback ports (serve.sh numbers its processes so)."""
    for _ in range(100):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            first = probe.getsockname()[1]
        if first + count >= 65000:
            continue
        try:
            for port in range(first, first + count):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
        except OSError:
            continue
        return list(range(first, first + count))
    raise RuntimeError("no free loopback ports")


@contextmanager
def bench_database() -> Iterator[str]:
    """A fresh PostgreSQL database ``alongside_bench_<pid>``, dropped afterwards."""
    import psycopg

    name = f"alongside_bench_{os.getpid()}"
    admin = psycopg.connect(PG_ADMIN, autocommit=True, connect_timeout=5)
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
        yield PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    finally:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE datname = %s AND pid <> pg_backend_pid()", (name,))
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.close()


def prepare_redis() -> str:
    """Flush the benchmark's own Redis database; return a Socket.IO channel for this run.

    Pub/sub channels are shared by every Redis database, so the channel is unique too.
    """
    import redis

    store = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=5)
    store.flushdb()
    store.close()
    return f"alongside-bench-{os.getpid()}-{secrets.token_hex(3)}"


@dataclass
class Servers:
    """Server processes started by :func:`run_servers` (one process group)."""

    ports: list[int]
    proc: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    def url(self, n: int = 0) -> str:
        return f"http://127.0.0.1:{self.ports[n % len(self.ports)]}"

    def pids(self) -> list[int]:
        """Every process of the set (shell, gunicorn masters and workers)."""
        import psutil

        try:
            parent = psutil.Process(self.proc.pid)
            return [parent.pid] + [c.pid for c in parent.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []


def forum_env(database_url: str, channel: str, ports: list[int], *, posts_per_page: int = 50,
              processes: int = 1) -> dict[str, str]:
    """The environment of the forum's production processes for the benchmark."""
    return {
        **os.environ, "PYTHONPATH": str(ROOT), "PYTHON": sys.executable,
        "FORUM_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL, "SOCKETIO_CHANNEL": channel,
        "BASE_URL": f"http://127.0.0.1:{ports[0]}", "PROCESSES": str(processes),
        "FIRST_PORT": str(ports[0]), "HOST": "127.0.0.1",
        "POSTS_PER_PAGE": str(posts_per_page),
        # Loopback without TLS: a Secure cookie would never be sent back by the clients.
        "SESSION_COOKIE_SECURE": "false",
        # Email jobs would run inside the web processes and compete with the load.
        "SCHEDULER_ENABLED": "false",
        # One benchmark token posts 5 replies a second; rate limits are measured elsewhere.
        "RATELIMIT_ENABLED": "false",
        "GUNICORN_LOG_LEVEL": "warning", "LOG_FORMAT": "json",
    }


def _wait_ready(servers: Servers, path: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    for port in servers.ports:
        while True:
            if servers.proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{servers.log.read_text()[-3000:]}")
            try:
                requests.get(f"http://127.0.0.1:{port}{path}", timeout=5)
                break
            except requests.RequestException:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server on {port} did not start:\n"
                                       f"{servers.log.read_text()[-3000:]}") from None
                time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    """Stop a process group we started: SIGTERM, then SIGKILL after 20 s."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:  # the group may outlive its leader (gunicorn workers): make sure it is gone
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@contextmanager
def run_forum(env: dict[str, str], ports: list[int], log: Path) -> Iterator[Servers]:
    """The forum's production set-up, ``scripts/serve.sh``, with one process per port."""
    with log.open("wb") as out:
        proc = subprocess.Popen(["bash", str(ROOT / "scripts/serve.sh")], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=raise_open_file_limit)
    servers = Servers(ports=ports, proc=proc, log=log, env=env)
    try:
        _wait_ready(servers, "/help/now")
        yield servers
    finally:
        stop(proc)


@contextmanager
def run_ceiling(size: int, ports: list[int], log: Path) -> Iterator[Servers]:
    """The ceiling app under the same server and settings, one gunicorn per port."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "CEILING_BYTES": str(size),
           "GUNICORN_LOG_LEVEL": "warning"}
    script = " & ".join(
        f"BIND=127.0.0.1:{port} {sys.executable} -m gunicorn "
        f"-c {ROOT / 'config/gunicorn.conf.py'} bench.ceiling:app" for port in ports)
    with log.open("wb") as out:
        proc = subprocess.Popen(["bash", "-c", f"{script} & wait"], env=env, cwd=ROOT,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=raise_open_file_limit)
    servers = Servers(ports=ports, proc=proc, log=log, env=env)
    try:
        _wait_ready(servers, "/")
        yield servers
    finally:
        stop(proc)
