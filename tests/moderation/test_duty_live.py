"""Live: escalation alerts and duty changes reach the board's staff room and the leads'
room over Socket.IO; members hear nothing; the queue fragment shows who is on duty."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from forum.extensions import socketio
from moderation import duty as D
from moderation import escalations as E
from tests.moderation.duty_scene import escalate, scene_with_lead

pytestmark = pytest.mark.usefixtures("fake_checks")


def _sock(app: Any, user: Any) -> Any:
    http = app.test_client()
    with http.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return socketio.test_client(app, flask_test_client=http)


def test_level_up_reaches_leads_and_staff_not_members(app, db, make):
    s, lead = scene_with_lead(db, make)
    # The lead facilitates another board: joining any board brings them into staff:leads.
    from forum.boards.actions import do_assign_facilitator

    do_assign_facilitator(db, actor=None, board=s.other_board, user=lead)
    clients = {"lead": _sock(app, lead), "guide": _sock(app, s.guide),
               "member": _sock(app, s.member)}
    try:
        clients["lead"].emit("join", {"board": s.other_board.slug}, callback=True)
        for who in ("guide", "member"):
            clients[who].emit("join", {"board": s.board.slug}, callback=True)
        for c in clients.values():
            c.get_received()
        esc = escalate(db, make, s, "high")
        E.check_escalation_deadlines(db, esc.created_at + timedelta(minutes=16))
        D.do_go_on_duty(db, actor=make.viewer(s.guide2))
        heard = {who: [m["name"] for m in c.get_received()] for who, c in clients.items()}
        assert "escalation.level_up" in heard["lead"] and "duty.changed" in heard["lead"]
        assert "escalation.opened" in heard["guide"] and "escalation.level_up" in heard["guide"]
        assert "duty.changed" in heard["guide"]
        assert not [n for n in heard["member"] if n.startswith(("escalation", "duty"))]
    finally:
        for c in clients.values():
            if c.is_connected():
                c.disconnect()


def test_queue_fragment_shows_who_is_on_duty(db, make, login):
    s, _ = scene_with_lead(db, make)
    client = login(s.guide)
    assert "Nobody is on duty" in client.get("/moderation/queue/items").get_data(as_text=True)
    D.do_go_on_duty(db, actor=make.viewer(s.guide2))
    escalate(db, make, s, "high")
    html = client.get("/moderation/queue/items").get_data(as_text=True)
    assert s.guide2.username in html and "1 open escalation" in html
