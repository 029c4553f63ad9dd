"""Escalations: a risk with a clock.

Opened from the queue (a facilitator's judgement,
:func:`moderation.actions.cases.do_escalate_case`) or by the
automatic risk check inside the post hook (:func:`open_escalation`, no commit). Each has a
tier, a state (open → acknowledged → in progress → handed over → resolved with an outcome)
and a level (1 the board's facilitators, 2 the leads, 3 the emergency protocol). Deadlines
are columns; :func:`check_escalation_deadlines` (the background job's action) moves an
escalation whose target passed unmet up a level and alerts the next level live
(``escalation.level_up`` to ``staff:<slug>`` and ``staff:leads``) and by email.

Every action appends to the escalation's timeline, audits ``escalation:<verb>`` and emits
``escalation.updated`` to the board's staff room, and to ``staff:leads`` from level 2 on
(opening it records who saw it, quietly). Who may handle one: :mod:`moderation.access`;
reading the lists and the timeline: :mod:`moderation.escalation_queries`. Never logs post
text.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import Role, User, UserStatus
from forum.audit.models import record
from forum.boards.models import BoardFacilitator
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Conflict, Forbidden, Invalid, NotFound
from forum.events import queue_event
from forum.mail import Mail, queue_mail
from forum.permissions import Viewer

# The access rules live with the rest of them; these names stay importable from here.
from moderation.access import (  # noqa: F401
    access_escalation,
    is_lead,
    require_staff_or_lead,
)
from moderation.access import can_handle_escalation as can_handle
from moderation.actions._common import add_event as add_case_event
from moderation.actions._common import case_updated
from moderation.duty_models import EmergencyProtocol, StaffLead
from moderation.models import (
    LEAD_LEVEL,
    LEVEL_LABELS,
    MAX_LEVEL,
    Case,
    Escalation,
    EscalationEvent,
    EscalationOutcome,
    EscalationState,
    EscalationTier,
)
from moderation.training import require_trained, training_status

NOTE_MAX = 5000


# ---- clocks ----------------------------------------------------------------------------

def targets(tier: EscalationTier) -> tuple[timedelta, timedelta]:
    """(acknowledge within, act within) for the tier, from ``ESCALATION_TARGETS``."""
    from config import DEFAULT_ESCALATION_TARGETS

    table = current_app.config.get("ESCALATION_TARGETS") or DEFAULT_ESCALATION_TARGETS
    row = table.get(str(tier)) or DEFAULT_ESCALATION_TARGETS[str(tier)]
    return timedelta(minutes=int(row["ack"])), timedelta(minutes=int(row["act"]))


def parse_tier(value: str | None) -> EscalationTier:
    try:
        return EscalationTier(value or "")
    except ValueError:
        raise Invalid(fields={"tier": "Choose how serious the risk is: high, medium or "
                                      "low."}) from None


# ---- who hears -------------------------------------------------------------------------

def _active(users: list[User]) -> list[User]:
    seen: dict[int, User] = {}
    for u in users:
        if u.status == UserStatus.ACTIVE:
            seen.setdefault(u.id, u)
    return list(seen.values())


def _can_take(session: Session, user: User, tier: EscalationTier) -> bool:
    """Whether the training gate would let this person act on an escalation of ``tier``
    (:func:`moderation.training.require_trained`; admins are not gated)."""
    if user.role == Role.ADMIN:
        return True
    status = training_status(session, user.id)
    return status.high_risk_ok if tier == EscalationTier.HIGH else status.ok


def level_recipients(session: Session, esc: Escalation, level: int) -> list[User]:
    """Level 1: the board's facilitators on duty who can act on it (their training lets
    them; for the high tier, the named training too), or, if none of those is on duty,
    every facilitator of the board who can. Level 2: the leads (admins if no lead is
    named). Level 3: the leads and the admins."""
    from moderation.duty import watchers

    if level <= 1 and esc.board_id is not None:
        able = [u for u in _active(watchers(session, esc.board_id))
                if _can_take(session, u, esc.tier)]
        if able:
            return able
        return [u for u in _active(list(session.scalars(select(User).join(
            BoardFacilitator, BoardFacilitator.user_id == User.id).where(
            BoardFacilitator.board_id == esc.board_id))))
            if _can_take(session, u, esc.tier)]
    leads = list(session.scalars(select(User).join(StaffLead, StaffLead.user_id == User.id)))
    admins = list(session.scalars(select(User).where(User.role == Role.ADMIN)))
    if level == 2:
        return _active(leads or admins)
    return _active(leads + admins)


def protocol(session: Session) -> EmergencyProtocol | None:
    return session.scalar(select(EmergencyProtocol).order_by(EmergencyProtocol.id))


def _json(esc: Escalation) -> dict[str, Any]:
    return {"escalation_id": esc.id, "case_id": esc.case_id, "tier": str(esc.tier),
            "state": str(esc.state), "level": esc.level,
            "board": esc.board.slug if esc.board else None,
            "ack_due_at": esc.ack_due_at.isoformat() if esc.ack_due_at else None,
            "act_due_at": esc.act_due_at.isoformat() if esc.act_due_at else None}


def _emit(session: Session, esc: Escalation, name: str = "escalation.updated") -> None:
    if esc.board is not None:
        queue_event(session, name, f"staff:{esc.board.slug}", _json(esc))
    if esc.level >= LEAD_LEVEL:
        # Leads hear of an escalation once it reaches them, as they may see it from then
        # (moderation.access); level 1 belongs to the board's facilitators.
        queue_event(session, name, "staff:leads", _json(esc))


def _timeline(session: Session, esc: Escalation, actor_id: int | None, kind: str,
              text: str = "", data: dict[str, Any] | None = None) -> None:
    now = utcnow()
    session.add(EscalationEvent(escalation_id=esc.id, actor_id=actor_id, kind=kind, text=text,
                                data=data or {}, created_at=now))
    esc.updated_at = now


def _alert(session: Session, esc: Escalation, level: int, *, why: str) -> list[int]:
    """Email the level's people (content-free: tier, board, a link). Returns user ids."""
    base = str(current_app.config.get("BASE_URL", "")).rstrip("/")
    service = current_app.config.get("SERVICE_NAME", "Alongside")
    board = esc.board.name if esc.board else "a board"
    link = f"{base}/moderation/escalations/{esc.id}"
    users = level_recipients(session, esc, level)
    text = (f"{why}\n\nA {esc.tier.label.lower()} escalation on {board} needs you now "
            f"(level {level}: {LEVEL_LABELS[level]}).\n\nOpen it: {link}\n")
    extra: list[str] = []
    if level >= MAX_LEVEL:
        proto = protocol(session)
        if proto is not None:
            text += "\nEmergency protocol:\n" + proto.text + "\n"
            for c in proto.contacts or []:
                text += f"- {c.get('name', '')}: {c.get('detail', '')}\n"
            extra = [e for e in proto.alert_emails or [] if e]
    subject = f"{service}: {esc.tier.label.lower()} escalation needs you (level {level})"
    for user in users:
        queue_mail(session, Mail(to=user.email, subject=subject, text=text, user_id=user.id,
                                 kind="escalation"))
    for address in extra:
        queue_mail(session, Mail(to=address, subject=subject, text=text, kind="escalation"))
    return [u.id for u in users]


