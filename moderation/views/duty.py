"""Staff pages for part 2: escalations (list, one with its timeline and actions), who is
on duty (go on or off duty), the handover queue, and unanswered posts. Also the template
helper behind the "not being watched" banner on board and thread pages.

Views parse input, call one action or query, and render; they never commit.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from forum.auth import current_viewer
from forum.boards.models import Board
from forum.db import get_session
from forum.errors import Invalid, NotFound
from forum.page_cache import prefetched
from forum.routing import whole_number
from forum.threads.page_key import register_page_fact
from moderation import duty as D
from moderation import escalation_queries as Q
from moderation import escalations as E
from moderation.access import require_staff
from moderation.duty_forms import DutyForm, EscalationForm, EscalationNoteForm, HandoverForm
from moderation.forms import apply_errors
from moderation.models import MAX_LEVEL, Escalation, EscalationTier
from moderation.training import viewer_training
from moderation.unanswered import quiet_members, unanswered_threads, waiting_for_reply
from moderation.views import bp
from moderation.views.cases import live_rooms


def init_duty_templates(app: Flask) -> None:
    """``board_watch(board)`` in templates: None when watched, else the banner's words."""

    def board_watch(board: Any) -> dict[str, Any] | None:
        if board is None or not _unwatched(board.id):
            return None
        return {"contacts": list(current_app.config.get("CRISIS_CONTACTS") or [])[:3]}

    app.jinja_env.globals["board_watch"] = board_watch
    # The thread page's own statement answers "is anyone on duty at all" (usually: the
    # banner needs nothing more).
    register_page_fact("anyone_on_duty", D.anyone_on_duty_column)


def _unwatched(board_id: int) -> bool:
    known = prefetched("anyone_on_duty")  # read by the thread page's own statement
    if known is False:  # nobody on duty anywhere: no session needed to say so
        return bool(current_app.config.get("OUT_OF_HOURS_ENABLED", True))
    return D.out_of_hours(get_session(), board_id, anyone_known=known)


# ---- escalations -----------------------------------------------------------------------

@bp.get("/moderation/escalations")
def escalations() -> str:
    viewer = current_viewer()
    session = get_session()
    resolved = request.args.get("show") == "resolved"
    rows = Q.list_escalations(session, viewer, resolved=resolved)
    return render_template("moderation/escalations.html", resolved=resolved, rows=rows,
                           **live_rooms(session, viewer))


def _why_read_only(esc: Escalation) -> str:
    """Why the viewer may read this escalation but not act on it (lapsed training, or a
    high-risk one without the named training), in their words; empty when they may act.
    The actions refuse the same (moderation.training.require_trained)."""
    status = viewer_training(current_viewer())
    if not status.ok:
        return status.message
    if esc.tier == EscalationTier.HIGH and not status.high_risk_ok:
        return ("High-risk escalations need current training in " +
                ", ".join(status.high_risk_missing) + ". You can read this one; ask a lead "
                "or a trained facilitator to take it.")
    return ""


def _render_escalation(esc: Escalation, form: EscalationForm | None = None,
                       note_form: EscalationNoteForm | None = None,
                       errors_for: str | None = None, status: int = 200) -> tuple[str, int]:
    session = get_session()
    return render_template(
        "moderation/escalation.html", e=esc, entries=Q.timeline_entries(session, esc),
        read_only=_why_read_only(esc),
        form=form or EscalationForm(formdata=None),
        note_form=note_form or EscalationNoteForm(prefix="add", formdata=None),
        errors_for=errors_for,
        protocol=E.protocol(session) if esc.level >= MAX_LEVEL else None), status


@bp.get("/moderation/escalations/<int:escalation_id>")
def escalation(escalation_id: int) -> tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    esc = E.access_escalation(session, viewer, escalation_id)
    E.do_record_escalation_view(session, actor=viewer, escalation=esc)
    return _render_escalation(esc)


ESCALATION_VERBS = {
    "acknowledge": "Acknowledged. The acknowledgement clock has stopped.",
    "start": "Marked as in progress.",
    "handover": "Handed over. The next person must acknowledge it.",
    "resolve": "Resolved. Thank you.",
    "note": "Note added.",
}


