"""The handover queue, unanswered posts and workload over the API: the same queries and
actions as the pages, the same people let in; bad input is a clear 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.db import utcnow
from forum.threads.models import Post
from moderation import escalations as E
from moderation.duty_models import HandoverItem
from tests.helpers import assert_error
from tests.moderation.duty_scene import escalate, scene_with_lead

pytestmark = pytest.mark.usefixtures("fake_checks")

API = "/api/v1/moderation"


@pytest.fixture()
def out_of_hours_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "OUT_OF_HOURS_ENABLED", True)


@pytest.mark.usefixtures("out_of_hours_on")
def test_handover_queue_read_and_cleared(db, make, login):
    board = make.board()
    guide = make.facilitator(board)
    other_board = make.board()
    other = make.facilitator(other_board)
    held = make.thread(board, body="Tonight [risk]").post
    make.thread(other_board, body="Elsewhere [risk]")

    listed = login(guide).get(f"{API}/handover")
    assert listed.status_code == 200
    items = listed.get_json()["items"]
    assert {i["kind"] for i in items} == {"held", "escalation"}
    assert all(i["board"] == board.slug and i["post_id"] == held.id for i in items)
    assert all(i["url"].startswith("http") for i in items)
    assert "Tonight" not in listed.get_data(as_text=True)  # never the post's text
    mine = [i["id"] for i in items]

    # Another board's facilitator cannot clear them, and nothing changes.
    assert_error(login(other).post(f"{API}/handover/clear", json={"items": mine}), 403)
    assert db.scalar(select(HandoverItem).where(HandoverItem.id == mine[0])).cleared_at is None
    assert_error(login(guide).post(f"{API}/handover/clear", json={"items": []}), 422)
    assert_error(login(guide).post(f"{API}/handover/clear", json={"items": [0]}), 422)

    cleared = login(guide).post(f"{API}/handover/clear", json={"items": mine})
    assert cleared.status_code == 200 and cleared.get_json() == {"cleared": 2}
    assert login(guide).get(f"{API}/handover").get_json() == {"items": []}
    again = login(guide).get(f"{API}/handover?cleared=true").get_json()["items"]
    assert sorted(i["id"] for i in again) == sorted(mine)
    assert all(i["cleared_at"] for i in again)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "handover:clear"))
    assert entry.actor_id == guide.id
    assert_error(login(make.user()).get(f"{API}/handover"), 403)


def test_unanswered_over_the_api(db, make, login):
    board = make.board()
    guide = make.facilitator(board)
    lonely = make.user("lonelybo")
    quiet = make.thread(board, lonely, title="Nobody answered").thread
    old = utcnow() - timedelta(hours=30)
    quiet.created_at = old
    for p in db.scalars(select(Post).where(Post.thread_id == quiet.id)):
        p.created_at = old
    db.commit()
    body = login(guide).get(f"{API}/unanswered").get_json()
    assert body["wait_hours"] == 24
    assert [(t["id"], t["title"], t["author"]) for t in body["threads"]] == [
        (quiet.id, "Nobody answered", "lonelybo")]
    assert [(m["user"], m["unanswered"], m["last_thread_id"]) for m in body["members"]] == [
        ("lonelybo", 1, quiet.id)]
    assert body["threads"][0]["url"].endswith(f"/threads/{quiet.id}")
    elsewhere = login(make.facilitator(make.board())).get(f"{API}/unanswered").get_json()
    assert elsewhere["threads"] == [] and elsewhere["members"] == []
    assert_error(login(lonely).get(f"{API}/unanswered"), 403)


def test_workload_over_the_api_is_for_admins(db, make, login):
    s, lead = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    E.do_acknowledge_escalation(db, actor=make.viewer(s.guide2), escalation=esc)
    body = login(s.admin).get(f"{API}/workload").get_json()
    assert body["window_days"] == 30
    rows = {r["user"]: r for r in body["facilitators"]}
    assert rows[s.guide2.username]["open_escalations"] == 1
    assert rows[s.guide2.username]["high_risk_handled"] == 1
    assert rows[s.guide2.username]["median_ack_minutes"] is not None
    assert rows[s.guide.username]["high_risk_handled"] == 0
    for user in (s.guide, lead, s.member):
        assert_error(login(user).get(f"{API}/workload"), 403)


def test_routes_are_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method, schema in [("/handover", "get", "HandoverOut"),
                                 ("/handover/clear", "post", "HandoverClearOut"),
                                 ("/unanswered", "get", "UnansweredOut"),
                                 ("/workload", "get", "WorkloadOut")]:
        op = paths[f"{API}{path}"][method]
        assert op["tags"] == ["moderation"] and "403" in op["responses"], path
        assert op["responses"]["200"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{schema}"}
