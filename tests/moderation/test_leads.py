"""A lead facilitator or clinical lead who facilitates no board: they see the escalations
that reached level 2 and above (and any they were alerted about), the review queue and
the pages to act on those; everything else is still refused."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.boards.actions import do_assign_facilitator
from forum.threads.models import PostState
from moderation import escalations as E
from moderation.models import EscalationState
from tests.moderation.duty_scene import escalate, scene_with_lead

pytestmark = pytest.mark.usefixtures("fake_checks")

STILL_REFUSED = ["/moderation/duty", "/moderation/handover", "/moderation/unanswered",
                 "/moderation/admin/rota", "/moderation/admin/training",
                 "/moderation/admin/workload", "/moderation/admin/emergency",
                 "/moderation/admin/watched-words", "/moderation/admin/audit",
                 "/api/v1/moderation/rota", "/api/v1/moderation/coverage",
                 "/api/v1/moderation/training", "/api/v1/moderation/watched-words",
                 "/api/v1/moderation/audit"]


def _raise_to_level_two(db, esc):  # type: ignore[no-untyped-def]
    E.check_escalation_deadlines(db, esc.created_at + timedelta(minutes=16))
    db.refresh(esc)
    assert esc.level == 2


def test_lead_of_no_board_sees_escalations_from_level_two(db, make, login):
    s, lead = scene_with_lead(db, make)
    assert lead.role == "facilitator"
    esc = escalate(db, make, s, "high")
    path = f"/moderation/escalations/{esc.id}"
    client = login(lead)
    # Level 1 belongs to the board's facilitators.
    assert client.get(path).status_code == 404
    assert path not in client.get("/moderation/escalations").get_data(as_text=True)
    assert client.get(f"/api/v1/moderation/escalations/{esc.id}").status_code == 404
    assert client.get("/api/v1/moderation/escalations").get_json() == {"escalations": []}

    _raise_to_level_two(db, esc)
    queue = client.get("/moderation/")
    assert queue.status_code == 200
    html = queue.get_data(as_text=True)
    assert "1 open escalation" in html and "Nothing to review right now." in html
    assert "/moderation/duty" not in html and "/moderation/handover" not in html
    assert client.get("/moderation/queue/items").status_code == 200
    assert path in client.get("/moderation/escalations").get_data(as_text=True)
    page = client.get(path)
    assert page.status_code == 200 and "I have seen this" in page.get_data(as_text=True)
    listed = client.get("/api/v1/moderation/escalations").get_json()["escalations"]
    assert [e["id"] for e in listed] == [esc.id] and listed[0]["level"] == 2
    # They can act on it: acknowledge on the page, a note over the API.
    assert client.post(f"{path}/acknowledge").status_code == 302
    db.refresh(esc)
    assert esc.state == EscalationState.ACKNOWLEDGED and esc.acknowledged_by_id == lead.id
    noted = client.post(f"/api/v1/moderation/escalations/{esc.id}/notes",
                        json={"note": "Phoned the duty clinician"})
    assert noted.status_code == 201
    assert noted.get_json()["timeline"][-1]["summary"] == f"Note from {lead.username}"


def test_lead_reads_the_review_item_but_acts_only_on_the_escalation(db, make, login):
    s, lead = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    case_id = s.case(db).id
    client = login(lead)
    assert client.get(f"/moderation/cases/{case_id}").status_code == 404
    _raise_to_level_two(db, esc)
    page = client.get(f"/moderation/cases/{case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Something that upset people." in html and "its escalation has reached you" in html
    assert "I&#39;ll take this" not in html and "Hide the post" not in html
    assert client.get(f"/api/v1/moderation/cases/{case_id}").status_code == 200
    # Acting on the item itself stays with the board's facilitators.
    assert client.post(f"/moderation/cases/{case_id}/hide",
                       data={"hide-reason": "Unsafe"}).status_code == 403
    assert client.post(f"/api/v1/moderation/cases/{case_id}/actions",
                       json={"action": "hide", "reason": "Unsafe"}).status_code == 403
    db.refresh(s.post)
    assert s.post.state == PostState.PUBLISHED


@pytest.mark.parametrize("path", STILL_REFUSED)
def test_everything_else_is_still_refused(db, make, login, path):
    s, lead = scene_with_lead(db, make)
    _raise_to_level_two(db, escalate(db, make, s, "high"))
    assert login(lead).get(path).status_code == 403
    assert login(lead).post("/api/v1/moderation/duty/on", json={}).status_code == 403


def test_a_lead_who_was_alerted_still_sees_it(db, make, login):
    """Alerted at level 1 as one of the board's facilitators, then taken off the board:
    the escalation that reached them stays theirs to see."""
    s, lead = scene_with_lead(db, make)
    do_assign_facilitator(db, actor=None, board=s.board, user=lead)
    esc = escalate(db, make, s, "medium")
    do_assign_facilitator(db, actor=None, board=s.board, user=lead, assign=False)
    assert esc.level == 1
    client = login(lead)
    assert client.get(f"/moderation/escalations/{esc.id}").status_code == 200
    listed = client.get("/api/v1/moderation/escalations").get_json()["escalations"]
    assert [e["id"] for e in listed] == [esc.id]
    # A facilitator who is not a lead, taken off the board, loses it.
    do_assign_facilitator(db, actor=None, board=s.board, user=s.guide2, assign=False)
    assert login(s.guide2).get(f"/moderation/escalations/{esc.id}").status_code == 403


def test_naming_a_member_lead_makes_them_staff(db, make, login):
    """A clinical lead may not have a facilitator account yet. Naming them lead makes them
    a facilitator by role, so they sign in with two steps like all staff (their sessions
    end); a lead whose role is later taken back to member is let in no more."""
    from forum.accounts.actions import do_set_role
    from forum.accounts.models import Role
    from forum.audit.models import AuditEntry
    from moderation.protocol import do_add_lead

    s, _ = scene_with_lead(db, make)
    clinician = make.user("clinician")
    version = clinician.session_version
    do_add_lead(db, actor=make.viewer(s.admin), username=clinician.username,
                title="Clinical lead")
    assert clinician.role == Role.FACILITATOR and clinician.session_version == version + 1
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "lead:add"))
    assert entry.before == {"role": "member"} and entry.after["role"] == "facilitator"
    esc = escalate(db, make, s, "high")
    _raise_to_level_two(db, esc)
    client = login(clinician)
    assert client.get("/moderation/").status_code == 200
    assert client.get(f"/moderation/escalations/{esc.id}").status_code == 200
    assert client.get("/api/v1/moderation/training/mine").get_json()["ok"] is True

    do_set_role(db, actor=make.viewer(s.admin), user=clinician, role=Role.MEMBER)
    assert login(clinician).get(f"/moderation/escalations/{esc.id}").status_code == 403
