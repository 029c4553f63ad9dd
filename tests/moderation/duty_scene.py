"""Set-up for part-2 tests: a board with two facilitators, a lead, an admin, and a
reported post with its case; helpers to escalate and to read the timeline."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.db import utcnow
from moderation import actions as A
from moderation.duty_models import StaffLead, TrainingCourse, TrainingRecord
from moderation.models import Escalation, EscalationEvent
from tests.moderation.mod_scene import Scene, build_scene


def scene_with_lead(db: Session, make, **board_fields):  # type: ignore[no-untyped-def]
    s = build_scene(db, make, **board_fields)
    lead = make.user("leadperson", role="facilitator", email="lead@example.org")
    db.add(StaffLead(user_id=lead.id, title="Clinical lead"))
    db.commit()
    return s, lead


def escalate(db: Session, make, s: Scene, tier: str = "high") -> Escalation:  # type: ignore[no-untyped-def]
    return A.do_escalate_case(db, actor=make.viewer(s.guide), case=s.case(db),
                              reason="Worried about them", tier=tier)


def kinds(db: Session, esc: Escalation) -> list[str]:
    return list(db.scalars(select(EscalationEvent.kind).where(
        EscalationEvent.escalation_id == esc.id).order_by(EscalationEvent.id)))


def add_course(db: Session, name: str, *, required: bool = True,
               high_risk: bool = False) -> TrainingCourse:
    course = TrainingCourse(name=name, required=required, high_risk=high_risk)
    db.add(course)
    db.commit()
    return course


def train(db: Session, user, course: TrainingCourse, *, expires_in_days: int | None = 365  # type: ignore[no-untyped-def]
          ) -> TrainingRecord:
    today = utcnow().date()
    rec = TrainingRecord(user_id=user.id, course_id=course.id,
                         completed_on=today - timedelta(days=30),
                         expires_on=None if expires_in_days is None
                         else today + timedelta(days=expires_in_days))
    db.add(rec)
    db.commit()
    return rec


def days_ago(n: int) -> date:
    return utcnow().date() - timedelta(days=n)
