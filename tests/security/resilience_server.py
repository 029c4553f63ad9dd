"""A real, threaded server of the app for the resilience tests (run as a subprocess).

    python tests/security/resilience_server.py PORT

Reads DATABASE_URL and REDIS_URL from the environment, builds the schema, seeds a board,
a thread and a member, and serves the app on 127.0.0.1:PORT with rate limits on. A small
test-only blueprint (``/_resilience/...``) is added here, never in the app: it posts a
reply through the real action (so acknowledged posts can be checked afterwards), holds a
database connection busy on request, and exposes a tightly limited endpoint to prove the
rate limits keep working when Redis is gone.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(REPO_ROOT), str(REPO_ROOT / "tests"), str(Path(__file__).resolve().parent)]

from flask import Blueprint, Flask, current_app, jsonify, request, url_for  # noqa: E402
from flask.typing import ResponseReturnValue  # noqa: E402
from sqlalchemy import select, text  # noqa: E402
from stubs import LAYOUT_ENDPOINTS, add_stubs  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from forum import create_app  # noqa: E402
from forum.accounts.models import User  # noqa: E402
from forum.db import get_session, job_session  # noqa: E402
from forum.permissions import load_viewer  # noqa: E402
from forum.security.limits import Rule, apply_limits, apply_rules  # noqa: E402
from forum.threads.actions import do_reply  # noqa: E402
from forum.threads.models import Thread  # noqa: E402

bp = Blueprint("resilience", __name__, url_prefix="/_resilience")


@bp.post("/reply/<int:thread_id>")
def reply(thread_id: int) -> ResponseReturnValue:
    session = get_session()
    user = session.scalar(select(User).where(User.username == "resilient"))
    thread = session.get(Thread, thread_id)
    outcome = do_reply(session, actor=load_viewer(session, user), thread=thread,
                       body=request.get_data(as_text=True) or "Still here.")
    return jsonify({"post_id": outcome.post.id}), 201


@bp.get("/slow")
def slow() -> ResponseReturnValue:
    seconds = min(float(request.args.get("seconds", "5")), 20.0)
    get_session().execute(text("SELECT pg_sleep(:s)"), {"s": seconds})
    return jsonify({"slept": seconds})


@bp.get("/limited")
def limited() -> ResponseReturnValue:
    return jsonify({"ok": True})


@bp.get("/seed")
def seed() -> ResponseReturnValue:
    session = get_session()
    thread = session.scalar(select(Thread).order_by(Thread.id))
    return jsonify({"thread_id": thread.id, "board_slug": thread.board.slug,
                    "login_path": url_for("accounts.login"),
                    "endpoints": sorted(current_app.view_functions)})


def build() -> Flask:
    import os

    app = create_app({"DATABASE_URL": os.environ["DATABASE_URL"],
                      "REDIS_URL": os.environ.get("REDIS_URL", ""),
                      "RATELIMIT_ENABLED": True, "WTF_CSRF_ENABLED": False}, env="test")
    app.register_blueprint(bp)
    add_stubs(app, LAYOUT_ENDPOINTS)
    apply_limits(app)
    apply_rules(app, "resilience.limited", (
        Rule("3 per minute", lambda: "who:" + request.args.get("who", "-"), "resilience",
             "Slow down.", methods=None),))

    from forum.models import metadata

    metadata.create_all(app.extensions["db_engine"])
    with app.app_context(), job_session(app) as session:
        if session.scalar(select(Thread)) is None:
            from helpers import Factories

            make = Factories(session)
            board = make.board("Staying up")
            author = make.user("resilient")
            make.thread(board, author, title="Still here", body="First post.")
    return app


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    port = int(sys.argv[1])
    app = build()
    server = make_server("127.0.0.1", port, app, threaded=True)
    print("READY", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
