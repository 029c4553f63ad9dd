"""Who saw it: opening an escalation (page or API) puts "Seen by …" on its timeline, once
per person per half hour, and notes go on the timeline too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.audit.models import AuditEntry
from forum.errors import Conflict, Forbidden, Invalid, NotFound
from moderation import escalations as E
from moderation.escalation_queries import timeline_entries
from moderation.models import EscalationEvent
from tests.moderation.duty_scene import escalate, kinds, scene_with_lead

pytestmark = pytest.mark.usefixtures("fake_checks")


def _views(db, esc, user=None) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count()).select_from(EscalationEvent).where(
        EscalationEvent.escalation_id == esc.id, EscalationEvent.kind == "viewed")
    if user is not None:
        query = query.where(EscalationEvent.actor_id == user.id)
    return db.scalar(query)


def test_opening_the_page_records_one_view_and_a_reload_adds_none(db, make, login,
                                                                   captured_events):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    guide = login(s.guide2)
    captured_events.clear()
    page = guide.get(f"/moderation/escalations/{esc.id}").get_data(as_text=True)
    assert _views(db, esc, s.guide2) == 1
    assert f"Seen by {s.guide2.username}" in page
    assert f"Opened by {s.guide.username}" in page and "Level 1 alerted" in page
    audits = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "escalation:view")))
    assert [(a.actor_id, a.subject_id) for a in audits] == [(s.guide2.id, esc.id)]
    assert captured_events == []  # reading is not news for the staff room
    before = esc.updated_at

    for _ in range(3):
        assert guide.get(f"/moderation/escalations/{esc.id}").status_code == 200
    assert _views(db, esc, s.guide2) == 1
    db.refresh(esc)
    assert esc.updated_at == before  # a view is not a change

    # Someone else seeing it is a separate entry.
    login(s.admin).get(f"/moderation/escalations/{esc.id}")
    assert _views(db, esc) == 2


def test_a_view_after_the_window_is_recorded_again(db, make, login):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "medium")
    guide = login(s.guide)
    guide.get(f"/moderation/escalations/{esc.id}")
    seen = db.scalar(select(EscalationEvent).where(EscalationEvent.kind == "viewed"))
    seen.created_at -= E.VIEW_WINDOW - timedelta(minutes=1)
    db.commit()
    guide.get(f"/moderation/escalations/{esc.id}")
    assert _views(db, esc) == 1  # 29 minutes ago: still within the window
    seen.created_at -= timedelta(minutes=2)
    db.commit()
    guide.get(f"/moderation/escalations/{esc.id}")
    assert _views(db, esc) == 2


def test_the_api_records_the_view_too(db, make, login):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "low")
    body = login(s.guide2).get(f"/api/v1/moderation/escalations/{esc.id}").get_json()
    assert body["timeline"][-1]["kind"] == "viewed"
    assert body["timeline"][-1]["summary"] == f"Seen by {s.guide2.username}"
    login(s.guide2).get(f"/api/v1/moderation/escalations/{esc.id}")
    assert _views(db, esc) == 1
    # The page, within the window, does not add a second one either.
    login(s.guide2).get(f"/moderation/escalations/{esc.id}")
    assert _views(db, esc) == 1


def test_refused_viewers_leave_no_trace(db, make, login):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    assert login(s.member).get(f"/moderation/escalations/{esc.id}").status_code == 403
    assert login(s.other_guide).get(f"/moderation/escalations/{esc.id}").status_code == 404
    assert login(s.other_guide).get(
        f"/api/v1/moderation/escalations/{esc.id}").status_code == 404
    with pytest.raises(NotFound):
        E.do_record_escalation_view(db, actor=make.viewer(s.other_guide), escalation=esc)
    with pytest.raises(Forbidden):
        E.do_record_escalation_view(db, actor=make.viewer(s.member), escalation=esc)
    assert _views(db, esc) == 0
    assert not db.scalar(select(AuditEntry).where(AuditEntry.action == "escalation:view"))


def test_notes_go_on_the_timeline_even_after_resolving(db, make, login, captured_events):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "medium")
    guide = make.viewer(s.guide)
    with pytest.raises(Invalid) as err:
        E.do_add_escalation_note(db, actor=guide, escalation=esc, note="   ")
    assert err.value.fields == {"note": "Write your note."}
    E.do_add_escalation_note(db, actor=guide, escalation=esc, note="Sent a private message")
    E.do_resolve_escalation(db, actor=guide, escalation=esc, outcome="signposted")
    captured_events.clear()
    E.do_add_escalation_note(db, actor=guide, escalation=esc, note="They replied: safe now")
    assert ("escalation.updated", f"staff:{s.board.slug}") in [
        (e.name, e.room) for e in captured_events]
    assert kinds(db, esc)[-3:] == ["note", "resolved", "note"]
    with pytest.raises(Forbidden):
        E.do_add_escalation_note(db, actor=make.viewer(s.other_guide), escalation=esc,
                                 note="Not mine")
    entries = timeline_entries(db, esc)
    assert [(e.summary, e.note) for e in entries[-3:]] == [
        (f"Note from {s.guide.username}", "Sent a private message"),
        (f"Resolved by {s.guide.username}: signposted to support services", ""),
        (f"Note from {s.guide.username}", "They replied: safe now")]
    notes = db.scalars(select(AuditEntry).where(AuditEntry.action == "escalation:note"))
    assert all("replied" not in str(a.after) for a in notes)  # never the note's text
    with pytest.raises(Conflict):
        E.do_start_escalation(db, actor=guide, escalation=esc)


def test_note_form_on_the_page(db, make, login):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "low")
    guide = login(s.guide)
    path = f"/moderation/escalations/{esc.id}"
    bad = guide.post(f"{path}/note", data={"add-note": ""})
    assert bad.status_code == 422
    assert 'href="#add-note"' in bad.get_data(as_text=True)
    assert guide.post(f"{path}/note", data={"add-note": "Called the member"}).status_code == 302
    page = guide.get(path).get_data(as_text=True)
    assert f"Note from {s.guide.username}" in page and "Called the member" in page


def test_messages_sent_and_what_was_done_to_the_item_go_on_the_timeline(db, make, login,
                                                                       captured_events):
    """Messages sent: a private message to the member, a guidance reply, and the notice a
    hide sends; what was done: the hide closing the item. Each on the timeline in plain
    English, live to the staff room, and shown on the escalation page and in the API."""
    from moderation import actions as A

    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    guide = make.viewer(s.guide)
    captured_events.clear()
    A.do_guide(db, actor=guide, thread=s.thread, mode="message",
               message="We are here if you want to talk.", case=s.case(db))
    assert ("escalation.updated", f"staff:{s.board.slug}") in [
        (e.name, e.room) for e in captured_events]
    A.do_guide(db, actor=guide, thread=s.thread, mode="post",
               message="A gentle reminder to be kind to each other.", case=s.case(db))
    A.do_hide_post(db, actor=guide, post=s.post, reason="Unkind to another member",
                   case=s.case(db))
    assert kinds(db, esc)[2:] == ["message_sent", "message_sent", "message_sent",
                                  "item_action"]
    said = [(e.summary, e.note) for e in timeline_entries(db, esc)][2:]
    name = s.guide.username
    assert said[0][0] == f"Message sent to the member by {name}" and said[0][1]
    assert said[1] == (f"Guidance reply posted in the conversation by {name}", "")
    assert said[2][0] == f"Message sent to the member by {name}"
    assert said[3] == (f"Review item closed by {name}", "Unkind to another member")
    # The message itself stays on the item's page: the timeline names what was sent.
    assert all("We are here if you want to talk." not in note for _, note in said)

    page = login(s.guide2).get(f"/moderation/escalations/{esc.id}").get_data(as_text=True)
    assert f"Guidance reply posted in the conversation by {name}" in page
    assert f"Review item closed by {name}" in page
    api = login(s.admin).get(f"/api/v1/moderation/escalations/{esc.id}").get_json()
    assert [t["kind"] for t in api["timeline"]].count("message_sent") == 3


def test_a_resolved_escalation_and_an_item_never_escalated_get_no_entries(db, make):
    from moderation import actions as A

    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "low")
    E.do_resolve_escalation(db, actor=make.viewer(s.guide), escalation=esc,
                            outcome="no_further_action")
    before = kinds(db, esc)
    A.do_guide(db, actor=make.viewer(s.guide), thread=s.thread, mode="message",
               message="Checking in.", case=s.case(db))
    assert kinds(db, esc) == before
    # Another post's item, never escalated: nothing written anywhere.
    other = make.thread(s.board, make.user(), body="Another post").post
    A.do_report_post(db, actor=make.viewer(s.member), post=other, reason="abuse")
    count = db.scalar(select(func.count()).select_from(EscalationEvent))
    A.do_hide_post(db, actor=make.viewer(s.guide), post=other, reason="Unkind")
    assert db.scalar(select(func.count()).select_from(EscalationEvent)) == count
