"""Member pages: report a post, my reports, notices about my posts, and appealing."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from forum.auth import current_viewer
from forum.db import get_session
from forum.errors import DomainError
from forum.permissions import access_post, require_user
from moderation.actions import do_appeal, do_report_post
from moderation.actions.flags import ALREADY_REPORTED, AlreadyReported
from moderation.forms import AppealForm, ReportForm, apply_errors
from moderation.queries import access_notice, list_my_notices, list_my_reports, my_report_of
from moderation.views import bp


@bp.route("/posts/<int:post_id>/report", methods=["GET", "POST"])
def report(post_id: int) -> Response | tuple[str, int]:
    viewer = current_viewer()
    require_user(viewer)
    session = get_session()
    post = access_post(session, viewer, post_id)
    sent = url_for("moderation.report_sent", post_id=post.id)
    if my_report_of(session, viewer, post.id) is not None:
        # Reported before (the back button, a second tab): say so, offer no second form.
        flash(ALREADY_REPORTED, "info")
        return redirect(sent, code=303)
    form = ReportForm()
    status = 200
    if request.method == "POST" and form.validate():
        try:
            do_report_post(session, actor=viewer, post=post, reason=form.reason.data or "",
                           note=form.note.data or "")
        except AlreadyReported as exc:  # the same member's other request got there first
            flash(exc.message, "info")
        except DomainError as exc:
            if exc.status not in (400, 422):
                raise
            apply_errors(form, exc.fields or {"reason": exc.message})
            status = 422
        if status != 422:
            # Post/redirect/get: refreshing the confirmation must not send the report again.
            return redirect(sent, code=303)
    return render_template("moderation/report.html", post=post, form=form), status


@bp.get("/posts/<int:post_id>/report/sent")
def report_sent(post_id: int) -> Response | str:
    """The confirmation after reporting. Shown from the member's own report, not the post:
    a report that hid the post must still be thanked."""
    viewer = current_viewer()
    flag = my_report_of(get_session(), viewer, post_id)
    if flag is None:
        return redirect(url_for("moderation.report", post_id=post_id))
    return render_template("moderation/report_thanks.html", post_id=post_id)


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