# ---- opening ---------------------------------------------------------------------------

def open_escalation(session: Session, *, case: Case, tier: EscalationTier, reason: str,
                    actor: Viewer | None, source: str) -> Escalation:
    """Open an escalation on ``case`` in the caller's transaction (no commit): deadlines
    set, level 1 alerted (level 2 at once when level 1 has nobody to alert), and, when
    nobody is on duty, a handover item. Audits ``escalation:open``; emits
    ``escalation.opened``."""
    from moderation.duty import add_handover, out_of_hours

    now = utcnow()
    ack, act = targets(tier)
    esc = Escalation(case_id=case.id, case=case, board_id=case.board_id, board=case.board,
                     raised_by_id=actor.id if actor else None, source=source, reason=reason,
                     tier=tier, state=EscalationState.OPEN, level=1, ack_due_at=now + ack,
                     act_due_at=now + act, created_at=now, updated_at=now)
    esc.set_due()
    session.add(esc)
    session.flush()
    case.escalated = True
    _timeline(session, esc, actor.id if actor else None, "opened", reason,
              {"tier": str(tier), "source": source})
    alerted = _alert(session, esc, 1, why="A new escalation has been opened.")
    _timeline(session, esc, None, "alerted", f"Level 1 alerted ({len(alerted)} people).",
              {"level": 1, "users": alerted})
    if not alerted:
        # Nobody on the board could act on it (no facilitators, or none whose training
        # lets them): waiting out level 1's clock would leave it unseen, so it goes to
        # the leads at once.
        esc.level = LEAD_LEVEL
        why = (f"Nobody could be alerted at level 1 (no facilitator of the board whose "
               f"training lets them act on it), so it has moved to level {LEAD_LEVEL}: "
               f"{LEVEL_LABELS[LEAD_LEVEL]}.")
        _timeline(session, esc, None, "level_up", why,
                  {"from": 1, "to": LEAD_LEVEL, "missed": []})
        leads = _alert(session, esc, LEAD_LEVEL, why=why)
        _timeline(session, esc, None, "alerted",
                  f"Level {LEAD_LEVEL} alerted ({len(leads)} people).",
                  {"level": LEAD_LEVEL, "users": leads})
        record(session, actor_id=None, action="escalation:level_up", subject_type="escalation",
               subject_id=esc.id, board_id=case.board_id, before={"level": 1},
               after={"level": LEAD_LEVEL, "missed": [], "why": "nobody at level 1"})
    add_case_event(session, case, actor, "escalated", reason, {"escalation_id": esc.id})
    record(session, actor_id=actor.id if actor else None, action="escalation:open",
           subject_type="escalation", subject_id=esc.id, board_id=case.board_id,
           after={"case_id": case.id, "tier": str(tier), "source": source})
    if out_of_hours(session, case.board_id, now):
        add_handover(session, board=case.board, kind="escalation",
                     summary=f"{tier.label} escalation opened ({source.replace('_', ' ')})",
                     case_id=case.id, post_id=case.post_id, thread_id=case.thread_id,
                     escalation_id=esc.id)
    _emit(session, esc, "escalation.opened")
    case_updated(session, case)
    return esc


