"""Account pages: register, sign in and out, settings, tokens, password reset (changing the
email address is in :mod:`forum.accounts.email_views`).

Each view parses its form, calls one action and renders. Field errors from an action
come back as ``Invalid`` and are shown on the form (status 422); every other domain
error goes to the app's error pages.
"""

from __future__ import annotations

import math
import time
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from forum.accounts.actions import (
    do_change_password,
    do_create_token,
    do_login,
    do_logout,
    do_revoke_token,
)
from forum.accounts.forms import (
    ChangePasswordForm,
    ConfirmRegistrationForm,
    LoginForm,
    PlainForm,
    RegisterForm,
    ResetPasswordForm,
    ResetRequestForm,
    TokenForm,
    show_errors,
)
from forum.accounts.models import User
from forum.accounts.queries import list_tokens
from forum.accounts.registration import (
    check_registration_token,
    do_confirm_registration,
    do_register,
    username_free,
)
from forum.accounts.reset import check_reset_token, do_request_password_reset, do_reset_password
from forum.accounts.sessions import Device
from forum.auth import current_viewer
from forum.db import get_session
from forum.errors import Invalid
from forum.permissions import require_user
from forum.security import login_throttle

bp = Blueprint("accounts", __name__)

WELCOME = "Welcome to {service}. Your account is ready and you are signed in."
ALREADY_SIGNED_IN = ("You are already signed in. To finish creating a different account, "
                     "sign out and open the link in the email again.")
MAX_NEXT_LENGTH = 2000
SLOWED_DOWN = ("To keep accounts safe, please wait {seconds} seconds before trying to sign in "
               "again. If you have forgotten your password, you can set a new one.")
PENDING = "pending_sign_in"
PENDING_SECONDS = 5 * 60


