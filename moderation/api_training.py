"""Training over the API: the courses and every facilitator's records (list, record or
renew, remove: administrators), and "my training" (your own records and whether you may
act in the queue: facilitators and leads). Calls the queries and actions in
:mod:`moderation.training` that the admin training page calls; never commits.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from forum.api.registry import Result
from forum.auth import current_viewer
from forum.db import get_session, utcnow
from forum.errors import Invalid
from moderation import training as T
from moderation.access import require_admin
from moderation.api_base import TAGS, api, user_by_name
from moderation.api_schemas_duty import (
    MyTrainingOut,
    TrainingListOut,
    TrainingQuery,
    TrainingRecordIn,
    TrainingRecordOut,
)
from moderation.duty_models import TrainingCourse, TrainingRecord


def record_json(rec: TrainingRecord, today: date) -> dict[str, Any]:
    return {"id": rec.id, "user": rec.user.username, "course_id": rec.course_id,
            "course": rec.course.name, "completed_on": rec.completed_on,
            "expires_on": rec.expires_on, "current": rec.is_current(today)}


@api.route("/training", methods=["GET"], query=TrainingQuery,
           responses={200: TrainingListOut}, auth=True, tags=TAGS)
def training_records(query: TrainingQuery) -> Result:
    """The training courses, and every facilitator's records or one person's
    (administrators)."""
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)  # before the query's name is looked up
    user_id = user_by_name(session, query.user).id if query.user else None
    courses = T.list_courses(session, viewer)
    records = T.list_training_records(session, viewer, user_id=user_id)
    today = utcnow().date()
    return {"courses": [{"id": c.id, "name": c.name, "required": c.required,
                         "high_risk": c.high_risk} for c in courses],
            "records": [record_json(r, today) for r in records]}


@api.route("/training", methods=["POST"], body=TrainingRecordIn,
           responses={200: TrainingRecordOut, 201: TrainingRecordOut}, auth=True, tags=TAGS)
def record_training(body: TrainingRecordIn) -> Result:
    """Record that a facilitator completed a course (201), or renew their record of it
    (200) (administrators)."""
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)  # before the body's names are looked up
    user = user_by_name(session, body.user)
    course = session.get(TrainingCourse, body.course)
    if course is None:
        raise Invalid(fields={"course": "There is no course with that id."})
    renewed = T.get_training_record(session, user.id, course.id) is not None
    rec = T.do_record_training(session, actor=viewer, user=user, course=course,
                               completed_on=body.completed_on, expires_on=body.expires_on)
    return record_json(rec, utcnow().date()), 200 if renewed else 201


@api.route("/training/<int:record_id>", methods=["DELETE"], responses={204: None},
           auth=True, tags=TAGS)
def delete_training_record(record_id: int) -> Result:
    """Remove a training record made in error (administrators)."""
    T.do_delete_training_record(get_session(), actor=current_viewer(), record_id=record_id)
    return None, 204


@api.route("/training/mine", methods=["GET"], responses={200: MyTrainingOut}, auth=True,
           tags=TAGS)
def my_training() -> Result:
    """Your training: each record, and whether it lets you act in the review queue and on
    high-risk escalations (facilitators and leads)."""
    status, records = T.my_training(get_session(), current_viewer())
    today = utcnow().date()
    return {"ok": status.ok, "high_risk_ok": status.high_risk_ok, "message": status.message,
            "missing": status.missing, "expired": status.expired,
            "high_risk_missing": status.high_risk_missing,
            "records": [record_json(r, today) for r in records]}
