"""Over Socket.IO: a post held by the moderation hook, and the review case it opens,
reach the board's staff and the author only; other members hear nothing of it."""

from __future__ import annotations

from typing import Any

import pytest

from forum.extensions import socketio
from forum.threads.models import PostState

pytestmark = pytest.mark.usefixtures("fake_checks")


def _sock(app: Any, user: Any) -> Any:
    http = app.test_client()
    with http.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return socketio.test_client(app, flask_test_client=http)


def test_risk_hold_and_case_reach_only_staff_and_author(app, db, make):
    board = make.board(risk_policy="hold_and_flag")
    guide = make.facilitator(board)
    thread = make.thread(board, guide).thread
    author = make.user()
    clients = {"staff": _sock(app, guide), "reader": _sock(app, make.user()),
               "writer": _sock(app, author)}
    try:
        for client in clients.values():
            assert client.emit("join", {"thread": thread.id}, callback=True)["ok"] is True
            assert client.emit("join", {"board": board.slug}, callback=True)["ok"] is True
            client.get_received()
        held = make.reply(thread, author, body="I can't do this any more [risk]").post
        assert held.state == PostState.HELD
        heard = {who: [(m["name"], m["args"][0]) for m in c.get_received()]
                 for who, c in clients.items()}
        assert ("case.opened" in [n for n, _ in heard["staff"]])
        assert [p["post_id"] for n, p in heard["staff"] if n == "post.held"] == [held.id]
        assert [p["post_id"] for n, p in heard["writer"] if n == "post.held"] == [held.id]
        assert heard["reader"] == [] or all(
            p.get("post_id") != held.id and n not in ("post.held", "case.opened")
            for n, p in heard["reader"])
        assert all(n != "case.opened" for n, _ in heard["writer"])
    finally:
        for client in clients.values():
            if client.is_connected():
                client.disconnect()