@bp.post("/moderation/escalations/<int:escalation_id>/<verb>")
def escalation_action(escalation_id: int, verb: str) -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    esc = E.access_escalation(session, viewer, escalation_id)
    if verb not in ESCALATION_VERBS:
        raise NotFound("We could not find that action.")
    form = EscalationForm()
    note_form = EscalationNoteForm(prefix="add")
    note = form.note.data or ""
    try:
        if verb == "acknowledge":
            E.do_acknowledge_escalation(session, actor=viewer, escalation=esc)
        elif verb == "start":
            E.do_start_escalation(session, actor=viewer, escalation=esc, note=note)
        elif verb == "handover":
            E.do_handover_escalation(session, actor=viewer, escalation=esc, note=note)
        elif verb == "note":
            E.do_add_escalation_note(session, actor=viewer, escalation=esc,
                                     note=note_form.note.data or "")
        else:
            E.do_resolve_escalation(session, actor=viewer, escalation=esc,
                                    outcome=form.outcome.data or "", note=note)
    except Invalid as exc:
        apply_errors(note_form if verb == "note" else form, exc.fields or {"note": exc.message})
        return _render_escalation(esc, form, note_form, verb, 422)
    flash(ESCALATION_VERBS[verb], "success")
    return redirect(url_for("moderation.escalation", escalation_id=escalation_id))


# ---- duty and handover -----------------------------------------------------------------

@bp.route("/moderation/duty", methods=["GET", "POST"])
def duty() -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    # Facilitators only (a lead of no board has no board to be on duty for), before
    # anything is read from the form.
    require_staff(viewer)
    form = DutyForm()
    form.boards.choices = _duty_board_choices(session, viewer)
    status = 200
    if request.method == "POST":
        try:
            if request.form.get("go") == "off":
                D.do_go_off_duty(session, actor=viewer)
                flash("You are off duty. Thank you.", "success")
                return redirect(url_for("moderation.duty"))
            raw = (form.hours.data or "").strip()
            hours = whole_number(raw) if raw else None
            if raw and hours is None:
                raise Invalid(fields={"hours": "Enter the number of hours as a whole number, "
                                               "like 8."})
            chosen = [b for b in (whole_number(str(raw_id)) for raw_id in form.boards.data or [])
                      if b is not None]
            D.do_go_on_duty(session, actor=viewer, hours=hours, board_ids=chosen)
        except Invalid as exc:
            apply_errors(form, exc.fields or {"hours": exc.message})
            status = 422
        else:
            waiting = len(D.handover_items(session, viewer))
            if waiting:
                flash(f"You are on duty. {waiting} things happened while nobody was "
                      "watching: read the handover queue first.", "warning")
                return redirect(url_for("moderation.handover"))
            flash("You are on duty.", "success")
            return redirect(url_for("moderation.duty"))
    rows = D.on_duty_now(session, viewer)
    mine = D.current_shift(session, viewer.id) if viewer.id else None
    return render_template("moderation/duty.html", rows=rows, mine=mine, form=form,
                           training_message=viewer_training(viewer).message,
                           waiting=waiting_for_reply(session, viewer) if mine else None,
                           page_has_errors=status != 200, **live_rooms(session, viewer)), status


def _duty_board_choices(session: Any, viewer: Any) -> list[SelectChoice]:
    """The boards one may go on duty for: those one facilitates (every board, for admins)."""
    query = select(Board).where(Board.archived.is_(False)).order_by(Board.name)
    if not viewer.is_admin:
        query = query.where(Board.id.in_(viewer.facilitated_board_ids or {-1}))
    return [SelectChoice(str(b.id), b.name) for b in session.scalars(query)
            if viewer.facilitates(b.id)]


@bp.route("/moderation/handover", methods=["GET", "POST"])
def handover() -> Response | str:
    viewer = current_viewer()
    session = get_session()
    items = D.handover_items(session, viewer)
    form = HandoverForm()
    if request.method == "POST":
        ids = [i for i in map(whole_number, request.form.getlist("item")) if i is not None]
        if request.form.get("all"):
            ids = [i.id for i in items]
        try:
            count = D.do_clear_handover(session, actor=viewer, item_ids=ids)
        except Invalid:
            flash("Choose at least one item to mark as read.", "warning")
        else:
            flash(f"{count} marked as read.", "success")
        return redirect(url_for("moderation.handover"))
    return render_template("moderation/handover.html", items=items, form=form)


@bp.get("/moderation/unanswered")
def unanswered() -> str:
    viewer = current_viewer()
    session = get_session()
    return render_template("moderation/unanswered.html",
                           threads=unanswered_threads(session, viewer),
                           members=quiet_members(session, viewer),
                           hours=int(current_app.config.get("UNANSWERED_HOURS", 24)))
