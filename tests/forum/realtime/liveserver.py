"""Run by the real-server tests in a separate process (never collected by pytest).

``python tests/forum/realtime/liveserver.py seed``  builds the schema in ``DATABASE_URL`` and
    prints, as one JSON line, the ids and tokens of a small forum: a public board with a
    thread, another public board with a thread, three members (each with a token), and a
    private board with a thread that only the third member (and its facilitator) may read.
``python tests/forum/realtime/liveserver.py serve PORT``  serves the app in embedded mode
    (threading, simple-websocket) on 127.0.0.1:PORT, as ``make run`` does.

Each server test gets its own process and database, so nothing it does can disturb the
Socket.IO server bound in the test process.
"""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]


def seed() -> None:
    from helpers import Factories

    from forum import create_app
    from forum.accounts.models import ApiToken
    from forum.accounts.sessions import Device, start_session
    from forum.auth import TOKEN_PREFIX, hash_token
    from forum.boards.actions import do_invite_member
    from forum.boards.models import Visibility
    from forum.db import job_session
    from forum.models import metadata

    app = create_app()
    metadata.create_all(app.extensions["db_engine"])
    with app.app_context(), job_session(app) as session:
        make = Factories(session)
        board = make.board("Living with diabetes")
        other = make.board("Carers together")
        members = [make.member_of(board, f"member{n}") for n in range(3)]
        thread = make.thread(board, members[0], title="Night-time lows").thread
        other_thread = make.thread(other, members[1], title="Respite breaks").thread
        private = make.board("Just between us", visibility=Visibility.PRIVATE)
        guide = make.facilitator(private)
        do_invite_member(session, actor=make.viewer(guide), board=private, user=members[2])
        private_thread = make.thread(private, members[2], title="A quiet word").thread
        tokens = []
        for user in members:
            secret = TOKEN_PREFIX + secrets.token_urlsafe(24)
            session.add(ApiToken(user_id=user.id, name="test", token_hash=hash_token(secret),
                                 prefix=secret[:12]))
            tokens.append(secret)
            # A server-side session, so a browser test can sign in with a cookie.
            start_session(session, user, Device())
        session.commit()
        print(json.dumps({
            "board": board.slug, "other_board": other.slug,
            "thread": thread.id, "other_thread": other_thread.id,
            "private_board": private.slug, "private_thread": private_thread.id,
            "last_post_id": thread.last_post_id,
            "users": [{"id": u.id, "username": u.username, "token": t,
                       "session_id": u.get_id()}
                      for u, t in zip(members, tokens, strict=True)],
        }), flush=True)


def serve(port: int) -> None:
    from forum import create_app
    from forum.extensions import socketio

    app = create_app()
    socketio.run(app, host="127.0.0.1", port=port, allow_unsafe_werkzeug=True,
                 use_reloader=False, log_output=False)


if __name__ == "__main__":
    if sys.argv[1] == "seed":
        seed()
    else:
        serve(int(sys.argv[2]))