# ---- what happens to the item while it is escalated -----------------------------------

# Review-item events that need no line on the escalation's timeline: opening and
# escalating are there already, and a private message is told by ``message_sent``.
NOT_MIRRORED = frozenset({"opened", "updated", "escalated", "guidance_message"})


def note_on_open_escalations(session: Session, *, case_id: int | None, actor_id: int | None,
                             kind: str, text: str = "", data: dict[str, Any] | None = None
                             ) -> int:
    """A step (no commit) for the actions on a review item and the one seam that tells
    members (:func:`moderation.notices.tell_member`): what was done to the item, and each
    message sent about it, goes on the timeline of the item's open escalations too, so
    the timeline says what was done and what was sent without opening the item. Emits
    ``escalation.updated``. Returns how many timelines got the entry."""
    if case_id is None:
        return 0
    escalations = list(session.scalars(select(Escalation).where(
        Escalation.case_id == case_id, Escalation.state != EscalationState.RESOLVED)))
    for esc in escalations:
        _timeline(session, esc, actor_id, kind, text, data)
        _emit(session, esc)
    return len(escalations)


# ---- the state machine -----------------------------------------------------------------

def _require_can_act(session: Session, actor: Viewer, esc: Escalation, *,
                     open_only: bool = True) -> None:
    require_staff_or_lead(session, actor)
    if not can_handle(session, actor, esc):
        raise Forbidden("You cannot act on this escalation.")
    if open_only and not esc.is_open:
        raise Conflict("This escalation has already been resolved.")
    require_trained(actor, high_risk=esc.tier == EscalationTier.HIGH)


def _audit(session: Session, actor: Viewer, esc: Escalation, verb: str,
           before: dict[str, Any], **after: Any) -> None:
    record(session, actor_id=actor.id, action=f"escalation:{verb}", subject_type="escalation",
           subject_id=esc.id, board_id=esc.board_id, before=before,
           after={"state": str(esc.state), "level": esc.level, **after})


@rolls_back_on_error
def do_acknowledge_escalation(session: Session, *, actor: Viewer, escalation: Escalation
                              ) -> Escalation:
    """"I have seen it and I am on it": stops the acknowledgement clock."""
    _require_can_act(session, actor, escalation)
    if escalation.state not in (EscalationState.OPEN, EscalationState.HANDED_OVER):
        raise Conflict("This escalation has already been acknowledged.")
    before = {"state": str(escalation.state)}
    now = utcnow()
    escalation.state = EscalationState.ACKNOWLEDGED
    escalation.acknowledged_at, escalation.acknowledged_by_id = now, actor.id
    escalation.ack_due_at = None
    escalation.set_due()
    _timeline(session, escalation, actor.id, "acknowledged")
    _audit(session, actor, escalation, "acknowledge", before)
    _emit(session, escalation)
    session.commit()
    return escalation


