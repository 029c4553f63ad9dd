"""The app as gunicorn serves it, plus one gate, for the graceful-shutdown test.

    gunicorn -c config/gunicorn.conf.py --pythonpath tests/security shutdown_app:app

Environment: ``DATABASE_URL`` (an SQLite file), ``SHUTDOWN_GATE_DIR`` (a directory).
A WSGI wrapper, here and never in the app, holds ``/_gate/help/now`` until the test
opens the gate: it writes ``started`` into the directory when the request arrives and
waits for ``open`` to appear (gevent-friendly sleeps: the worker is monkey-patched), then
hands the request on as ``/help/now`` to the real app. So the test can send SIGTERM at a
moment it knows a request is in flight, without timing guesses.
"""

from __future__ import annotations

import os

from gevent import monkey

if not monkey.is_module_patched("socket"):
    monkey.patch_all()

import time  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from forum import create_app  # noqa: E402
from forum.models import metadata  # noqa: E402

GATE = Path(os.environ["SHUTDOWN_GATE_DIR"])
PREFIX = "/_gate"

flask_app = create_app({"DATABASE_URL": os.environ["DATABASE_URL"]}, env="test")
metadata.create_all(flask_app.extensions["db_engine"])


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path.startswith(PREFIX + "/"):
        (GATE / "started").write_text("1")
        # Bounded: a forgotten gate must not hold the server for ever.
        for _ in range(600):
            if (GATE / "open").exists():
                break
            time.sleep(0.05)
        environ = {**environ, "PATH_INFO": path.removeprefix(PREFIX)}
    return flask_app(environ, start_response)
