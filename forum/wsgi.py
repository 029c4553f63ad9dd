"""The WSGI entry point for the production server: ``gunicorn forum.wsgi:app``.

Started by ``scripts/serve.sh`` through ``config/gunicorn.conf.py``. When Socket.IO runs
on gevent the standard library must be monkey-patched before anything else imports
sockets, threads or ssl (psycopg, redis, the app itself), so it happens first, here.
Gunicorn's gevent worker patches too; patching twice is harmless, patching late is not.
"""

from __future__ import annotations

import os

if os.environ.get("SOCKETIO_ASYNC_MODE") == "gevent":
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        monkey.patch_all()

from forum import create_app  # noqa: E402 - must follow the monkey-patching above

app = create_app()
