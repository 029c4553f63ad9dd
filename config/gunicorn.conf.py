"""Gunicorn settings for one production process: a single gevent worker.

``scripts/serve.sh`` starts one such process per core, each on its own port (``BIND``),
behind a proxy with sticky sessions (``config/nginx.conf.sample``). One worker per process
because Socket.IO keeps each connection's state in the process that accepted it; several
processes reach each other's clients through Redis (``REDIS_URL``).
"""

from __future__ import annotations

import os
import resource

# Set explicitly: left to guess, Flask-SocketIO would pick eventlet if it found it
# installed, and the app would then run on the wrong concurrency model.
os.environ["SOCKETIO_ASYNC_MODE"] = "gevent"

bind = os.environ.get("BIND", "127.0.0.1:8001")
workers = 1
worker_class = "gevent"
# Each open Socket.IO connection holds one of these; thousands per process are normal.
worker_connections = int(os.environ.get("WORKER_CONNECTIONS", "10000"))
# Long-polling requests stay open up to Socket.IO's ping interval; keep them alive.
timeout = 60
graceful_timeout = 20
keepalive = 75
# No access log by default: addresses carry thread ids, which say what a member reads.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Several processes run side by side; one shared control socket path would clash.
control_socket_disable = True
proc_name = f"alongside-{bind.rsplit(':', 1)[-1]}"


def _raise_open_file_limit() -> None:
    # Every socket is a file descriptor; the usual soft limit of 1024 is far too low.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = int(os.environ.get("OPEN_FILE_LIMIT", "65536"))
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


_raise_open_file_limit()
