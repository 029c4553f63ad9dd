"""Admin pages for part 2: the rota with the coming week's coverage and gaps, training
courses and records, facilitators' workload, and the leads and emergency protocol.

Views parse input, call one action or query, and render; they never commit.
"""

from __future__ import annotations

from datetime import UTC, datetime

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from forum.accounts.models import Role, User
from forum.auth import current_viewer
from forum.boards.models import Board
from forum.db import get_session
from forum.errors import Invalid
from forum.routing import whole_number
from forum.templating import _display_zone as display_zone
from moderation import duty as D
from moderation import protocol as P
from moderation import training as T
from moderation.access import require_admin
from moderation.duty_forms import (
    CourseForm,
    LeadForm,
    ProtocolForm,
    ShiftForm,
    TrainingRecordForm,
)
from moderation.duty_models import TrainingCourse, TrainingRecord
from moderation.forms import SimpleForm, apply_errors
from moderation.views import bp
from moderation.workload import shift_loads
from moderation.workload import workload as workload_rows


def _staff_choices() -> list[SelectChoice]:
    users = get_session().scalars(select(User).where(
        User.role.in_([Role.FACILITATOR, Role.ADMIN])).order_by(User.username))
    return [SelectChoice("", "Choose a facilitator"),
            *(SelectChoice(str(u.id), u.username) for u in users)]


def _utc(value: datetime | None) -> datetime | None:
    """A time typed into the rota form, in the site's display time (UK time, as every time
    on the page is shown), as UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=display_zone()).astimezone(UTC)


def _board_ids(text: str) -> list[int]:
    slugs = [s.strip() for s in (text or "").split(",") if s.strip()]
    ids = []
    for slug in slugs:
        board = get_session().scalar(select(Board).where(Board.slug == slug))
        if board is None:
            raise Invalid(fields={"boards": f"There is no board called \u201c{slug}\u201d."})
        ids.append(board.id)
    return ids


@bp.route("/moderation/admin/rota", methods=["GET", "POST"])
def rota() -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)
    form = ShiftForm()
    form.user.choices = _staff_choices()
    status = 200
    if request.method == "POST":
        try:
            if not form.validate():
                raise Invalid(fields={k: v[0] for k, v in form.errors.items() if v})
            user_id = whole_number(form.user.data)
            user = session.get(User, user_id) if user_id is not None else None
            D.do_add_shift(session, actor=viewer, user=user,
                           starts_at=_utc(form.starts_at.data), ends_at=_utc(form.ends_at.data),
                           board_ids=_board_ids(form.boards.data or ""))
        except Invalid as exc:
            apply_errors(form, exc.fields or {"user": exc.message})
            status = 422
        else:
            flash("The shift is on the rota.", "success")
            return redirect(url_for("moderation.rota"))
    return render_template("moderation/rota.html", form=form, delete_form=SimpleForm(),
                           boards=D.coverage(session, viewer),
                           page_has_errors=status != 200), status


@bp.post("/moderation/admin/rota/<int:shift_id>/delete")
def delete_shift(shift_id: int) -> Response:
    viewer = current_viewer()
    require_admin(viewer)
    D.do_delete_shift(get_session(), actor=viewer, shift_id=shift_id)
    flash("The shift has been taken off the rota.", "success")
    return redirect(url_for("moderation.rota"))


@bp.route("/moderation/admin/training", methods=["GET", "POST"])
def training() -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)
    course_form = CourseForm(prefix="course")
    record_form = TrainingRecordForm(prefix="record")
    record_form.user.choices = _staff_choices()
    courses = list(session.scalars(select(TrainingCourse).order_by(TrainingCourse.name)))
    record_form.course.choices = [SelectChoice("", "Choose a course"),
                                  *(SelectChoice(str(c.id), c.name) for c in courses)]
    status = 200
    if request.method == "POST":
        which = request.form.get("form")
        form = course_form if which == "course" else record_form
        try:
            if not form.validate():
                raise Invalid(fields={k: v[0] for k, v in form.errors.items() if v})
            if which == "course":
                T.do_save_course(session, actor=viewer, name=course_form.name.data or "",
                                 required=bool(course_form.required.data),
                                 high_risk=bool(course_form.high_risk.data))
            else:
                raw_user, raw_course = record_form.user.data or "", record_form.course.data or ""
                user_id, course_id = whole_number(raw_user), whole_number(raw_course)
                user = session.get(User, user_id) if user_id is not None else None
                course = session.get(TrainingCourse, course_id) \
                    if course_id is not None else None
                if user is None:
                    raise Invalid(fields={"user": "Choose a facilitator."})
                if course is None:
                    raise Invalid(fields={"course": "Choose a course."})
                T.do_record_training(session, actor=viewer, user=user, course=course,
                                     completed_on=record_form.completed_on.data,
                                     expires_on=record_form.expires_on.data)
        except Invalid as exc:
            apply_errors(form, exc.fields or {"name": exc.message})
            status = 422
        else:
            flash("Saved.", "success")
            return redirect(url_for("moderation.training"))
    records = list(session.scalars(select(TrainingRecord).join(User, User.id ==
                                                               TrainingRecord.user_id)
                                   .order_by(User.username, TrainingRecord.id)))
    today = datetime.now(UTC).date()
    return render_template("moderation/training.html", courses=courses, records=records,
                           today=today, course_form=course_form, record_form=record_form,
                           page_has_errors=status != 200), status


@bp.get("/moderation/admin/workload")
def workload() -> str:
    viewer = current_viewer()
    rows = workload_rows(get_session(), viewer)
    return render_template("moderation/workload.html", rows=rows, shifts=shift_loads(rows))


@bp.route("/moderation/admin/emergency", methods=["GET", "POST"])
def emergency() -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)
    proto = P.get_protocol(session)
    data = None
    if request.method == "GET" and proto is not None:
        data = {"text": proto.text,
                "contacts": "\n".join(f"{c['name']}: {c['detail']}" for c in proto.contacts),
                "alert_emails": "\n".join(proto.alert_emails)}
    form = ProtocolForm(prefix="protocol", data=data)
    lead_form = LeadForm(prefix="lead")
    status = 200
    if request.method == "POST":
        which = request.form.get("form")
        target = lead_form if which == "lead" else form
        try:
            if which == "lead":
                P.do_add_lead(session, actor=viewer, username=lead_form.username.data or "",
                              title=lead_form.title.data or "")
            else:
                P.do_save_protocol(session, actor=viewer, text=form.text.data or "",
                                   contacts=form.contacts.data or "",
                                   alert_emails=form.alert_emails.data or "")
        except Invalid as exc:
            apply_errors(target, exc.fields or {"username": exc.message})
            status = 422
        else:
            flash("Saved.", "success")
            return redirect(url_for("moderation.emergency"))
    return render_template("moderation/emergency.html", form=form, lead_form=lead_form,
                           leads=P.list_leads(session, viewer), delete_form=SimpleForm(),
                           page_has_errors=status != 200), status


@bp.post("/moderation/admin/leads/<int:lead_id>/delete")
def delete_lead(lead_id: int) -> Response:
    viewer = current_viewer()
    require_admin(viewer)
    P.do_remove_lead(get_session(), actor=viewer, lead_id=lead_id)
    flash("Removed.", "success")
    return redirect(url_for("moderation.emergency"))