@bp.after_request
def _private(response: Response) -> Response:
    # Account pages hold one-time secrets and reset links: keep them out of caches, and
    # keep a reset link out of the Referer header of anything the page loads.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def safe_next(target: str | None) -> str | None:
    """``target`` if it is a path on this site, otherwise None (no open redirects)."""
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    # Browsers treat "\" like "/" and drop tabs and newlines, so "/\evil" or "/\t/evil"
    # could become "//evil"; refuse them outright.
    if "\\" in target or any(ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return None
    if not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _home() -> str:
    return url_for("boards.index")


def device(remember: bool) -> Device:
    """The browser making this request, as the session list will describe it."""
    return Device(user_agent=request.headers.get("User-Agent", ""),
                  ip=request.remote_addr or "", remember=remember)


def _start_session(user: User, *, remember: bool) -> None:
    # A new session on every sign-in, so an id planted before sign-in is worth nothing.
    # ``user.session_key`` was set by the action that started the server-side session.
    session.clear()
    login_user(user, remember=remember)


def begin_pending(user: User, *, remember: bool, target: str, step: str) -> None:
    """Half signed in: the password was right, the second step is still to come. Nothing
    here signs anyone in; it lasts five minutes."""
    session.clear()
    session[PENDING] = {"uid": user.id, "ver": user.session_version, "remember": remember,
                        "next": target, "step": step,
                        "until": int(time.time()) + PENDING_SECONDS}


def _well_formed_pending(data: Any) -> bool:
    """Whether ``data`` has the shape ``begin_pending`` writes. The session cookie could
    hold anything (forged with SECRET_KEY, or a bug of ours); a malformed one is no
    sign-in in progress, never a 500."""
    if not isinstance(data, dict):
        return False
    uid, until, next_ = data.get("uid"), data.get("until"), data.get("next")
    return (type(uid) is int and 0 < uid < 2**31
            and type(until) in (int, float) and math.isfinite(until)
            and type(data.get("ver")) is int and isinstance(data.get("step"), str)
            and (next_ is None or isinstance(next_, str)))


def pending_sign_in() -> tuple[User, dict[str, Any]] | None:
    """The member half-way through signing in, if the five minutes have not run out."""
    data = session.get(PENDING)
    if not _well_formed_pending(data) or data["until"] < time.time():
        session.pop(PENDING, None)
        return None
    user = get_session().get(User, data["uid"])
    if user is None or user.session_version != data.get("ver") or not user.is_active:
        session.pop(PENDING, None)
        return None
    return user, data


def finish_pending(user: User, data: dict[str, Any]) -> Response:
    """Sign the half-signed-in member in for real and send them on."""
    _start_session(user, remember=bool(data.get("remember")))
    return redirect(safe_next(data.get("next")) or _home(), 303)


def _has_remember_cookie() -> bool:
    name = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    return name in request.cookies


def _form_page(template: str, form: object, **context: object) -> ResponseReturnValue:
    status = 422 if getattr(form, "errors", None) else 200
    return render_template(template, form=form, **context), status


@bp.route("/register", methods=["GET", "POST"])
def register() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(_home())
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            do_register(get_session(), username=form.username.data or "",
                        email=form.email.data or "", password=form.password.data or "",
                        accepted_guidelines=bool(form.accept_guidelines.data))
        except Invalid as exc:
            show_errors(form, exc)
        else:
            # The same page, status and work whether or not the address has an account:
            # the email that follows is what differs.
            return render_template("accounts/register_sent.html")
    elif request.method == "POST" and not form.accept_guidelines.data:
        form.accept_guidelines.errors = [
            "You need to agree to the community guidelines to join."]
    return _form_page("accounts/register.html", form)


@bp.route("/register/finish/<token>", methods=["GET", "POST"])
def confirm_registration(token: str) -> ResponseReturnValue:
    """The emailed link. Opening it shows a button (mail scanners that follow links must
    not use it up); pressing the button creates the account and signs its owner in."""
    if current_user.is_authenticated:
        flash(ALREADY_SIGNED_IN, "info")
        return redirect(_home(), 303)
    form = ConfirmRegistrationForm()
    db = get_session()
    try:
        pending = check_registration_token(db, token)
        # Asked for only when someone else took the chosen name in the meantime.
        ask_username = bool(form.username.data) or not username_free(db, pending.username)
        if form.validate_on_submit():
            user = do_confirm_registration(
                db, token=token, username=(form.username.data or "") if ask_username else None,
                device=device(False), ip=request.remote_addr)
            _start_session(user, remember=False)
            flash(WELCOME.format(service=current_app.config["SERVICE_NAME"]), "success")
            return redirect(_home(), 303)
    except Invalid as exc:
        if not exc.fields:
            return render_template(
                "accounts/link_invalid.html", message=exc.message,
                next_steps=[("Create an account", "accounts.register"),
                            ("Sign in", "accounts.login"),
                            ("Set a new password", "accounts.request_reset")]), 400
        ask_username = True
        show_errors(form, exc)
    return _form_page("accounts/register_confirm.html", form, token=token,
                      username=pending.username, ask_username=ask_username)


@bp.route("/sign-in", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
        if current_user.is_authenticated:
            return redirect(form.next.data or _home())
    target = safe_next(form.next.data) or _home()
    if form.validate_on_submit():
        typed = form.login.data or ""
        wait = login_throttle.is_throttled(typed)
        if wait:
            # Counted by what was typed, so the answer is the same for every login.
            form.form_errors.append(SLOWED_DOWN.format(seconds=wait))
            response = make_response(render_template(
                "accounts/login.html", form=form,
                remember_days=current_app.config["REMEMBER_COOKIE_DAYS"]), 429)
            response.headers["Retry-After"] = str(wait)
            return response
        remember = bool(form.remember.data)
        try:
            result = do_login(get_session(), login=typed, password=form.password.data or "",
                              device=device(remember), ip=request.remote_addr)
        except Invalid as exc:
            login_throttle.record_failure(typed)
            show_errors(form, exc)
        else:
            login_throttle.record_success(typed)
            if result.second_step is not None:
                begin_pending(result.user, remember=remember, target=target,
                              step=result.second_step)
                endpoint = ("accounts.two_factor_code" if result.second_step == "code"
                            else "accounts.two_factor_setup")
                return redirect(url_for(endpoint), 303)
            _start_session(result.user, remember=remember)
            return redirect(target, 303)
    return _form_page("accounts/login.html", form,
                      remember_days=current_app.config["REMEMBER_COOKIE_DAYS"])


@bp.post("/sign-out")
def logout() -> ResponseReturnValue:
    do_logout(get_session(), actor=current_viewer(),
              session_key=getattr(current_user, "session_key", None))
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
    flash("You have signed out.", "info")
    return redirect(_home(), 303)


def _settings_page(token_form: TokenForm | None = None, new_secret: str | None = None,
                   status: int = 200) -> ResponseReturnValue:
    user = require_user(current_viewer())
    token_form = token_form or TokenForm(formdata=None)
    return render_template("accounts/settings.html", user=user,
                           tokens=list_tokens(get_session(), user.id), token_form=token_form,
                           revoke_form=PlainForm(formdata=None), new_secret=new_secret,
                           page_has_errors=bool(token_form.errors)), status


@bp.get("/settings")
@login_required
def settings() -> ResponseReturnValue:
    return _settings_page()


@bp.route("/settings/password", methods=["GET", "POST"])
@login_required
def change_password() -> ResponseReturnValue:
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            user = do_change_password(get_session(), actor=current_viewer(),
                                      current_password=form.current_password.data or "",
                                      new_password=form.new_password.data or "",
                                      device=device(_has_remember_cookie()))
        except Invalid as exc:
            show_errors(form, exc)
        else:
            # Every session ended with the old session version; carry on in this one.
            _start_session(user, remember=_has_remember_cookie())
            flash("Your password has been changed. You have been signed out on any other "
                  "devices.", "success")
            return redirect(url_for("accounts.settings"), 303)
    return _form_page("accounts/change_password.html", form)


@bp.post("/settings/tokens")
@login_required
def create_token() -> ResponseReturnValue:
    form = TokenForm()
    if form.validate_on_submit():
        try:
            _token, secret = do_create_token(get_session(), actor=current_viewer(),
                                             name=form.name.data or "")
        except Invalid as exc:
            show_errors(form, exc)
        else:
            # Shown on this response only: never stored, never put in a redirect.
            return _settings_page(new_secret=secret, status=201)
    return _settings_page(token_form=form, status=422)


@bp.post("/settings/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int) -> ResponseReturnValue:
    do_revoke_token(get_session(), actor=current_viewer(), token_id=token_id)
    flash("The token has been revoked. Anything using it can no longer act as you.",
          "success")
    return redirect(url_for("accounts.settings"), 303)


@bp.route("/reset-password", methods=["GET", "POST"])
def request_reset() -> ResponseReturnValue:
    form = ResetRequestForm()
    if form.validate_on_submit():
        try:
            do_request_password_reset(get_session(), email=form.email.data or "")
        except Invalid as exc:
            show_errors(form, exc)
        else:
            return render_template("accounts/reset_sent.html")
    return _form_page("accounts/reset_request.html", form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    form = ResetPasswordForm()
    db = get_session()
    try:
        if form.validate_on_submit():
            do_reset_password(db, token=token, new_password=form.password.data or "")
            session.clear()
            flash("Your new password is set. You can now sign in with it.", "success")
            return redirect(url_for("accounts.login"), 303)
        check_reset_token(db, token)
    except Invalid as exc:
        if not exc.fields:
            return render_template(
                "accounts/link_invalid.html", message=exc.message,
                next_steps=[("Ask for a new link", "accounts.request_reset")]), 400
        show_errors(form, exc)
    return _form_page("accounts/reset_password.html", form, token=token)


# The two-step sign-in, "Where you're signed in" and change-of-email pages add their
# routes to ``bp``.
from forum.accounts import email_views, security_views  # noqa: E402,F401
