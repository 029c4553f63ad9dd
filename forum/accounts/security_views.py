"""Pages for two-step sign-in and "Where you're signed in", on the accounts blueprint.

Each view parses its form, calls one action and renders. The second step and the staff
set-up page work from the half-signed-in state kept by :func:`views.begin_pending`.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from forum.accounts.forms import (
    CodeForm,
    DisableTwoFactorForm,
    PlainForm,
    ResetTwoFactorForm,
    show_errors,
)
from forum.accounts.models import User
from forum.accounts.sessions import (
    do_end_other_sessions,
    do_end_session,
    key_digest,
    list_sessions,
)
from forum.accounts.two_factor import (
    can_reset_two_factor,
    do_begin_two_factor,
    do_confirm_two_factor,
    do_disable_two_factor,
    do_login_second_step,
    do_reset_two_factor,
    grouped,
    pending_secret,
    provisioning_uri,
    qr_data_uri,
)
from forum.accounts.views import (
    PENDING,
    _form_page,
    _start_session,
    bp,
    device,
    finish_pending,
    pending_sign_in,
    safe_next,
)
from forum.auth import current_viewer
from forum.db import get_session
from forum.errors import Invalid
from forum.permissions import require_user
from forum.privacy.actions import find_member

EXPIRED = "Please sign in again. For your safety, the sign-in stops after 5 minutes."


def _current_digest() -> str | None:
    key = getattr(current_user, "session_key", None)
    return key_digest(key) if key else None


def _back_to_sign_in() -> ResponseReturnValue:
    session.pop(PENDING, None)
    flash(EXPIRED, "info")
    return redirect(url_for("accounts.login"), 303)


@bp.route("/sign-in/code", methods=["GET", "POST"])
def two_factor_code() -> ResponseReturnValue:
    pending = pending_sign_in()
    if pending is None or pending[1].get("step") != "code":
        return _back_to_sign_in()
    user, data = pending
    form = CodeForm()
    if form.validate_on_submit():
        try:
            do_login_second_step(get_session(), user=user, code=form.code.data or "",
                                 device=device(bool(data.get("remember"))))
        except Invalid as exc:
            show_errors(form, exc)
        else:
            return finish_pending(user, data)
    return _form_page("accounts/two_factor_code.html", form)


def _setup_page(user: User, form: CodeForm, action: str) -> ResponseReturnValue:
    secret = pending_secret(user) or do_begin_two_factor(get_session(), user=user)
    uri = provisioning_uri(user, secret)
    return _form_page("accounts/two_factor_setup.html", form, secret=grouped(secret),
                      uri=uri, qr=qr_data_uri(uri), action=action,
                      required=user.is_staff)


@bp.route("/sign-in/set-up-two-step", methods=["GET", "POST"])
def two_factor_setup() -> ResponseReturnValue:
    """Staff signing in without two-step set up: they set it up before going further."""
    pending = pending_sign_in()
    if pending is None or pending[1].get("step") != "setup":
        return _back_to_sign_in()
    user, data = pending
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = do_confirm_two_factor(get_session(), user=user, code=form.code.data or "",
                                          device=device(bool(data.get("remember"))))
        except Invalid as exc:
            show_errors(form, exc)
        else:
            _start_session(user, remember=bool(data.get("remember")))
            return render_template("accounts/recovery_codes.html", codes=codes,
                                   next_url=safe_next(data.get("next")) or url_for(
                                       "boards.index"))
    return _setup_page(user, form, url_for("accounts.two_factor_setup"))


@bp.route("/settings/two-step", methods=["GET", "POST"])
@login_required
def two_factor_settings() -> ResponseReturnValue:
    """A member turns two-step sign-in on (or sees that it is on)."""
    user = require_user(current_viewer())
    if user.has_two_factor:
        return render_template("accounts/two_factor_on.html", user=user,
                               form=DisableTwoFactorForm(formdata=None))
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = do_confirm_two_factor(get_session(), user=user, code=form.code.data or "")
        except Invalid as exc:
            show_errors(form, exc)
        else:
            return render_template("accounts/recovery_codes.html", codes=codes,
                                   next_url=url_for("accounts.settings"))
    return _setup_page(user, form, url_for("accounts.two_factor_settings"))


@bp.post("/settings/two-step/off")
@login_required
def two_factor_off() -> ResponseReturnValue:
    form = DisableTwoFactorForm()
    user = require_user(current_viewer())
    if form.validate_on_submit():
        try:
            do_disable_two_factor(get_session(), actor=current_viewer(),
                                  current_password=form.current_password.data or "")
        except Invalid as exc:
            show_errors(form, exc)
        else:
            flash("Two-step sign-in is off. You can turn it on again at any time.", "success")
            return redirect(url_for("accounts.settings"), 303)
    return _form_page("accounts/two_factor_on.html", form, user=user)


@bp.get("/settings/sessions")
@login_required
def sessions() -> ResponseReturnValue:
    user = require_user(current_viewer())
    return render_template("accounts/sessions.html",
                           sessions=list_sessions(get_session(), user.id, _current_digest()),
                           form=PlainForm(formdata=None))


@bp.post("/settings/sessions/<session_id>/end")
@login_required
def end_session(session_id: str) -> ResponseReturnValue:
    do_end_session(get_session(), actor=current_viewer(), session_id=session_id,
                   current_digest=_current_digest())
    flash("That device has been signed out.", "success")
    return redirect(url_for("accounts.sessions"), 303)


@bp.post("/settings/sessions/end-others")
@login_required
def end_other_sessions() -> ResponseReturnValue:
    ended = do_end_other_sessions(get_session(), actor=current_viewer(),
                                  current_digest=_current_digest())
    flash("You have been signed out everywhere else." if ended.sessions else
          "You were not signed in anywhere else.", "success")
    if ended.email_changes:
        flash("The change of email address that was waiting for confirmation has been "
              "cancelled. If you asked for it, you can ask again.", "success")
    return redirect(url_for("accounts.sessions"), 303)


@bp.route("/admin/members/<username>/two-step", methods=["GET", "POST"])
@login_required
def reset_two_factor(username: str) -> ResponseReturnValue:
    """An administrator resets someone's two-step sign-in (a lost phone)."""
    viewer = current_viewer()
    db = get_session()
    member = find_member(db, actor=viewer, username=username)  # admins only
    form = ResetTwoFactorForm()
    if form.validate_on_submit():
        try:
            do_reset_two_factor(db, actor=viewer, user=member, reason=form.reason.data or "")
        except Invalid as exc:
            show_errors(form, exc)
        else:
            flash(f"Two-step sign-in for {member.username} has been reset. They have been "
                  "signed out everywhere and will set it up again when they next sign in.",
                  "success")
            return redirect(url_for("privacy.member_details", username=member.username), 303)
    return _form_page("accounts/reset_two_factor.html", form, member=member,
                      applies=can_reset_two_factor(member),
                      own=viewer.id == member.id)