@rolls_back_on_error
def do_start_escalation(session: Session, *, actor: Viewer, escalation: Escalation,
                        note: str = "") -> Escalation:
    """Work has begun (in progress): stops both clocks."""
    _require_can_act(session, actor, escalation)
    if escalation.state == EscalationState.IN_PROGRESS:
        raise Conflict("This escalation is already in progress.")
    note = _clean_note(note, required=None)
    before = {"state": str(escalation.state)}
    now = utcnow()
    if escalation.acknowledged_at is None:
        escalation.acknowledged_at, escalation.acknowledged_by_id = now, actor.id
    escalation.state = EscalationState.IN_PROGRESS
    escalation.acted_at = escalation.acted_at or now
    escalation.ack_due_at = escalation.act_due_at = None
    escalation.set_due()
    _timeline(session, escalation, actor.id, "in_progress", note)
    _audit(session, actor, escalation, "start", before)
    _emit(session, escalation)
    session.commit()
    return escalation


HANDOVER_NOTE_NEEDED = "Write a handover note: what has been done and what happens next."


def _clean_note(note: str | None, *, required: str | None) -> str:
    """The note, trimmed; ``required`` is the message when an empty one is refused."""
    text = (note or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(fields={"note": required})
    if len(text) > NOTE_MAX:
        raise Invalid(fields={"note": f"The note must be {NOTE_MAX:,} characters or fewer."})
    return text


@rolls_back_on_error
def do_handover_escalation(session: Session, *, actor: Viewer, escalation: Escalation,
                           note: str) -> Escalation:
    """Hand over to the next shift with a note. The next person must acknowledge it, so
    the acknowledgement clock starts again."""
    _require_can_act(session, actor, escalation)
    note = _clean_note(note, required=HANDOVER_NOTE_NEEDED)
    before = {"state": str(escalation.state)}
    ack, _ = targets(escalation.tier)
    escalation.state = EscalationState.HANDED_OVER
    escalation.ack_due_at = utcnow() + ack
    escalation.set_due()
    _timeline(session, escalation, actor.id, "handover", note)
    _audit(session, actor, escalation, "handover", before)
    _emit(session, escalation)
    session.commit()
    return escalation


@rolls_back_on_error
def do_resolve_escalation(session: Session, *, actor: Viewer, escalation: Escalation,
                          outcome: str, note: str = "") -> Escalation:
    """Close with an outcome (required). Stops every clock."""
    _require_can_act(session, actor, escalation)
    try:
        result = EscalationOutcome(outcome or "")
    except ValueError:
        raise Invalid(fields={"outcome": "Choose the outcome."}) from None
    note = _clean_note(note, required=None)
    before = {"state": str(escalation.state)}
    now = utcnow()
    escalation.state = EscalationState.RESOLVED
    escalation.outcome = result
    escalation.resolved_at, escalation.resolved_by_id = now, actor.id
    escalation.acted_at = escalation.acted_at or now
    escalation.acknowledged_at = escalation.acknowledged_at or now
    escalation.acknowledged_by_id = escalation.acknowledged_by_id or actor.id
    escalation.ack_due_at = escalation.act_due_at = None
    escalation.set_due()
    _timeline(session, escalation, actor.id, "resolved", note, {"outcome": str(result)})
    _audit(session, actor, escalation, "resolve", before, outcome=str(result))
    _emit(session, escalation)
    session.commit()
    return escalation


@rolls_back_on_error
def do_add_escalation_note(session: Session, *, actor: Viewer, escalation: Escalation,
                           note: str) -> Escalation:
    """A note on the timeline (what was done, a message sent, a follow-up), also after it
    is resolved. Touches no clock. Audits ``escalation:note`` (without the text); emits
    ``escalation.updated``."""
    _require_can_act(session, actor, escalation, open_only=False)
    note = _clean_note(note, required="Write your note.")
    _timeline(session, escalation, actor.id, "note", note)
    _audit(session, actor, escalation, "note", {})
    _emit(session, escalation)
    session.commit()
    return escalation


# Reloading the page, or a client polling the API, must not flood the timeline.
VIEW_WINDOW = timedelta(minutes=30)


def _seen_recently(session: Session, esc: Escalation, user_id: int, since: datetime) -> bool:
    return session.scalar(select(EscalationEvent.id).where(
        EscalationEvent.escalation_id == esc.id, EscalationEvent.kind == "viewed",
        EscalationEvent.actor_id == user_id, EscalationEvent.created_at >= since)
        .limit(1)) is not None


@rolls_back_on_error
def do_record_escalation_view(session: Session, *, actor: Viewer, escalation: Escalation
                              ) -> bool:
    """Who saw it: the escalation page and the API's GET call this when staff open an
    escalation. Adds a "viewed" entry to the timeline at most once per person per
    ``VIEW_WINDOW``; returns whether it did. Reading needs no training, so neither does
    this. Audits ``escalation:view``; emits nothing (reading is not news for the staff
    room). Commits only when it records."""
    require_staff_or_lead(session, actor)
    if not can_handle(session, actor, escalation):
        raise NotFound("We could not find that escalation.")
    assert actor.id is not None
    since = utcnow() - VIEW_WINDOW
    if _seen_recently(session, escalation, actor.id, since):
        return False
    # Two reloads at the same instant: the row lock makes the second wait and then see
    # the first one's entry (PostgreSQL; SQLite writes one at a time anyway).
    session.execute(select(Escalation.id).where(Escalation.id == escalation.id)
                    .with_for_update())
    if _seen_recently(session, escalation, actor.id, since):
        session.commit()  # nothing written: ends the transaction and its lock
        return False
    session.add(EscalationEvent(escalation_id=escalation.id, actor_id=actor.id,
                                kind="viewed", text="", data={}, created_at=utcnow()))
    record(session, actor_id=actor.id, action="escalation:view", subject_type="escalation",
           subject_id=escalation.id, board_id=escalation.board_id)
    session.commit()
    return True


# ---- the deadline job ------------------------------------------------------------------

@rolls_back_on_error
def check_escalation_deadlines(session: Session, now: datetime | None = None) -> int:
    """The background job's action: every open escalation whose acknowledgement or action
    target has passed moves up a level (staying at 3 once there) and the level is alerted
    live and by email; the missed clock restarts for the new level; out of hours the move
    also goes into the board's handover queue. Audits ``escalation:level_up`` (no actor).
    Returns how many moved. Commits."""
    from moderation.duty import add_handover, out_of_hours

    now = now or utcnow()
    due = list(session.scalars(select(Escalation).where(
        Escalation.state != EscalationState.RESOLVED, Escalation.next_due_at.is_not(None),
        Escalation.next_due_at <= now).order_by(Escalation.next_due_at)
        .with_for_update(skip_locked=True)))
    ack, act = timedelta(), timedelta()
    for esc in due:
        ack, act = targets(esc.tier)
        missed = []
        if esc.ack_due_at is not None and esc.ack_due_at <= now:
            missed.append("acknowledged")
            esc.ack_due_at = now + ack
        if esc.act_due_at is not None and esc.act_due_at <= now:
            missed.append("acted on")
            esc.act_due_at = now + act
        esc.set_due()
        before = esc.level
        esc.level = min(esc.level + 1, MAX_LEVEL)
        why = (f"This escalation was not {' or '.join(missed)} in time, so it has moved to "
               f"level {esc.level}: {LEVEL_LABELS[esc.level]}.")
        _timeline(session, esc, None, "level_up", why,
                  {"from": before, "to": esc.level, "missed": missed})
        alerted = _alert(session, esc, esc.level, why=why)
        _timeline(session, esc, None, "alerted",
                  f"Level {esc.level} alerted ({len(alerted)} people).",
                  {"level": esc.level, "users": alerted})
        record(session, actor_id=None, action="escalation:level_up", subject_type="escalation",
               subject_id=esc.id, board_id=esc.board_id, before={"level": before},
               after={"level": esc.level, "missed": missed})
        if esc.board is not None and out_of_hours(session, esc.board.id, now):
            # Nobody trained is on duty for the board: the next shift reads that it moved.
            add_handover(session, board=esc.board, kind="escalation",
                         summary=f"{esc.tier.label} escalation moved to level {esc.level} "
                                 f"({LEVEL_LABELS[esc.level]}): not {' or '.join(missed)} "
                                 "in time",
                         case_id=esc.case_id, escalation_id=esc.id)
        _emit(session, esc, "escalation.level_up")
    session.commit()
    return len(due)
