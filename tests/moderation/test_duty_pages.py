"""Part-2 pages over HTTP: who may see each page, and each form through the browser path."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from forum.db import utcnow
from moderation.duty_models import EmergencyProtocol, Shift, StaffLead, TrainingCourse
from moderation.models import Escalation, EscalationState
from tests.moderation.duty_scene import add_course, escalate, scene_with_lead

pytestmark = pytest.mark.usefixtures("fake_checks")

STAFF_PAGES = ["/moderation/escalations", "/moderation/escalations?show=resolved",
               "/moderation/duty", "/moderation/handover", "/moderation/unanswered"]
ADMIN_PAGES = ["/moderation/admin/rota", "/moderation/admin/training",
               "/moderation/admin/workload", "/moderation/admin/emergency"]


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_anonymous_401_member_403(db, make, client, login, path):
    s, _ = scene_with_lead(db, make)
    assert client.get(path).status_code == 401
    assert login(s.member).get(path).status_code == 403


@pytest.mark.parametrize("path", STAFF_PAGES)
def test_staff_pages_open_to_facilitators_and_admins(db, make, login, path):
    s, lead = scene_with_lead(db, make)
    assert login(s.guide).get(path).status_code == 200
    assert login(s.admin).get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_refuse_facilitators(db, make, login, path):
    s, _ = scene_with_lead(db, make)
    assert login(s.guide).get(path).status_code == 403
    assert login(s.admin).get(path).status_code == 200


def test_escalation_page_access_and_actions(db, make, login, client):
    s, lead = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    path = f"/moderation/escalations/{esc.id}"
    assert client.get(path).status_code == 401
    assert login(s.member).get(path).status_code == 403
    assert login(s.other_guide).get(path).status_code == 404
    assert login(s.other_guide).post(f"{path}/acknowledge").status_code == 404
    # A lead of no board sees it from level 2 (tests/moderation/test_leads.py).
    assert login(lead).get(path).status_code == 404
    page = login(s.guide).get(path).get_data(as_text=True)
    assert "High risk escalation" in page and "I have seen this" in page
    listing = login(s.guide).get("/moderation/escalations").get_data(as_text=True)
    assert f"/moderation/escalations/{esc.id}" in listing
    assert f"/moderation/escalations/{esc.id}" not in login(s.other_guide).get(
        "/moderation/escalations").get_data(as_text=True)
    guide = login(s.guide)
    assert guide.post(f"{path}/acknowledge").status_code == 302
    assert guide.post(f"{path}/handover", data={"note": ""}).status_code == 422
    assert guide.post(f"{path}/handover", data={"note": "Call at 9"}).status_code == 302
    bad = guide.post(f"{path}/resolve", data={})
    assert bad.status_code == 422 and "Error: " in bad.get_data(as_text=True)
    assert guide.post(f"{path}/resolve", data={"outcome": "clinical_lead"}).status_code == 302
    db.refresh(esc)
    assert esc.state == EscalationState.RESOLVED and esc.outcome == "clinical_lead"
    assert guide.post(f"{path}/nonsense").status_code == 404


def test_escalate_from_the_case_page(db, make, login):
    s, _ = scene_with_lead(db, make)
    case = s.case(db)
    guide = login(s.guide)
    page = guide.get(f"/moderation/cases/{case.id}").get_data(as_text=True)
    assert "How serious is the risk?" in page
    missing = guide.post(f"/moderation/cases/{case.id}/escalate",
                         data={"escalate-reason": "Worried"})
    assert missing.status_code == 422
    assert guide.post(f"/moderation/cases/{case.id}/escalate",
                      data={"escalate-reason": "Worried", "escalate-tier": "high"}
                      ).status_code == 302
    esc = db.scalar(select(Escalation).where(Escalation.case_id == case.id))
    assert esc.tier == "high"
    assert f"/moderation/escalations/{esc.id}" in guide.get(
        f"/moderation/cases/{case.id}").get_data(as_text=True)


def test_admin_forms_rota_training_emergency(db, make, login):
    s, _ = scene_with_lead(db, make)
    admin = login(s.admin)
    start = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    fmt = "%Y-%m-%dT%H:%M"
    bad = admin.post("/moderation/admin/rota", data={
        "user": str(s.guide.id), "starts_at": start.strftime(fmt),
        "ends_at": start.strftime(fmt)})
    assert bad.status_code == 422 and "must end after" in bad.get_data(as_text=True)
    ok = admin.post("/moderation/admin/rota", data={
        "user": str(s.guide.id), "starts_at": start.strftime(fmt),
        "ends_at": (start + timedelta(hours=6)).strftime(fmt), "boards": s.board.slug})
    assert ok.status_code == 302
    shift = db.scalar(select(Shift).where(Shift.user_id == s.guide.id))
    assert shift.board_ids == [s.board.id] and shift.starts_at == start
    page = admin.get("/moderation/admin/rota").get_data(as_text=True)
    assert "gaps in cover" in page and s.guide.username in page
    assert admin.post(f"/moderation/admin/rota/{shift.id}/delete").status_code == 302
    assert db.scalar(select(Shift.id).where(Shift.id == shift.id)) is None
    # Times are typed in UK time, as the page shows them: 9am in July is 8am UTC.
    assert admin.post("/moderation/admin/rota", data={
        "user": str(s.guide.id), "starts_at": "2027-07-01T09:00",
        "ends_at": "2027-07-01T17:00"}).status_code == 302
    db.expire_all()  # SQLite may give the deleted shift's id to the new one
    summer = db.scalar(select(Shift).where(Shift.user_id == s.guide.id))
    assert summer.starts_at.astimezone(UTC).hour == 8
    assert summer.ends_at.astimezone(UTC).hour == 16
    assert "Starts (UK time)" in admin.get("/moderation/admin/rota").get_data(as_text=True)

    assert admin.post("/moderation/admin/training", data={
        "form": "course", "course-name": "Safeguarding adults",
        "course-required": "y"}).status_code == 302
    course = db.scalar(select(TrainingCourse))
    assert course.required and not course.high_risk
    assert admin.post("/moderation/admin/training", data={
        "form": "record", "record-user": str(s.guide.id), "record-course": str(course.id),
        "record-completed_on": "2026-01-05", "record-expires_on": "2025-01-01"}
        ).status_code == 422
    assert admin.post("/moderation/admin/training", data={
        "form": "record", "record-user": str(s.guide.id), "record-course": str(course.id),
        "record-completed_on": "2026-01-05", "record-expires_on": "2027-01-05"}
        ).status_code == 302
    assert "05 January 2027" in admin.get("/moderation/admin/training").get_data(as_text=True)

    assert admin.post("/moderation/admin/emergency", data={
        "form": "protocol", "protocol-text": "Call the on-call clinician",
        "protocol-contacts": "no colon here"}).status_code == 422
    assert admin.post("/moderation/admin/emergency", data={
        "form": "protocol", "protocol-text": "Call the on-call clinician",
        "protocol-contacts": "On-call clinician: 0300 000 0000",
        "protocol-alert_emails": "oncall@nhs.example"}).status_code == 302
    proto = db.scalar(select(EmergencyProtocol))
    assert proto.contacts == [{"name": "On-call clinician", "detail": "0300 000 0000"}]
    assert admin.post("/moderation/admin/emergency", data={
        "form": "lead", "lead-username": s.guide2.username,
        "lead-title": "Lead facilitator"}).status_code == 302
    lead = db.scalar(select(StaffLead).where(StaffLead.user_id == s.guide2.id))
    assert lead is not None
    assert login(s.guide).post(f"/moderation/admin/leads/{lead.id}/delete").status_code == 403
    assert login(s.admin).post(f"/moderation/admin/leads/{lead.id}/delete").status_code == 302
    assert db.scalar(select(StaffLead.id).where(StaffLead.id == lead.id)) is None



# "²" passes str.isdigit() but int() refuses it; 30 nines overflow an id column.
@pytest.mark.parametrize("junk", ["²", "9" * 30])
def test_numbers_in_duty_forms_that_are_not_ids_get_plain_answers(db, make, login, junk):
    s, _ = scene_with_lead(db, make)
    guide = login(s.guide)
    resp = guide.post("/moderation/duty", data={"hours": junk})
    assert resp.status_code == 422 and "whole number" in resp.get_data(as_text=True)
    assert guide.post("/moderation/duty", data={"hours": "2", "boards": junk}).status_code < 500
    cleared = guide.post("/moderation/handover", data={"item": junk}, follow_redirects=True)
    assert cleared.status_code == 200
    assert "Choose at least one item" in cleared.get_data(as_text=True)
    admin = login(s.admin)
    start = (utcnow() + timedelta(days=1)).replace(second=0, microsecond=0)
    fmt = "%Y-%m-%dT%H:%M"
    shifts = len(db.scalars(select(Shift.id)).all())
    rota = admin.post("/moderation/admin/rota", data={
        "user": junk, "starts_at": start.strftime(fmt),
        "ends_at": (start + timedelta(hours=6)).strftime(fmt)})
    assert rota.status_code == 422
    assert len(db.scalars(select(Shift.id)).all()) == shifts
    course = add_course(db, "Safeguarding adults")
    training = admin.post("/moderation/admin/training", data={
        "form": "record", "record-user": junk, "record-course": str(course.id),
        "record-completed_on": "2026-01-01", "record-expires_on": "2027-01-01"})
    assert training.status_code == 422
