"""Notification pages: the list, opening one, marking all read, email settings, and the
sign-in-free unsubscribe link. Each view parses input and calls one query or action."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from forum.auth import current_viewer
from forum.change_feed import fresh_answers
from forum.db import get_session
from forum.errors import Invalid, NotFound
from forum.extensions import csrf, login_manager
from forum.notifications.actions import (
    do_mark_all_read,
    do_read_notification,
    do_set_email_frequency,
    do_unsubscribe,
)
from forum.notifications.emails import read_unsubscribe_token
from forum.notifications.forms import EmailFrequencyForm
from forum.notifications.queries import (
    access_notification,
    get_frequency,
    list_notifications,
    target_path,
    unread_count,
    unread_count_column,
)
from forum.page_cache import prefetched, register_slot
from forum.templating import notification_badge
from forum.threads.page_key import register_page_fact

bp = Blueprint("notifications", __name__)


def _safe_path(path: str) -> str:
    # Only paths on this site: a stored link must never send a member elsewhere.
    if not path.startswith("/") or path.startswith("//") or "\\" in path:
        return url_for("notifications.index")
    return path


@bp.get("/notifications")
def index() -> ResponseReturnValue:
    viewer = current_viewer()
    if viewer.user is None:
        return login_manager.unauthorized()
    page = request.args.get("page", 1, type=int) or 1
    listing = list_notifications(get_session(), viewer, page=page)
    return render_template("notifications/index.html", listing=listing)


@bp.get("/notifications/<int:notification_id>", endpoint="open")
def open_notification(notification_id: int) -> ResponseReturnValue:
    viewer = current_viewer()
    if viewer.user is None:
        return login_manager.unauthorized()
    session = get_session()
    notification = access_notification(session, viewer, notification_id)
    do_read_notification(session, actor=viewer, notification=notification)
    return redirect(_safe_path(target_path(notification)))


@bp.post("/notifications/read")
def read_all() -> ResponseReturnValue:
    viewer = current_viewer()
    if viewer.user is None:
        return login_manager.unauthorized()
    marked = do_mark_all_read(get_session(), actor=viewer)
    if marked:
        flash("All your notifications are marked as read.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/settings/notifications", methods=["GET", "POST"])
def settings() -> ResponseReturnValue:
    viewer = current_viewer()
    if viewer.user is None:
        return login_manager.unauthorized()
    session = get_session()
    form = EmailFrequencyForm()
    if request.method == "GET":
        form.frequency.data = get_frequency(session, viewer.user.id).value
    elif form.validate_on_submit():
        try:
            do_set_email_frequency(session, actor=viewer, frequency=form.frequency.data or "")
        except Invalid as exc:
            form.frequency.errors = [exc.fields.get("frequency", exc.message)]
        else:
            flash("Your email choice is saved.", "success")
            return redirect(url_for("notifications.settings"))
    status = 422 if form.errors else 200
    return render_template("notifications/settings.html", form=form), status


@bp.route("/notifications/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: mail providers POST here with no session and no CSRF token.
def unsubscribe(token: str) -> ResponseReturnValue:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if request.method == "GET":
        if read_unsubscribe_token(app, token) is None:
            raise NotFound("This unsubscribe link is not valid. You can change your email "
                           "choices in your settings after signing in.")
        return render_template("notifications/unsubscribe.html", token=token, done=False)
    do_unsubscribe(get_session(), app=app, token=token)
    return render_template("notifications/unsubscribe.html", token=token, done=True)


def _bell_slot() -> Markup:
    # The layout's "bell" slot (forum/page_cache.py), worked out again for each request:
    # the thread page's own statement has usually counted already.
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return Markup("")
    count = prefetched("unread")
    if count is None:
        # Kept while nothing is written (forum/change_clock.py), as a kept page's are.
        answers = fresh_answers(current_app._get_current_object(), "unread-count")  # type: ignore[attr-defined]
        user_id = current_user.id
        count = answers.get_or_read(user_id, lambda: unread_count(get_session(), user_id))
    return notification_badge(count)


register_slot("bell", _bell_slot)
register_page_fact("unread", unread_count_column, signed_in_only=True)


@bp.app_context_processor
def _bell() -> dict[str, Any]:
    """``notification_count`` for the layout's "Notifications" link, and
    ``live_notifications`` to include the script that keeps it live (signed-in pages)."""
    from flask_login import current_user

    if not current_user or not current_user.is_authenticated:
        return {"notification_count": 0, "live_notifications": False}
    return {"notification_count": unread_count(get_session(), current_user.id),
            "live_notifications": True}


@bp.before_app_request
def _start_jobs() -> None:
    from forum.notifications.jobs import start_scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.config.get("SCHEDULER_ENABLED") and "notifications_scheduler" not in app.extensions:
        start_scheduler(app)
