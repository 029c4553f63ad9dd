"""Escalations over the API: each endpoint as a member, a facilitator of the board, a
facilitator of another board and an admin; filters; the state machine through the same
actions as the page; bad input is a clear 4xx; routes in /api/v1/openapi.json."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.accounts.actions import do_create_token
from forum.audit.models import AuditEntry
from forum.permissions import load_viewer
from moderation.models import EscalationState
from tests.helpers import assert_error
from tests.moderation.duty_scene import add_course, escalate, kinds, scene_with_lead, train

pytestmark = pytest.mark.usefixtures("fake_checks")

BASE = "/api/v1/moderation/escalations"


def _calls(esc_id: int) -> list[tuple[str, str, dict | None]]:
    return [("GET", f"{BASE}/{esc_id}", None),
            ("POST", f"{BASE}/{esc_id}/acknowledge", None),
            ("POST", f"{BASE}/{esc_id}/in-progress", {"note": "On it"}),
            ("POST", f"{BASE}/{esc_id}/handover", {"note": "Call at 9"}),
            ("POST", f"{BASE}/{esc_id}/notes", {"note": "Sent a message"}),
            ("POST", f"{BASE}/{esc_id}/resolve", {"outcome": "signposted"})]


@pytest.mark.parametrize("who, expected", [("member", 403), ("other_guide", 404)])
def test_outsiders_are_refused_every_endpoint_and_leave_no_trace(db, make, login, who,
                                                                 expected):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    client = login(getattr(s, who))
    listing = client.get(BASE)
    if who == "member":
        assert_error(listing, 403)
    else:
        assert listing.get_json() == {"escalations": []}
    for method, path, body in _calls(esc.id):
        assert_error(client.open(path, method=method, json=body), expected)
    db.refresh(esc)
    assert esc.state == EscalationState.OPEN and kinds(db, esc) == ["opened", "alerted"]
    assert not db.scalar(select(AuditEntry.id).where(
        AuditEntry.subject_type == "escalation", AuditEntry.action != "escalation:open"))


def test_anonymous_gets_401(db, make, client):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s)
    assert_error(client.get(BASE), 401)
    assert_error(client.post(f"{BASE}/{esc.id}/acknowledge"), 401)


@pytest.mark.parametrize("who", ["guide", "admin"])
def test_board_facilitator_and_admin_work_the_whole_state_machine(db, make, login, who,
                                                                  captured_events):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    actor = getattr(s, who)
    client = login(actor)
    listed = client.get(BASE).get_json()["escalations"]
    assert [e["id"] for e in listed] == [esc.id]
    assert listed[0]["tier"] == "high" and listed[0]["level"] == 1
    assert listed[0]["url"].endswith(f"/moderation/escalations/{esc.id}")
    one = client.get(f"{BASE}/{esc.id}").get_json()
    assert one["state"] == "open" and one["ack_due_at"] and one["protocol"] is None
    assert [t["kind"] for t in one["timeline"]] == ["opened", "alerted", "viewed"]

    captured_events.clear()
    acked = client.post(f"{BASE}/{esc.id}/acknowledge")
    assert acked.status_code == 200
    assert acked.get_json()["state"] == "acknowledged"
    assert acked.get_json()["acknowledged_by"] == actor.username
    assert ("escalation.updated", f"staff:{s.board.slug}") in [
        (e.name, e.room) for e in captured_events]
    assert_error(client.post(f"{BASE}/{esc.id}/acknowledge"), 409)
    assert client.post(f"{BASE}/{esc.id}/in-progress", json={}).get_json()["state"] == (
        "in_progress")
    handed = client.post(f"{BASE}/{esc.id}/handover", json={"note": "Check in at 9"})
    assert handed.get_json()["state"] == "handed_over"
    assert handed.get_json()["timeline"][-1]["note"] == "Check in at 9"
    assert client.post(f"{BASE}/{esc.id}/notes", json={"note": "Messaged"}).status_code == 201
    done = client.post(f"{BASE}/{esc.id}/resolve",
                       json={"outcome": "emergency_services", "note": "999 called"})
    assert done.status_code == 200
    body = done.get_json()
    assert body["state"] == "resolved" and body["outcome"] == "emergency_services"
    assert body["next_due_at"] is None
    assert body["timeline"][-1]["summary"] == (
        f"Resolved by {actor.username}: emergency services contacted")
    assert_error(client.post(f"{BASE}/{esc.id}/in-progress", json={}), 409)
    assert client.get(BASE).get_json()["escalations"] == []
    assert [e["id"] for e in client.get(f"{BASE}?state=resolved").get_json()[
        "escalations"]] == [esc.id]
    audits = set(db.scalars(select(AuditEntry.action).where(
        AuditEntry.subject_type == "escalation", AuditEntry.subject_id == esc.id)))
    assert {"escalation:acknowledge", "escalation:start", "escalation:handover",
            "escalation:note", "escalation:resolve", "escalation:view"} <= audits


def test_filters_by_state_tier_and_board(db, make, login):
    s, _ = scene_with_lead(db, make)
    high = escalate(db, make, s, "high")
    other_post = make.reply(s.thread, s.author, body="Another worrying post").post
    from moderation.actions import do_escalate_case, do_report_post
    from moderation.models import Case

    do_report_post(db, actor=make.viewer(s.member), post=other_post, reason="self_harm")
    case = db.scalar(select(Case).where(Case.post_id == other_post.id))
    low = do_escalate_case(db, actor=make.viewer(s.guide), case=case, reason="Check on them",
                           tier="low")
    client = login(s.admin)

    def ids(query: str) -> list[int]:
        return [e["id"] for e in client.get(f"{BASE}{query}").get_json()["escalations"]]

    assert ids("") == [high.id, low.id]  # high tier first
    assert ids("?tier=low") == [low.id]
    assert ids(f"?board={s.board.slug}&tier=high") == [high.id]
    assert ids(f"?board={s.other_board.slug}") == []
    assert ids("?board=no-such-board") == []
    assert ids("?state=open") == [high.id, low.id]
    assert ids("?state=acknowledged") == []
    bad = assert_error(client.get(f"{BASE}?state=sleeping&tier=huge"), 422)
    assert set(bad["fields"]) == {"state", "tier"}


def test_bad_input_is_a_clear_422(db, make, login):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "medium")
    client = login(s.guide)
    missing = assert_error(client.post(f"{BASE}/{esc.id}/handover", json={}), 422)
    assert missing["fields"]["note"].startswith("Enter a handover note")
    blank = assert_error(client.post(f"{BASE}/{esc.id}/handover", json={"note": "   "}), 422)
    assert "handover note" in blank["fields"]["note"]
    outcome = assert_error(client.post(f"{BASE}/{esc.id}/resolve", json={"outcome": "x"}), 422)
    assert "Choose one of" in outcome["fields"]["outcome"]
    assert "note" in assert_error(client.post(f"{BASE}/{esc.id}/notes", json={"note": ""}),
                                  422)["fields"]
    extra = assert_error(client.post(f"{BASE}/{esc.id}/resolve",
                                     json={"outcome": "signposted", "colour": "red"}), 422)
    assert "colour" in extra["fields"]
    assert_error(client.post(f"{BASE}/{esc.id}/in-progress", data="note",
                             content_type="text/plain"), 415)
    assert_error(client.post(f"{BASE}/{esc.id}/in-progress", data="{",
                             content_type="application/json"), 400)
    assert_error(client.get(f"{BASE}/99999"), 404)
    assert_error(client.get(f"{BASE}/99999999999"), 404)
    db.refresh(esc)
    assert esc.state == EscalationState.OPEN


def test_the_high_tier_needs_the_named_training(db, make, login):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    course = add_course(db, "Responding to suicidal content", required=False, high_risk=True)
    train(db, s.guide2, course)
    refused = assert_error(login(s.guide).post(f"{BASE}/{esc.id}/acknowledge"), 403)
    assert "Responding to suicidal content" in refused["message"]
    assert login(s.guide).get(f"{BASE}/{esc.id}").status_code == 200  # reading is fine
    assert login(s.guide2).post(f"{BASE}/{esc.id}/acknowledge").status_code == 200


def test_the_emergency_protocol_shows_from_level_three(db, make, login):
    from moderation.protocol import do_save_protocol

    s, _ = scene_with_lead(db, make)
    do_save_protocol(db, actor=make.viewer(s.admin), text="Call the duty clinician.",
                     contacts="Duty clinician: 0300 000 0000", alert_emails="")
    esc = escalate(db, make, s, "high")
    esc.level = 3
    db.commit()
    body = login(s.guide).get(f"{BASE}/{esc.id}").get_json()
    assert body["protocol"] == {"text": "Call the duty clinician.", "contacts": [
        {"name": "Duty clinician", "detail": "0300 000 0000"}]}


def test_a_token_call_needs_no_csrf_token(app, db, make, client, login, monkeypatch):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "low")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    # With the sign-in cookie a write needs the CSRF header...
    assert_error(login(s.guide2).post(f"{BASE}/{esc.id}/acknowledge"), 400, "csrf_failed")
    # ...with a token it does not.
    _row, secret = do_create_token(db, actor=load_viewer(db, s.guide), name="phone")
    done = app.test_client().post(f"{BASE}/{esc.id}/acknowledge",
                                  headers={"Authorization": f"Bearer {secret}"})
    assert done.status_code == 200 and done.get_json()["state"] == "acknowledged"


def test_routes_are_in_openapi_with_schemas(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    paths = doc["paths"]
    one = paths["/api/v1/moderation/escalations/{escalation_id}"]["get"]
    assert one["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/EscalationDetailOut"}
    resolve = paths["/api/v1/moderation/escalations/{escalation_id}/resolve"]["post"]
    assert resolve["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ResolveIn"}
    assert {"403", "404", "409", "422"} <= set(resolve["responses"])
    params = {p["name"] for p in paths["/api/v1/moderation/escalations"]["get"]["parameters"]}
    assert params == {"state", "tier", "board"}
    for path in ("acknowledge", "in-progress", "handover", "notes"):
        assert "post" in paths[f"/api/v1/moderation/escalations/{{escalation_id}}/{path}"]


def _statements(app, fetch) -> int:  # type: ignore[no-untyped-def]
    from sqlalchemy import event

    engine = app.extensions["db_engine"]
    seen: list[str] = []

    def _before(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _before)
    try:
        assert fetch().status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", _before)
    return len(seen)


def test_list_query_count_does_not_grow_with_escalations(app, db, make, login):
    from datetime import timedelta

    from moderation import escalations as E
    from moderation.actions import do_escalate_case, do_report_post
    from moderation.models import Case

    s, lead = scene_with_lead(db, make)

    def add(count: int) -> None:
        for n in range(count):
            post = make.reply(s.thread, s.author, body=f"Worrying post {n}").post
            do_report_post(db, actor=make.viewer(s.member), post=post, reason="abuse")
            case = db.scalar(select(Case).where(Case.post_id == post.id))
            esc = do_escalate_case(db, actor=make.viewer(s.guide), case=case, reason="Check",
                                   tier="medium")
            E.do_acknowledge_escalation(db, actor=make.viewer(s.guide2), escalation=esc)
            E.check_escalation_deadlines(db, esc.created_at + timedelta(hours=5))

    add(2)
    counts = {}
    for who in (lead, s.admin, s.guide):
        client = login(who)
        small = (_statements(app, lambda c=client: c.get(BASE)),
                 _statements(app, lambda c=client: c.get("/moderation/escalations")))
        counts[who.id] = small
    add(5)
    for who in (lead, s.admin, s.guide):
        client = login(who)
        assert len(client.get(BASE).get_json()["escalations"]) == 7
        large = (_statements(app, lambda c=client: c.get(BASE)),
                 _statements(app, lambda c=client: c.get("/moderation/escalations")))
        assert large == counts[who.id], who.username
