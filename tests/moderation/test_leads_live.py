"""Live, for a lead who facilitates no board: joining ``{"staff": "leads"}`` brings their
connection into the leads' room, where escalations arrive once they reach level 2. Members
and plain facilitators are refused with an error acknowledgement and hear nothing; a lead
who is no longer a lead is let in no more: removing them cuts their open pages off at once
(they rejoin, checked afresh), and any message re-checks as well."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from moderation import escalations as E
from moderation.duty_models import StaffLead
from moderation.protocol import do_remove_lead
from tests.forum.realtime.conftest import sock  # noqa: F401  (fixture)
from tests.moderation.duty_scene import escalate, scene_with_lead

pytestmark = pytest.mark.usefixtures("fake_checks")

LEADS = {"staff": "leads"}


def names(client: Any) -> list[str]:
    return [m["name"] for m in client.get_received()]


def escalation_events(client: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(m["name"], m["args"][0]) for m in client.get_received()
            if m["name"].startswith("escalation.")]


def _to_level_two(db, esc):  # type: ignore[no-untyped-def]
    assert E.check_escalation_deadlines(db, esc.created_at + timedelta(minutes=16)) == 1
    db.refresh(esc)
    assert esc.level == 2


def test_lead_of_no_board_hears_escalations_from_level_two(db, make, sock):  # noqa: F811
    s, lead = scene_with_lead(db, make)
    assert not make.viewer(lead).facilitated_board_ids
    client = sock(lead)
    assert client.emit("join", LEADS, callback=True) == {"ok": True, "room": "staff:leads"}
    client.get_received()

    esc = escalate(db, make, s, "high")
    # Level 1 belongs to the board's facilitators: nothing reaches the leads yet.
    assert escalation_events(client) == []

    _to_level_two(db, esc)
    [(name, payload)] = escalation_events(client)
    assert name == "escalation.level_up"
    assert payload["escalation_id"] == esc.id and payload["level"] == 2

    E.do_acknowledge_escalation(db, actor=make.viewer(s.guide), escalation=esc)
    [(name, payload)] = escalation_events(client)
    assert name == "escalation.updated" and payload["state"] == "acknowledged"

    # Leaving the room stops it; joining is idempotent and answers the same.
    assert client.emit("leave", LEADS, callback=True) == {"ok": True, "room": "staff:leads"}
    E.do_add_escalation_note(db, actor=make.viewer(s.guide), escalation=esc, note="Called")
    assert escalation_events(client) == []


def test_members_and_plain_facilitators_are_refused_and_hear_nothing(db, make, sock):  # noqa: F811
    s, _lead = scene_with_lead(db, make)
    refused = {"member": sock(s.member), "facilitator": sock(s.guide2)}
    for client in refused.values():
        ack = client.emit("join", LEADS, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
        assert ack["error"]["message"]
    anonymous = sock()
    ack = anonymous.emit("join", LEADS, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "unauthorised"
    for client in (*refused.values(), anonymous):
        client.get_received()

    esc = escalate(db, make, s, "high")
    _to_level_two(db, esc)
    # The plain facilitator was never in the board's room either: nothing at all arrives.
    for client in (*refused.values(), anonymous):
        assert [n for n in names(client) if n.startswith(("escalation", "duty"))] == []


def test_other_staff_targets_are_invalid(db, make, sock):  # noqa: F811
    _s, lead = scene_with_lead(db, make)
    client = sock(lead)
    for payload in ({"staff": "carers"}, {"staff": "leads", "board": "x"}, {"staff": 1}):
        ack = client.emit("join", payload, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", payload


def test_a_lead_removed_is_let_in_no_more_and_taken_out(db, make, sock):  # noqa: F811
    s, lead = scene_with_lead(db, make)
    was_open = sock(lead)
    assert was_open.emit("join", LEADS, callback=True)["ok"] is True
    was_open.get_received()
    row = db.scalar(select(StaffLead).where(StaffLead.user_id == lead.id))
    do_remove_lead(db, actor=make.viewer(s.admin), lead_id=row.id)

    # The page that was open is cut off at once (it reconnects and joins afresh).
    assert not was_open.is_connected()
    assert [m["name"] for m in was_open.queue] == ["rooms.reset"]
    fresh = sock(lead)
    ack = fresh.emit("join", LEADS, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "forbidden"
    fresh.get_received()

    _to_level_two(db, escalate(db, make, s, "high"))
    assert escalation_events(fresh) == []


def test_any_message_takes_a_former_lead_out_of_the_room(db, make, sock):  # noqa: F811
    """Not only a join: whatever the connection sends next re-checks the leads' room."""
    s, lead = scene_with_lead(db, make)
    client = sock(lead)
    assert client.emit("join", LEADS, callback=True)["ok"] is True
    db.delete(db.scalar(select(StaffLead).where(StaffLead.user_id == lead.id)))
    db.commit()
    assert client.emit("join", {"board": s.board.slug}, callback=True)["ok"] is True
    client.get_received()
    _to_level_two(db, escalate(db, make, s, "high"))
    assert escalation_events(client) == []


def test_staff_pages_tell_queue_js_which_rooms_to_join(db, make, login):
    s, lead = scene_with_lead(db, make)
    _to_level_two(db, escalate(db, make, s, "high"))
    for path in ("/moderation/", "/moderation/escalations"):
        lead_page = login(lead).get(path).get_data(as_text=True)
        assert 'data-leads="true"' in lead_page and 'data-boards=""' in lead_page
        assert 'id="queue-status" role="status" aria-live="polite"' in lead_page
        assert "js/queue.js" in lead_page
        guide_page = login(s.guide).get(path).get_data(as_text=True)
        assert "data-leads" not in guide_page
        assert f'data-boards="{s.board.slug}"' in guide_page
    # What the script reads back after a change: the count, said in words.
    items = login(lead).get("/moderation/queue/items").get_data(as_text=True)
    assert 'data-escalation-summary="1 open escalation."' in items
    listing = login(lead).get("/moderation/escalations").get_data(as_text=True)
    assert 'data-escalation-summary="1 open escalation."' in listing
    assert 'data-items-part="queue-items"' in listing


def test_a_conversation_moved_to_a_private_board_cuts_off_its_readers(db, make, sock):  # noqa: F811
    from forum.boards.models import Visibility
    from moderation.actions import do_move_thread

    s, _lead = scene_with_lead(db, make)
    private = make.board("Private corner", visibility=Visibility.PRIVATE)
    thread = make.thread(s.board).thread
    reader = sock()
    assert reader.emit("join", {"thread": thread.id}, callback=True)["ok"] is True
    reader.get_received()

    do_move_thread(db, actor=make.viewer(s.admin), thread=thread, board=private)

    assert not reader.is_connected()
    heard = [m["name"] for m in reader.queue if m["name"] != "presence"]
    assert heard == ["thread.moved", "rooms.reset"]
    ack = sock().emit("join", {"thread": thread.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"
