"""The review queue and one case, with every facilitator action (one POST per action)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from forum.auth import current_viewer
from forum.boards.models import Board
from forum.db import get_session
from forum.errors import DomainError, Invalid, NotFound
from forum.permissions import Viewer
from moderation import actions as A
from moderation.access import access_case, can_hear_leads, is_staff, require_staff
from moderation.forms import ActionForm, DecideAppealForm, StaffNoteForm
from moderation.forms import apply_errors as put_errors
from moderation.models import Case
from moderation.queries import (
    access_appeal,
    get_case_detail,
    list_pending_appeals,
    list_queue,
    staff_notes_about,
)
from moderation.views import bp


def _queue_context(session: Session, viewer: Viewer) -> dict[str, Any]:
    board = request.args.get("board") or None
    from moderation.duty import on_duty_now
    from moderation.escalation_queries import list_escalations
    from moderation.unanswered import waiting_for_reply

    rows = list_queue(session, viewer, board)
    staff = is_staff(viewer)
    # A lead who facilitates no board sees the escalations that reached them and who is
    # on duty, but has no board to go on duty for: the page leaves those links out (and
    # has no boards whose unanswered posts to count).
    return {"rows": rows, "appeals": list_pending_appeals(session, viewer),
            "board_filter": board, "on_duty": on_duty_now(session, viewer),
            "open_escalations": list_escalations(session, viewer),
            "is_staff": staff, "waiting": waiting_for_reply(session, viewer) if staff else None}


@bp.get("/moderation/")
def queue() -> str:
    viewer = current_viewer()
    session = get_session()
    context = _queue_context(session, viewer)
    from moderation.training import viewer_training

    return render_template("moderation/queue.html", **live_rooms(session, viewer),
                           training_message=viewer_training(viewer).message, **context)


@bp.get("/moderation/queue/items")
def queue_items() -> str:
    """The list alone, fetched by static/js/queue.js when the staff room hears of a change."""
    viewer = current_viewer()
    return render_template("moderation/_queue_items.html",
                           **_queue_context(get_session(), viewer))


def _staff_slugs(session: Session, viewer: Viewer) -> list[str]:
    from sqlalchemy import select

    query = select(Board.slug).where(Board.archived.is_(False))
    if not viewer.is_admin:
        query = query.where(Board.id.in_(viewer.facilitated_board_ids or {-1}))
    return sorted(session.scalars(query))


def live_rooms(session: Session, viewer: Viewer) -> dict[str, Any]:
    """What static/js/queue.js joins on a staff page: the boards whose staff rooms the
    viewer may hear, and whether they may hear the leads' room (a lead of no board has
    no board to join, so escalations reach them there)."""
    return {"staff_boards": _staff_slugs(session, viewer),
            "hear_leads": can_hear_leads(session, viewer)}


MESSAGE_DEFAULTS = {"approve": "approve", "reject": "reject", "hide": "hide",
                    "restore": "restore", "edit": "edit", "guide": "guide_post",
                    "warn": "warn", "mute": "mute", "suspend": "suspend"}
FORM_VERBS = ("note", "close", "escalate", "approve", "reject", "hide", "restore", "edit",
              "guide", "lock", "pin", "move", "warn", "mute", "suspend", "staff_note",
              "claim", "release")


def _render_case(session: Session, viewer: Viewer, case_id: int, *, errors: str | None = None,
                 form: ActionForm | None = None, status: int = 200) -> tuple[str, int]:
    detail = get_case_detail(session, viewer, case_id)
    forms: dict[str, ActionForm] = {}
    for verb in FORM_VERBS:
        if verb == errors and form is not None:
            forms[verb] = form
            continue
        data: dict[str, Any] = {}
        key = MESSAGE_DEFAULTS.get(verb)
        if key:
            data["message"] = detail.templates[key].body
        if verb == "edit" and detail.post is not None:
            data["body"] = detail.post.body_source
        if verb == "guide":
            data["mode"] = "post"
        if verb in ("mute", "suspend") and detail.suggested and detail.suggested.days:
            data["days"] = str(detail.suggested.days)
        # formdata=None: only the failing form shows what was typed.
        forms[verb] = ActionForm(prefix=verb, formdata=None, data=data)
        forms[verb].board.choices = [SelectChoice(b.slug, b.name) for b in detail.boards_for_move]
    if errors in forms:
        forms[errors].board.choices = [SelectChoice(b.slug, b.name) for b in detail.boards_for_move]
    from moderation.training import viewer_training

    # A lead reading the item behind an escalation that reached them: read-only here;
    # they act on the escalation's own page.
    can_act = viewer.facilitates(detail.case.board_id)
    return render_template("moderation/case.html", d=detail, f=forms, errors_for=errors,
                           can_act=can_act,
                           training_message=viewer_training(viewer).message if can_act else "",
                           error_form=form, page_has_errors=bool(errors)), status


@bp.get("/moderation/cases/<int:case_id>")
def case(case_id: int) -> tuple[str, int]:
    return _render_case(get_session(), current_viewer(), case_id)


def _thread_of(case: Case) -> Any:
    if case.thread is None:
        raise NotFound("The conversation for this item no longer exists.")
    return case.thread


def _post_of(case: Case) -> Any:
    if case.post is None:
        raise NotFound("The post for this item no longer exists.")
    return case.post


def _author_of(case: Case) -> Any:
    if case.author is None:
        raise Invalid(fields={"reason": "The author's account no longer exists."})
    return case.author


def _opt(value: str | None) -> str | None:
    return value if (value or "").strip() else None


Handler = Callable[[Session, Viewer, Case, ActionForm], Any]


def _claim(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_claim_case(s, actor=v, case=c)


def _release(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_release_case(s, actor=v, case=c)


def _note(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_add_case_note(s, actor=v, case=c, text=f.text.data or "")


def _close(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_close_case(s, actor=v, case=c, state=f.state.data or "",
                           note=f.reason.data or "")


def _escalate(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_escalate_case(s, actor=v, case=c, reason=f.reason.data or "",
                              tier=f.tier.data or "")


def _approve(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_approve_post(s, actor=v, post=_post_of(c), case=c, message=_opt(f.message.data))


def _reject(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_reject_post(s, actor=v, post=_post_of(c), case=c, reason=f.reason.data or "",
                            message=_opt(f.message.data))


def _hide(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_hide_post(s, actor=v, post=_post_of(c), case=c, reason=f.reason.data or "",
                          message=_opt(f.message.data))


def _restore(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_restore_post(s, actor=v, post=_post_of(c), case=c, reason=f.reason.data or "",
                             message=_opt(f.message.data))


def _edit(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_moderate_edit_post(s, actor=v, post=_post_of(c), case=c, body=f.body.data or "",
                                   reason=f.reason.data or "", message=_opt(f.message.data))


def _guide(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_guide(s, actor=v, thread=_thread_of(c), mode=f.mode.data or "",
                      message=f.message.data or "", case=c)


def _lock(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    thread = _thread_of(c)
    return A.do_lock_thread(s, actor=v, thread=thread, locked=not thread.locked,
                            reason=f.reason.data or "", case=c)


def _pin(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    thread = _thread_of(c)
    return A.do_pin_thread(s, actor=v, thread=thread, pinned=not thread.pinned, case=c)


def _warn(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_warn_member(s, actor=v, user=_author_of(c), board=c.board,
                            reason=f.reason.data or "", message=_opt(f.message.data), case=c)


def _mute(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_mute_member(s, actor=v, user=_author_of(c), board=c.board, days=f.days.data,
                            reason=f.reason.data or "", message=_opt(f.message.data), case=c)


def _suspend(s: Session, v: Viewer, c: Case, f: ActionForm) -> Any:
    return A.do_suspend_member(s, actor=v, user=_author_of(c), days=f.days.data or None,
                               reason=f.reason.data or "", message=_opt(f.message.data),
                               board=c.board, case=c)


def _move(session: Session, viewer: Viewer, case: Case, form: ActionForm) -> Any:
    from sqlalchemy import select

    board = session.scalar(select(Board).where(Board.slug == (form.board.data or "")))
    if board is None:
        raise Invalid(fields={"board": "Choose a board to move the conversation to."})
    return A.do_move_thread(session, actor=viewer, thread=_thread_of(case), board=board,
                            reason=form.reason.data or "", case=case)


def _staff_note(session: Session, viewer: Viewer, case: Case, form: ActionForm) -> Any:
    return A.do_add_staff_note(session, actor=viewer, user=_author_of(case),
                               body=form.text.data or "", case=case)


ACTIONS: dict[str, tuple[Handler, str]] = {
    "claim": (_claim, "You are looking at this item. Others can see that."),
    "release": (_release, "The item is back in the queue."),
    "note": (_note, "Note added."),
    "close": (_close, "Item closed."),
    "escalate": (_escalate, A.cases.ESCALATION_OPENED),
    "approve": (_approve, "Done. The post is live, or kept as it is."),
    "reject": (_reject, "The post was not published. The author has been told why."),
    "hide": (_hide, "The post is hidden. The author has been told why."),
    "restore": (_restore, "The post is visible again."),
    "edit": (_edit, "The post was changed. The original is kept."),
    "guide": (_guide, "Your guidance has been sent."),
    "lock": (_lock, "Conversation updated."),
    "pin": (_pin, "Conversation updated."),
    "move": (_move, "The conversation has been moved."),
    "warn": (_warn, "The member has been warned."),
    "mute": (_mute, "The member cannot post on this board for now."),
    "suspend": (_suspend, "The account is suspended."),
    "staff_note": (_staff_note, "Staff note added."),
}


@bp.post("/moderation/cases/<int:case_id>/<verb>")
def case_action(case_id: int, verb: str) -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    entry = ACTIONS.get(verb)
    the_case = access_case(session, viewer, case_id)
    if entry is None:
        raise NotFound("We could not find that action.")
    handler, message = entry
    form = ActionForm(prefix=verb)
    if not form.validate():
        return _render_case(session, viewer, case_id, errors=verb, form=form, status=400)
    try:
        handler(session, viewer, the_case, form)
    except Invalid as exc:
        put_errors(form, exc.fields or {"reason": exc.message})
        return _render_case(session, viewer, case_id, errors=verb, form=form, status=422)
    flash(message, "warning" if verb == "escalate" else "success")
    return redirect(url_for("moderation.case", case_id=case_id))


@bp.route("/moderation/appeals/<int:appeal_id>", methods=["GET", "POST"])
def appeal(appeal_id: int) -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    the_appeal = access_appeal(session, viewer, appeal_id)
    form = DecideAppealForm()
    status = 200
    if request.method == "POST" and form.validate():
        try:
            A.do_decide_appeal(session, actor=viewer, appeal=the_appeal,
                               outcome=form.outcome.data or "", note=form.note.data or "",
                               message=_opt(form.message.data))
        except Invalid as exc:
            put_errors(form, exc.fields)
            status = 422
        else:
            flash("The appeal has been decided and the member told.", "success")
            return redirect(url_for("moderation.queue"))
    return render_template("moderation/appeal_decide.html", appeal=the_appeal,
                           form=form), status


@bp.route("/moderation/members/<int:user_id>/notes", methods=["GET", "POST"])
def staff_notes(user_id: int) -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    require_staff(viewer)
    from forum.accounts.models import User

    user = session.get(User, user_id)
    if user is None:
        raise NotFound("We could not find that member.")
    form = StaffNoteForm()
    status = 200
    if request.method == "POST" and form.validate():
        try:
            A.do_add_staff_note(session, actor=viewer, user=user, body=form.body.data or "")
        except DomainError as exc:
            put_errors(form, exc.fields or {"body": exc.message})
            status = 422
        else:
            flash("Staff note added.", "success")
            return redirect(url_for("moderation.staff_notes", user_id=user_id))
    return render_template("moderation/staff_notes.html", member=user, form=form,
                           notes=staff_notes_about(session, viewer, user_id)), status
