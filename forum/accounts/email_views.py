"""Changing the email address, on the accounts blueprint: the settings form, and the page
the link sent to the new address opens.

Each view parses its form, calls one action (:mod:`forum.accounts.email_change`) and
renders. The form answers the same for every address; what differs is the email that
follows.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from forum.accounts.email_change import (
    check_email_change_token,
    do_confirm_email_change,
    do_request_email_change,
)
from forum.accounts.forms import ChangeEmailForm, PlainForm, show_errors
from forum.accounts.views import _form_page, _home, bp
from forum.auth import current_viewer
from forum.db import get_session
from forum.errors import Invalid

EMAIL_LINK_SENT = ("We've sent a link to the new address. Your email changes when you "
                   "open it.")
EMAIL_CHANGED = "Your email address has been changed. We have let your old address know."


@bp.route("/settings/email", methods=["GET", "POST"])
@login_required
def change_email() -> ResponseReturnValue:
    form = ChangeEmailForm()
    if form.validate_on_submit():
        try:
            do_request_email_change(get_session(), actor=current_viewer(),
                                    current_password=form.current_password.data or "",
                                    new_email=form.email.data or "")
        except Invalid as exc:
            show_errors(form, exc)
        else:
            # The same answer and work whether or not the address has an account: the
            # email that follows is what differs.
            flash(EMAIL_LINK_SENT, "success")
            return redirect(url_for("accounts.settings"), 303)
    return _form_page("accounts/change_email.html", form)


@bp.route("/settings/email/confirm/<token>", methods=["GET", "POST"])
def confirm_email_change(token: str) -> ResponseReturnValue:
    """The link sent to the new address. Opening it shows a button (mail scanners that
    follow links must not use it); pressing the button makes the change. Works signed in
    or not: the link is only in the new address's inbox, and asking for it took the
    account's password."""
    form = PlainForm()
    db = get_session()
    try:
        pending, _owner = check_email_change_token(db, token)
        new_email = pending.email
        if form.validate_on_submit():
            user = do_confirm_email_change(db, token=token)
            flash(EMAIL_CHANGED, "success")
            if current_user.is_authenticated and current_user.id == user.id:
                return redirect(url_for("accounts.settings"), 303)
            return redirect(url_for("accounts.login") if not current_user.is_authenticated
                            else _home(), 303)
    except Invalid as exc:
        return render_template(
            "accounts/link_invalid.html", message=exc.message,
            next_steps=[("Change your email address", "accounts.change_email"),
                        ("Sign in", "accounts.login")]), 400
    return _form_page("accounts/email_change_confirm.html", form, token=token,
                      new_email=new_email)
