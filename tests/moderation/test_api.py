"""The moderation API: the same permissions as the pages, one error shape, and the
routes described in /api/v1/openapi.json."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.threads.models import PostState
from moderation.models import ActionNotice, Appeal, Sanction, WatchedWord
from tests.moderation.mod_scene import build_scene

pytestmark = pytest.mark.usefixtures("fake_checks")

STAFF_GETS = ["/api/v1/moderation/queue", "/api/v1/moderation/watched-words",
              "/api/v1/moderation/audit"]


def test_member_gets_403_from_every_staff_endpoint(db, make, login):
    s = build_scene(db, make)
    client = login(s.member)
    for path in STAFF_GETS:
        response = client.get(path)
        assert response.status_code == 403, path
        assert set(response.get_json()["error"]) == {"code", "message", "fields"}
    case_id = s.case(db).id
    assert client.get(f"/api/v1/moderation/cases/{case_id}").status_code == 403
    assert client.post(f"/api/v1/moderation/cases/{case_id}/actions",
                       json={"action": "hide", "reason": "x"}).status_code == 403
    assert client.post("/api/v1/moderation/watched-words",
                       json={"pattern": "x", "action": "flag"}).status_code == 403
    assert client.post("/api/v1/moderation/appeals/1/decision",
                       json={"outcome": "upheld"}).status_code == 403
    assert s.post.state == PostState.PUBLISHED


def test_anonymous_gets_401(db, make, client):
    build_scene(db, make)
    assert client.get("/api/v1/moderation/queue").status_code == 401


def test_facilitator_sees_only_their_boards(db, make, login):
    s = build_scene(db, make)
    case_id = s.case(db).id
    mine = login(s.guide).get("/api/v1/moderation/queue").get_json()
    assert [c["id"] for c in mine["cases"]] == [case_id]
    theirs = login(s.other_guide).get("/api/v1/moderation/queue").get_json()
    assert theirs["cases"] == []
    assert login(s.other_guide).get(f"/api/v1/moderation/cases/{case_id}").status_code == 404
    assert login(s.other_guide).post(f"/api/v1/moderation/cases/{case_id}/actions",
                                     json={"action": "claim"}).status_code == 404
    assert login(s.guide).get("/api/v1/moderation/audit").status_code == 403
    detail = login(s.guide).get(f"/api/v1/moderation/cases/{case_id}").get_json()
    assert detail["flags"][0]["snapshot_html"].startswith("<p>Something")
    assert "hide" in detail["templates"]


def test_report_and_act_over_api(db, make, login):
    s = build_scene(db, make, reported=False)
    member = login(s.member)
    bad = member.post("/api/v1/moderation/flags", json={"post_id": s.post.id,
                                                        "reason": "nonsense"})
    assert bad.status_code == 422 and "reason" in bad.get_json()["error"]["fields"]
    made = member.post("/api/v1/moderation/flags", json={"post_id": s.post.id,
                                                         "reason": "abuse"})
    assert made.status_code == 201 and "Thank you" in made.get_json()["message"]
    # The same report again (a retry, a double tap) is answered kindly, not filed twice.
    again = member.post("/api/v1/moderation/flags", json={"post_id": s.post.id,
                                                          "reason": "spam"})
    assert again.status_code == 200 and again.get_json()["id"] == made.get_json()["id"]
    assert "already reported this post" in again.get_json()["message"]
    assert "with the facilitators" in again.get_json()["message"]
    assert len(member.get("/api/v1/moderation/flags/mine").get_json()) == 1
    assert member.get("/api/v1/moderation/flags/mine").get_json()[0]["reviewed"] is False
    case_id = s.case(db).id
    guide = login(s.guide)
    missing = guide.post(f"/api/v1/moderation/cases/{case_id}/actions",
                         json={"action": "hide"})
    assert missing.status_code == 422 and "reason" in missing.get_json()["error"]["fields"]
    done = guide.post(f"/api/v1/moderation/cases/{case_id}/actions",
                      json={"action": "hide", "reason": "Unkind"})
    assert done.status_code == 200 and done.get_json()["post_state"] == "hidden"
    assert done.get_json()["state"] == "resolved"
    notices = login(s.author).get("/api/v1/moderation/notices").get_json()
    assert notices[0]["kind"] == "hidden" and notices[0]["appealable"]
    assert login(s.member).get("/api/v1/moderation/flags/mine").get_json()[0]["reviewed"]


def test_appeal_over_api(db, make, login):
    s = build_scene(db, make)
    login(s.guide).post(f"/api/v1/moderation/cases/{s.case(db).id}/actions",
                        json={"action": "mute", "reason": "Rude", "days": 7})
    assert db.scalar(select(Sanction.id)) is not None
    notice = db.scalar(select(ActionNotice).where(ActionNotice.kind == "mute"))
    author = login(s.author)
    assert author.post(f"/api/v1/moderation/notices/{notice.id}/appeal",
                       json={"text": "Sorry"}).status_code == 201
    assert author.post(f"/api/v1/moderation/notices/{notice.id}/appeal",
                       json={"text": "Again"}).status_code == 409
    appeal = db.scalar(select(Appeal))
    assert login(s.guide).post(f"/api/v1/moderation/appeals/{appeal.id}/decision",
                               json={"outcome": "overturned"}).status_code == 403
    decided = login(s.guide2).post(f"/api/v1/moderation/appeals/{appeal.id}/decision",
                                   json={"outcome": "upheld"})
    assert decided.status_code == 200 and decided.get_json()["state"] == "upheld"


def test_watched_words_over_api(db, make, login):
    s = build_scene(db, make, reported=False)
    admin = login(s.admin)
    made = admin.post("/api/v1/moderation/watched-words",
                      json={"pattern": "upset", "action": "hold", "board": s.board.slug})
    assert made.status_code == 201
    preview = admin.post("/api/v1/moderation/watched-words/preview",
                         json={"pattern": "upset", "action": "flag"}).get_json()
    assert preview["count"] == 1 and preview["posts"][0]["post_id"] == s.post.id
    word_id = made.get_json()["id"]
    assert admin.put(f"/api/v1/moderation/watched-words/{word_id}",
                     json={"pattern": "upset", "action": "flag"}).status_code == 200
    assert admin.delete(f"/api/v1/moderation/watched-words/{word_id}").status_code == 204
    assert db.scalar(select(WatchedWord.id)) is None
    audit = admin.get("/api/v1/moderation/audit?action=watched_word").get_json()
    assert audit["total"] == 3


def test_routes_are_in_openapi(db, make, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/moderation/queue" in doc["paths"]
    assert "post" in doc["paths"]["/api/v1/moderation/cases/{case_id}/actions"]
