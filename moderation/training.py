"""Facilitators' training: the courses admins define, each facilitator's record, the gate
that keeps facilitators with expired required training read-only, and renewal reminders.

Who calls: the admin training page and the training API (``do_save_course``,
``do_record_training``, ``do_delete_training_record``, the list queries), every
moderation action through :func:`moderation.access.require_facilitates` (the gate), the
escalation actions (the high-tier gate) and the background job (``do_send_training_reminders``).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, object_session

from forum.accounts.models import Role, User, UserStatus
from forum.audit.models import record
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Forbidden, Invalid, NotFound
from forum.mail import Mail, queue_mail
from forum.permissions import Viewer
from moderation.access import require_staff_or_lead
from moderation.duty_models import TrainingCourse, TrainingRecord

NAME_MAX = 120


class TrainingAction(enum.StrEnum):
    COURSE_SAVE = "training_course:save"
    RECORD_SAVE = "training:record"
    RECORD_DELETE = "training:delete"
    REMINDER = "training:reminder"


@dataclass
class TrainingStatus:
    """Which required courses a person lacks or holds expired; ``ok`` when none."""

    missing: list[str] = field(default_factory=list)
    expired: list[str] = field(default_factory=list)
    high_risk_missing: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.expired

    @property
    def high_risk_ok(self) -> bool:
        return self.ok and not self.high_risk_missing

    @property
    def message(self) -> str:
        if self.expired:
            return ("Your training has expired (" + ", ".join(self.expired) + "). Please "
                    "renew it: until then you can read the queue but not act on it.")
        if self.missing:
            return ("You have not yet completed the required training (" +
                    ", ".join(self.missing) + "). Until then you can read the queue but "
                    "not act on it.")
        return ""


def training_status(session: Session, user_id: int, today: date | None = None) -> TrainingStatus:
    today = today or utcnow().date()
    courses = list(session.scalars(select(TrainingCourse).where(
        (TrainingCourse.required.is_(True)) | (TrainingCourse.high_risk.is_(True)))))
    if not courses:
        return TrainingStatus()
    records = {r.course_id: r for r in session.scalars(
        select(TrainingRecord).where(TrainingRecord.user_id == user_id))}
    status = TrainingStatus()
    for course in courses:
        rec = records.get(course.id)
        current = rec is not None and rec.is_current(today)
        if course.required and not current:
            (status.expired if rec is not None else status.missing).append(course.name)
        if course.high_risk and not current:
            status.high_risk_missing.append(course.name)
    return status


def viewer_training(viewer: Viewer) -> TrainingStatus:
    """The viewer's status; admins configure training and are not gated by it."""
    if viewer.user is None or viewer.is_admin:
        return TrainingStatus()
    session = object_session(viewer.user)
    if session is None:
        return TrainingStatus()
    return training_status(session, viewer.user.id)


def require_trained(viewer: Viewer, *, high_risk: bool = False) -> None:
    """403 with a "please renew" message for a facilitator whose required training (or,
    for ``high_risk``, the named high-risk training) is not current."""
    status = viewer_training(viewer)
    if not status.ok:
        raise Forbidden(status.message)
    if high_risk and not status.high_risk_ok:
        raise Forbidden("High-risk escalations need current training in " +
                        ", ".join(status.high_risk_missing) + ". Ask a lead to take this one.")


def _require_admin(actor: Viewer) -> None:
    if not actor.is_admin:
        raise Forbidden("Only administrators can do this.")


@rolls_back_on_error
def do_save_course(session: Session, *, actor: Viewer, name: str, required: bool,
                   high_risk: bool, course: TrainingCourse | None = None) -> TrainingCourse:
    """Create or change a course. Audits ``training_course:save``. Emits nothing."""
    _require_admin(actor)
    name = " ".join((name or "").split())
    if not name:
        raise Invalid(fields={"name": "Enter the course name."})
    if len(name) > NAME_MAX:
        raise Invalid(fields={"name": f"The name must be {NAME_MAX} characters or fewer."})
    clash = session.scalar(select(TrainingCourse).where(TrainingCourse.name == name))
    if clash is not None and clash is not course:
        raise Invalid(fields={"name": "There is already a course with this name."})
    if course is None:
        course = TrainingCourse(name=name, created_at=utcnow())
        session.add(course)
    course.name, course.required, course.high_risk = name, bool(required), bool(high_risk)
    session.flush()
    record(session, actor_id=actor.id, action=TrainingAction.COURSE_SAVE,
           subject_type="training_course", subject_id=course.id,
           after={"name": name, "required": course.required, "high_risk": course.high_risk})
    session.commit()
    return course


#: Mistyped years (0001, 9999) were once accepted: a completion before this year, or an
#: expiry more than ten years ahead, is refused with a message saying to check the year.
EARLIEST_TRAINING_YEAR = 1970
TRAINING_MAX_DAYS_AHEAD = 3653


