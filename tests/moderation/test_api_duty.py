"""Duty, the rota, coverage and training over the API, as a member, a facilitator of the
board, a facilitator of another board and an admin; bad input is a clear 4xx."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.db import utcnow
from moderation.duty_models import Shift, TrainingRecord
from tests.helpers import assert_error
from tests.moderation.duty_scene import add_course, scene_with_lead, train

pytestmark = pytest.mark.usefixtures("fake_checks")

API = "/api/v1/moderation"
ADMIN_GETS = [f"{API}/rota", f"{API}/coverage", f"{API}/training"]


def _hour(hours_ahead: int) -> datetime:
    return (utcnow() + timedelta(hours=hours_ahead)).replace(minute=0, second=0,
                                                             microsecond=0)


@pytest.mark.parametrize("path", ADMIN_GETS)
def test_admin_endpoints_refuse_everyone_else(db, make, login, path):
    s, _ = scene_with_lead(db, make)
    for user in (s.member, s.guide, s.other_guide):
        assert_error(login(user).get(path), 403)
    assert login(s.admin).get(path).status_code == 200


def test_admin_writes_refuse_everyone_else_and_leave_no_trace(db, make, login):
    s, _ = scene_with_lead(db, make)
    shift = Shift(user_id=s.guide.id, starts_at=_hour(24), ends_at=_hour(30))
    db.add(shift)
    rec = train(db, s.guide, add_course(db, "Safeguarding adults"))
    start = _hour(48)
    for user in (s.member, s.guide, s.other_guide):
        client = login(user)
        assert_error(client.post(f"{API}/rota", json={
            "user": s.guide.username, "starts_at": start.isoformat(),
            "ends_at": (start + timedelta(hours=4)).isoformat()}), 403)
        assert_error(client.delete(f"{API}/rota/{shift.id}"), 403)
        assert_error(client.post(f"{API}/training", json={
            "user": s.guide.username, "course": rec.course_id, "completed_on": "2026-01-05"}),
            403)
        assert_error(client.delete(f"{API}/training/{rec.id}"), 403)
    assert [x.id for x in db.scalars(select(Shift))] == [shift.id]
    assert db.get(TrainingRecord, rec.id) is not None
    assert not db.scalar(select(AuditEntry.id).where(AuditEntry.action.in_(
        ["shift:create", "shift:delete", "training:record", "training:delete"])))


def test_who_is_on_duty_and_going_on_and_off(db, make, login, captured_events):
    s, _ = scene_with_lead(db, make)
    assert_error(login(s.member).get(f"{API}/duty"), 403)
    assert_error(login(s.member).post(f"{API}/duty/on", json={}), 403)
    guide = login(s.guide)
    assert guide.get(f"{API}/duty").get_json() == {"on_duty": [], "my_shift": None}
    assert_error(guide.post(f"{API}/duty/off"), 409)
    bad = assert_error(guide.post(f"{API}/duty/on", json={"boards": [s.other_board.slug]}),
                       422)
    assert bad["fields"] == {"boards": "Choose only boards you facilitate."}
    assert_error(guide.post(f"{API}/duty/on", json={"boards": ["no-such-board"]}), 422)
    assert "hours" in assert_error(guide.post(f"{API}/duty/on", json={"hours": 25}),
                                   422)["fields"]
    captured_events.clear()
    on = guide.post(f"{API}/duty/on", json={"hours": 8, "boards": [s.board.slug]})
    assert on.status_code == 201
    shift = on.get_json()
    assert shift["user"] == s.guide.username and shift["boards"] == [s.board.slug]
    assert ("duty.changed", f"staff:{s.board.slug}") in [
        (e.name, e.room) for e in captured_events]
    assert_error(guide.post(f"{API}/duty/on", json={}), 409)
    # Every facilitator (and admins) sees who is on duty; only their own shift as theirs.
    now = login(s.other_guide).get(f"{API}/duty").get_json()
    assert now["on_duty"] == [{"user": s.guide.username, "boards": [s.board.slug],
                               "until": shift["ends_at"]}]
    assert now["my_shift"] is None
    assert login(s.guide).get(f"{API}/duty").get_json()["my_shift"]["id"] == shift["id"]
    off = login(s.guide).post(f"{API}/duty/off")
    assert off.status_code == 200 and off.get_json()["ends_at"] is not None
    assert login(s.admin).get(f"{API}/duty").get_json()["on_duty"] == []


def test_rota_list_add_and_remove(db, make, login):
    s, _ = scene_with_lead(db, make)
    admin = login(s.admin)
    start = _hour(48)
    made = admin.post(f"{API}/rota", json={
        "user": s.guide.username, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(), "boards": [s.board.slug]})
    assert made.status_code == 201
    shift = made.get_json()
    assert shift["boards"] == [s.board.slug]
    assert datetime.fromisoformat(shift["starts_at"]) == start
    # A time with no offset is UTC; an offset is converted.
    naive = admin.post(f"{API}/rota", json={
        "user": s.guide2.username, "starts_at": start.replace(tzinfo=None).isoformat(),
        "ends_at": (start + timedelta(hours=2)).astimezone(
            ZoneInfo("Asia/Kolkata")).isoformat()})
    assert naive.status_code == 201
    assert datetime.fromisoformat(naive.get_json()["ends_at"]) == start + timedelta(hours=2)
    listed = admin.get(f"{API}/rota").get_json()["shifts"]
    assert [x["user"] for x in listed] == [s.guide.username, s.guide2.username]
    assert admin.get(f"{API}/rota?days=1").get_json()["shifts"] == []  # in two days
    assert admin.delete(f"{API}/rota/{shift['id']}").status_code == 204
    assert_error(admin.delete(f"{API}/rota/{shift['id']}"), 404)
    assert [x["user"] for x in admin.get(f"{API}/rota").get_json()["shifts"]] == [
        s.guide2.username]


def test_rota_bad_input(db, make, login):
    s, _ = scene_with_lead(db, make)
    admin = login(s.admin)
    start = _hour(24)

    def post(**body):  # type: ignore[no-untyped-def]
        base = {"user": s.guide.username, "starts_at": start.isoformat(),
                "ends_at": (start + timedelta(hours=4)).isoformat()}
        return admin.post(f"{API}/rota", json={**base, **body})

    assert "user" in assert_error(post(user="nobody_here"), 422)["fields"]
    assert "user" in assert_error(post(user=s.member.username), 422)["fields"]
    assert assert_error(post(ends_at=start.isoformat()), 422)["fields"] == {
        "ends_at": "The shift must end after it starts."}
    assert "ends_at" in assert_error(post(ends_at=(start + timedelta(hours=30)).isoformat()),
                                     422)["fields"]
    assert assert_error(post(starts_at="next tuesday"), 422)["fields"]["starts_at"] == (
        "Enter a date and time like 2026-03-01T09:00 (UTC unless it has an offset).")
    assert assert_error(post(boards="everywhere"), 422)["fields"] == {
        "boards": "This must be a list."}
    assert "boards" in assert_error(post(boards=[s.other_board.slug]), 422)["fields"]
    assert "days" in assert_error(admin.get(f"{API}/rota?days=0"), 422)["fields"]
    assert db.scalar(select(Shift.id)) is None


def test_coverage_shows_the_gaps(db, make, login):
    s, _ = scene_with_lead(db, make)
    start = _hour(24)
    login(s.admin).post(f"{API}/rota", json={
        "user": s.guide.username, "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=8)).isoformat(), "boards": [s.board.slug]})
    body = login(s.admin).get(f"{API}/coverage").get_json()
    assert datetime.fromisoformat(body["ends_at"]) - datetime.fromisoformat(
        body["starts_at"]) == timedelta(days=7)
    board = next(b for b in body["boards"] if b["board"] == s.board.slug)
    assert [x["user"] for x in board["shifts"]] == [s.guide.username]
    gaps = [(datetime.fromisoformat(g["starts_at"]), datetime.fromisoformat(g["ends_at"]))
            for g in board["gaps"]]
    assert len(gaps) == 2 and gaps[0][1] == start and gaps[1][0] == start + timedelta(hours=8)
    other = next(b for b in body["boards"] if b["board"] == s.other_board.slug)
    assert other["shifts"] == [] and len(other["gaps"]) == 1  # nobody all week


def test_training_records_list_add_renew_and_remove(db, make, login):
    s, _ = scene_with_lead(db, make)
    course = add_course(db, "Safeguarding adults")
    admin = login(s.admin)
    made = admin.post(f"{API}/training", json={
        "user": s.guide.username, "course": course.id, "completed_on": "2026-01-05",
        "expires_on": "2027-01-05"})
    assert made.status_code == 201
    rec = made.get_json()
    assert rec["course"] == "Safeguarding adults" and rec["expires_on"] == "2027-01-05"
    renewed = admin.post(f"{API}/training", json={
        "user": s.guide.username, "course": course.id, "completed_on": "2026-02-01"})
    assert renewed.status_code == 200 and renewed.get_json()["id"] == rec["id"]
    assert renewed.get_json()["expires_on"] is None
    listed = admin.get(f"{API}/training").get_json()
    assert listed["courses"] == [{"id": course.id, "name": "Safeguarding adults",
                                  "required": True, "high_risk": False}]
    assert [r["user"] for r in listed["records"]] == [s.guide.username]
    assert admin.get(f"{API}/training?user={s.guide2.username}").get_json()["records"] == []
    assert "user" in assert_error(admin.get(f"{API}/training?user=nobody_here"),
                                  422)["fields"]
    for typo in ({"completed_on": "0001-01-05"},
                 {"completed_on": "2026-01-05", "expires_on": "9999-01-05"}):
        problem = assert_error(admin.post(f"{API}/training", json={
            "user": s.guide.username, "course": course.id, **typo}), 422)
        assert "Check the year" in " ".join(problem["fields"].values())
    assert admin.delete(f"{API}/training/{rec['id']}").status_code == 204
    assert_error(admin.delete(f"{API}/training/{rec['id']}"), 404)
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "training:delete"))


def test_training_bad_input(db, make, login):
    s, _ = scene_with_lead(db, make)
    course = add_course(db, "Safeguarding adults")
    admin = login(s.admin)

    def post(**body):  # type: ignore[no-untyped-def]
        base = {"user": s.guide.username, "course": course.id, "completed_on": "2026-01-05"}
        return admin.post(f"{API}/training", json={**base, **body})

    assert assert_error(post(course=99999), 422)["fields"] == {
        "course": "There is no course with that id."}
    assert "user" in assert_error(post(user=s.member.username), 422)["fields"]
    assert assert_error(post(completed_on="yesterday"), 422)["fields"] == {
        "completed_on": "Enter a date like 2026-03-01."}
    future = (utcnow() + timedelta(days=3)).date().isoformat()
    assert "completed_on" in assert_error(post(completed_on=future), 422)["fields"]
    assert "expires_on" in assert_error(post(expires_on="2025-01-01"), 422)["fields"]
    missing = assert_error(admin.post(f"{API}/training", json={}), 422)["fields"]
    assert set(missing) == {"user", "course", "completed_on"}
    assert db.scalar(select(TrainingRecord.id)) is None


def test_my_training(db, make, login):
    s, _ = scene_with_lead(db, make)
    assert_error(login(s.member).get(f"{API}/training/mine"), 403)
    required = add_course(db, "Peer-support induction")
    add_course(db, "Responding to suicidal content", required=False, high_risk=True)
    train(db, s.guide, required, expires_in_days=-1)
    mine = login(s.guide).get(f"{API}/training/mine").get_json()
    assert mine["ok"] is False and mine["expired"] == ["Peer-support induction"]
    assert "renew" in mine["message"]
    assert mine["high_risk_missing"] == ["Responding to suicidal content"]
    assert [r["course"] for r in mine["records"]] == ["Peer-support induction"]
    assert mine["records"][0]["current"] is False
    other = login(s.other_guide).get(f"{API}/training/mine").get_json()
    assert other["ok"] is False and other["missing"] == ["Peer-support induction"]
    assert other["records"] == []
    assert login(s.admin).get(f"{API}/training/mine").get_json()["ok"] is True


def test_routes_are_in_openapi(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in [("/duty", "get"), ("/duty/on", "post"), ("/duty/off", "post"),
                         ("/rota", "get"), ("/rota", "post"), ("/rota/{shift_id}", "delete"),
                         ("/coverage", "get"), ("/training", "get"), ("/training", "post"),
                         ("/training/{record_id}", "delete"), ("/training/mine", "get")]:
        op = paths[f"/api/v1/moderation{path}"][method]
        assert op["tags"] == ["moderation"] and "403" in op["responses"], path
    created = paths["/api/v1/moderation/rota"]["post"]["responses"]["201"]
    assert created["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ShiftOut"}
