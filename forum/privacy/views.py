"""Privacy pages: "Your data" in settings (download, close account) and the admin's
"Member details" page. Each view parses its form, calls one action and renders."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import login_required, logout_user
from werkzeug.wrappers import Response

from forum.accounts.forms import show_errors
from forum.auth import current_viewer
from forum.db import get_session
from forum.errors import Invalid
from forum.privacy.actions import (
    CONFIRM_PHRASE,
    do_delete_account,
    do_export_my_data,
    do_view_member_private,
    find_member,
)
from forum.privacy.export import SECTION_TITLES
from forum.privacy.forms import DeleteAccountForm, ExportForm, ViewPrivateForm

bp = Blueprint("privacy", __name__)


@bp.after_request
def _private(response: Response) -> Response:
    # Every page here shows or asks for private information: never cache it anywhere.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _status(form: object) -> int:
    return 422 if getattr(form, "errors", None) else 200


@bp.route("/settings/your-data", methods=["GET", "POST"])
@login_required
def export() -> ResponseReturnValue:
    form = ExportForm()
    if form.validate_on_submit():
        config = current_app.config
        try:
            data = do_export_my_data(get_session(), actor=current_viewer(),
                                     password=form.password.data or "",
                                     service_name=config["SERVICE_NAME"],
                                     remember_days=config["REMEMBER_COOKIE_DAYS"])
        except Invalid as exc:
            show_errors(form, exc)
        else:
            stamp = data["generated_at"][:10]
            if form.format.data == "html":
                body = render_template("privacy/export_document.html", data=data,
                                       titles=SECTION_TITLES)
                name, mimetype = f"my-data-{stamp}.html", "text/html"
            else:
                body = json.dumps(data, indent=2, ensure_ascii=False)
                name, mimetype = f"my-data-{stamp}.json", "application/json"
            response = Response(body, mimetype=mimetype)
            response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
    return render_template("privacy/export.html", form=form), _status(form)


@bp.route("/settings/close-account", methods=["GET", "POST"])
@login_required
def delete_account() -> ResponseReturnValue:
    form = DeleteAccountForm()
    if form.validate_on_submit():
        try:
            do_delete_account(get_session(), actor=current_viewer(),
                              password=form.password.data or "",
                              confirmation=form.confirmation.data or "",
                              mode=form.mode.data or "erase")
        except Invalid as exc:
            show_errors(form, exc)
        else:
            session.clear()
            logout_user()
            return redirect(url_for("privacy.account_closed"), 303)
    return render_template("privacy/delete.html", form=form, phrase=CONFIRM_PHRASE,
                           retention=current_app.config), _status(form)


@bp.get("/account-closed")
def account_closed() -> ResponseReturnValue:
    return render_template("privacy/closed.html")


@bp.route("/admin/members/<username>", methods=["GET", "POST"])
@login_required
def member_details(username: str) -> ResponseReturnValue:
    viewer = current_viewer()
    db = get_session()
    member = find_member(db, actor=viewer, username=username)
    form = ViewPrivateForm()
    private = None
    if form.validate_on_submit():
        try:
            private = do_view_member_private(db, actor=viewer, username=username,
                                             reason=form.reason.data or "")
        except Invalid as exc:
            show_errors(form, exc)
    return render_template("privacy/member.html", member=member, form=form,
                           private=private), _status(form)