@rolls_back_on_error
def do_record_training(session: Session, *, actor: Viewer, user: User, course: TrainingCourse,
                       completed_on: date | None, expires_on: date | None) -> TrainingRecord:
    """Record (or renew) one facilitator's completion of a course. Audits
    ``training:record``. Emits nothing."""
    _require_admin(actor)
    if user.role not in (Role.FACILITATOR, Role.ADMIN):
        raise Invalid(fields={"user": "Training is recorded for facilitators only."})
    if completed_on is None:
        raise Invalid(fields={"completed_on": "Enter the date the course was completed."})
    today = utcnow().date()
    if completed_on > today:
        raise Invalid(fields={"completed_on": "The completion date must be in the past."})
    if completed_on.year < EARLIEST_TRAINING_YEAR:
        raise Invalid(fields={"completed_on": f"Enter a completion date from "
                                              f"{EARLIEST_TRAINING_YEAR} onwards. Check the "
                                              "year."})
    if expires_on is not None and expires_on > today + timedelta(days=TRAINING_MAX_DAYS_AHEAD):
        raise Invalid(fields={"expires_on": "Training can be valid for at most ten years "
                                            "from today. Check the year, or leave the expiry "
                                            "date empty if the course does not expire."})
    if expires_on is not None and expires_on <= completed_on:
        raise Invalid(fields={"expires_on": "The expiry date must be after the completion "
                                            "date."})
    rec = session.scalar(select(TrainingRecord).where(TrainingRecord.user_id == user.id,
                                                      TrainingRecord.course_id == course.id))
    before = ({"completed_on": rec.completed_on.isoformat(),
               "expires_on": rec.expires_on.isoformat() if rec.expires_on else None}
              if rec else None)
    if rec is None:
        rec = TrainingRecord(user_id=user.id, course_id=course.id)
        session.add(rec)
    rec.completed_on, rec.expires_on = completed_on, expires_on
    rec.reminded_at = None  # a renewal earns a fresh reminder
    rec.recorded_by_id, rec.updated_at = actor.id, utcnow()
    session.flush()
    record(session, actor_id=actor.id, action=TrainingAction.RECORD_SAVE,
           subject_type="user", subject_id=user.id, before=before,
           after={"course_id": course.id, "completed_on": completed_on.isoformat(),
                  "expires_on": expires_on.isoformat() if expires_on else None})
    session.commit()
    return rec


@rolls_back_on_error
def do_delete_training_record(session: Session, *, actor: Viewer, record_id: int) -> None:
    """Remove a record made in error (a facilitator without it counts as untrained again).
    Audits ``training:delete``. Emits nothing."""
    _require_admin(actor)
    rec = session.get(TrainingRecord, record_id)
    if rec is None:
        raise NotFound("We could not find that training record.")
    record(session, actor_id=actor.id, action=TrainingAction.RECORD_DELETE,
           subject_type="user", subject_id=rec.user_id,
           before={"course_id": rec.course_id, "completed_on": rec.completed_on.isoformat(),
                   "expires_on": rec.expires_on.isoformat() if rec.expires_on else None})
    session.delete(rec)
    session.commit()


# ---- reading ---------------------------------------------------------------------------

def list_courses(session: Session, viewer: Viewer) -> list[TrainingCourse]:
    """Every course (admins)."""
    _require_admin(viewer)
    return list(session.scalars(select(TrainingCourse).order_by(TrainingCourse.name)))


def list_training_records(session: Session, viewer: Viewer, *, user_id: int | None = None
                          ) -> list[TrainingRecord]:
    """Every facilitator's records, or one person's (admins), by name then course."""
    _require_admin(viewer)
    query = (select(TrainingRecord).join(User, User.id == TrainingRecord.user_id)
             .options(joinedload(TrainingRecord.user), joinedload(TrainingRecord.course))
             .order_by(User.username, TrainingRecord.id))
    if user_id is not None:
        query = query.where(TrainingRecord.user_id == user_id)
    return list(session.scalars(query))


def get_training_record(session: Session, user_id: int, course_id: int
                        ) -> TrainingRecord | None:
    return session.scalar(select(TrainingRecord).where(TrainingRecord.user_id == user_id,
                                                       TrainingRecord.course_id == course_id))


def my_training(session: Session, viewer: Viewer
                ) -> tuple[TrainingStatus, list[TrainingRecord]]:
    """The viewer's own status and records (staff and leads)."""
    require_staff_or_lead(session, viewer)
    assert viewer.user is not None
    records = list(session.scalars(select(TrainingRecord).options(
        joinedload(TrainingRecord.course)).where(TrainingRecord.user_id == viewer.user.id)
        .order_by(TrainingRecord.id)))
    return viewer_training(viewer), records


@rolls_back_on_error
def do_send_training_reminders(session: Session, *, now: datetime) -> int:
    """The job's action: email each active facilitator (or admin) whose training expires
    within ``TRAINING_REMINDER_DAYS`` (once per record). Audits ``training:reminder`` (course id
    only). Mail goes after the commit."""
    days = int(current_app.config.get("TRAINING_REMINDER_DAYS", 30))
    today = now.date()
    # Staff only, with an account still in use: a member who has stepped down, or a closed
    # or suspended account, is not asked to renew (should they return, the reminder waits).
    due = list(session.scalars(select(TrainingRecord).join(
        User, User.id == TrainingRecord.user_id).where(
        TrainingRecord.reminded_at.is_(None), TrainingRecord.expires_on.is_not(None),
        TrainingRecord.expires_on <= today + timedelta(days=days),
        User.status == UserStatus.ACTIVE, User.role.in_([Role.FACILITATOR, Role.ADMIN]))))
    service = current_app.config.get("SERVICE_NAME", "Alongside")
    for rec in due:
        assert rec.expires_on is not None
        rec.reminded_at = now
        when = "expired on" if rec.expires_on < today else "expires on"
        queue_mail(session, Mail(
            to=rec.user.email, kind="training_reminder", user_id=rec.user_id,
            subject=f"{service}: please renew your training",
            text=(f"Hello {rec.user.username},\n\nYour \u201c{rec.course.name}\u201d training "
                  f"{when} {rec.expires_on:%d %B %Y}. Please book a renewal with your lead "
                  "facilitator. When required training expires you can still read the "
                  "review queue, but not act on it.\n")))
        record(session, actor_id=None, action=TrainingAction.REMINDER, subject_type="user",
               subject_id=rec.user_id, after={"course_id": rec.course_id})
    session.commit()
    return len(due)
