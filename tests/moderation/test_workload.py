"""Workload: each facilitator's response times (to acknowledge, to act) and how many
high-risk escalations they handled in each shift, on the admins' page; nobody else sees
it."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from forum.db import utcnow
from forum.errors import Forbidden
from moderation import actions as A
from moderation import escalations as E
from moderation.duty_models import Shift
from moderation.models import Case, Escalation, EscalationEvent
from moderation.workload import workload
from tests.moderation.duty_scene import scene_with_lead

pytestmark = pytest.mark.usefixtures("fake_checks")


def _escalation(db, make, s, tier: str, opened: datetime) -> Escalation:  # type: ignore[no-untyped-def]
    post = make.thread(s.board, make.user(), body="A hard week").post
    A.do_report_post(db, actor=make.viewer(s.member), post=post, reason="self_harm")
    case = db.scalar(select(Case).where(Case.post_id == post.id))
    esc = A.do_escalate_case(db, actor=make.viewer(s.guide), case=case, reason="Worried",
                             tier=tier)
    esc.created_at = opened
    db.commit()
    return esc


def _at(db, esc: Escalation, kind: str, when: datetime) -> None:  # type: ignore[no-untyped-def]
    """Move the latest ``kind`` entry (and the matching column) to ``when``."""
    event = db.scalar(select(EscalationEvent).where(
        EscalationEvent.escalation_id == esc.id, EscalationEvent.kind == kind)
        .order_by(EscalationEvent.id.desc()))
    event.created_at = when
    if kind == "acknowledged":
        esc.acknowledged_at = when
    db.commit()


def test_response_times_and_high_risk_cases_per_shift(db, make, login):
    s, _ = scene_with_lead(db, make)
    now = utcnow().replace(microsecond=0)
    first = now - timedelta(days=2)  # guide2's first shift: 8 hours
    second = now - timedelta(days=1)  # and the next day's
    for start in (first, second):
        db.add(Shift(user_id=s.guide2.id, starts_at=start, ends_at=start + timedelta(hours=8)))
    db.commit()
    jo = make.viewer(s.guide2)

    # First shift: two high-risk cases and a medium one.
    one = _escalation(db, make, s, "high", first + timedelta(hours=1))
    E.do_acknowledge_escalation(db, actor=jo, escalation=one)
    _at(db, one, "acknowledged", first + timedelta(hours=1, minutes=10))
    E.do_resolve_escalation(db, actor=jo, escalation=one, outcome="signposted")
    _at(db, one, "resolved", first + timedelta(hours=1, minutes=40))
    two = _escalation(db, make, s, "high", first + timedelta(hours=2))
    E.do_acknowledge_escalation(db, actor=jo, escalation=two)
    _at(db, two, "acknowledged", first + timedelta(hours=2, minutes=20))
    E.do_start_escalation(db, actor=jo, escalation=two)
    _at(db, two, "in_progress", first + timedelta(hours=2, minutes=30))
    medium = _escalation(db, make, s, "medium", first + timedelta(hours=3))
    E.do_acknowledge_escalation(db, actor=jo, escalation=medium)
    _at(db, medium, "acknowledged", first + timedelta(hours=3, minutes=50))
    # Second shift: one high-risk case, and a note on one from the first.
    three = _escalation(db, make, s, "high", second + timedelta(hours=4))
    E.do_acknowledge_escalation(db, actor=jo, escalation=three)
    _at(db, three, "acknowledged", second + timedelta(hours=4, minutes=30))
    E.do_add_escalation_note(db, actor=jo, escalation=two, note="Checked in again")
    _at(db, two, "note", second + timedelta(hours=5))
    # Seeing one is not handling it; and guide opened them all, which is not handling.
    E.do_record_escalation_view(db, actor=make.viewer(s.guide2), escalation=three)

    rows = {r.user.id: r for r in workload(db, make.viewer(s.admin), now)}
    jo_row = rows[s.guide2.id]
    assert jo_row.median_ack_minutes == 25.0  # of 10, 20, 50 and 30
    assert jo_row.median_act_minutes == 35.0  # resolved after 40, started after 30
    assert [(sh.starts_at, sh.high_risk) for sh in jo_row.shifts] == [(second, 2),
                                                                     (first, 2)]
    assert jo_row.most_in_a_shift == 2 and jo_row.high_risk_handled == 3
    assert jo_row.open_escalations == 3  # two, medium, three: acknowledged, still open
    guide_row = rows[s.guide.id]
    assert guide_row.high_risk_handled == 0 and guide_row.shifts == []
    assert guide_row.median_ack_minutes is None and guide_row.most_in_a_shift is None

    page = login(s.admin).get("/moderation/admin/workload")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "25.0 minutes" in html and "35.0 minutes" in html
    assert "High-risk cases handled in each shift" in html
    assert html.count(f'<td class="nhsuk-table__cell">{s.guide2.username}</td>') == 3


def test_workload_is_for_admins_only(db, make, login):
    s, lead = scene_with_lead(db, make)
    for user in (s.guide, lead, s.member):
        with pytest.raises(Forbidden):
            workload(db, make.viewer(user))
        assert login(user).get("/moderation/admin/workload").status_code == 403
