"""Member pages: report a post, my reports, notices about my posts, and appealing."""

from __future__ import annotations

from flask import render_template, request
from werkzeug.wrappers import Response

from forum.auth import current_viewer
from forum.db import get_session
from forum.errors import DomainError
from forum.permissions import access_post, require_user
from moderation.actions import do_appeal, do_report_post
from moderation.forms import AppealForm, ReportForm, apply_errors
from moderation.queries import access_notice, list_my_notices, list_my_reports
from moderation.views import bp


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
def report(post_id: int) -> Response | tuple[str, int]:
    viewer = current_viewer()
    require_user(viewer)
    session = get_session()
    post = access_post(session, viewer, post_id)
    form = ReportForm()
    status = 200
    if request.method == "POST" and form.validate():
        try:
            do_report_post(session, actor=viewer, post=post, reason=form.reason.data or "",
                           note=form.note.data or "")
        except DomainError as exc:
            if exc.status not in (400, 422):
                raise
            apply_errors(form, exc.fields or {"reason": exc.message})
            status = 422
        else:
            return render_template("moderation/report_thanks.html", post=post), 200
    return render_template("moderation/report.html", post=post, form=form), status


@bp.get("/my/reports")
def my_reports() -> str:
    viewer = current_viewer()
    return render_template("moderation/my_reports.html",
                           rows=list_my_reports(get_session(), viewer))


@bp.get("/my/notices")
def my_notices() -> str:
    viewer = current_viewer()
    return render_template("moderation/my_notices.html",
                           notices=list_my_notices(get_session(), viewer))


@bp.route("/my/notices/<int:notice_id>/appeal", methods=["GET", "POST"])
def appeal_notice(notice_id: int) -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    notice = access_notice(session, viewer, notice_id)
    form = AppealForm()
    status = 200
    if request.method == "POST" and form.validate():
        try:
            do_appeal(session, actor=viewer, notice=notice, text=form.text.data or "")
        except DomainError as exc:
            if exc.status not in (400, 409, 422):
                raise
            apply_errors(form, exc.fields or {"text": exc.message})
            status = 422
        else:
            return render_template("moderation/appeal_thanks.html", notice=notice), 200
    return render_template("moderation/appeal.html", notice=notice, form=form), status
