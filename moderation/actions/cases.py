"""The life of a review item: claim, release, notes between facilitators, closing with no
action, and escalation. Who calls: the case page and the case API."""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.audit.models import record
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Conflict, Invalid
from forum.permissions import Viewer
from moderation.access import require_facilitates
from moderation.actions._common import (
    ModAction,
    add_event,
    case_updated,
    claim_is_live,
    clean_reason,
    close_case,
)
from moderation.models import Case, CaseState, Escalation

NOTE_MAX = 5000


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise Conflict("This item has already been closed.")


@rolls_back_on_error
def do_claim_case(session: Session, *, actor: Viewer, case: Case) -> Case:
    """Take an item so two people do not handle it at once (the claim lapses after
    ``MODERATION_CLAIM_MINUTES``). Audits ``case:claim``; emits ``case.updated``."""
    require_facilitates(actor, case.board_id)
    _require_open(case)
    if claim_is_live(case) and case.claimed_by_id != actor.id:
        name = case.claimed_by.username if case.claimed_by else "Another facilitator"
        raise Conflict(f"{name} is already looking at this item.")
    before = {"claimed_by": case.claimed_by_id, "state": str(case.state)}
    case.claimed_by_id = actor.id
    case.claimed_at = utcnow()
    case.state = CaseState.IN_PROGRESS
    add_event(session, case, actor, "claimed")
    record(session, actor_id=actor.id, action=ModAction.CASE_CLAIM, subject_type="case",
           subject_id=case.id, board_id=case.board_id, before=before,
           after={"claimed_by": actor.id, "state": str(case.state)})
    case_updated(session, case)
    session.commit()
    return case


@rolls_back_on_error
def do_release_case(session: Session, *, actor: Viewer, case: Case) -> Case:
    """Give an item back to the queue. Audits ``case:release``; emits ``case.updated``."""
    require_facilitates(actor, case.board_id)
    _require_open(case)
    if case.claimed_by_id not in (None, actor.id) and claim_is_live(case):
        raise Conflict("Only the facilitator who claimed this item can release it.")
    case.claimed_by_id = None
    case.claimed_at = None
    case.state = CaseState.OPEN
    add_event(session, case, actor, "released")
    record(session, actor_id=actor.id, action=ModAction.CASE_RELEASE, subject_type="case",
           subject_id=case.id, board_id=case.board_id, after={"state": "open"})
    case_updated(session, case)
    session.commit()
    return case


@rolls_back_on_error
def do_add_case_note(session: Session, *, actor: Viewer, case: Case, text: str) -> Case:
    """A note between facilitators on the case timeline (never shown to members).
    Audits ``case:note`` (without the note's text); emits ``case.updated``."""
    require_facilitates(actor, case.board_id)
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise Invalid(fields={"text": "Enter your note."})
    if len(text) > NOTE_MAX:
        raise Invalid(fields={"text": f"The note must be {NOTE_MAX:,} characters or fewer."})
    event = add_event(session, case, actor, "note", text)
    session.flush()
    record(session, actor_id=actor.id, action=ModAction.CASE_NOTE, subject_type="case",
           subject_id=case.id, board_id=case.board_id, after={"event_id": event.id})
    case_updated(session, case)
    session.commit()
    return case


@rolls_back_on_error
def do_close_case(session: Session, *, actor: Viewer, case: Case, state: str,
                  note: str = "") -> Case:
    """Close an item: ``resolved`` (dealt with) or ``rejected`` (nothing needed doing).
    Reporters then see their report was reviewed. Audits ``case:resolve``/``case:reject``;
    emits ``case.updated``."""
    require_facilitates(actor, case.board_id)
    _require_open(case)
    try:
        target = CaseState(state)
    except ValueError:
        target = None
    if target not in (CaseState.RESOLVED, CaseState.REJECTED):
        raise Invalid(fields={"state": "Choose resolved or no action needed."})
    assert target is not None
    note = clean_reason(note, required=False, field="note")
    before = {"state": str(case.state)}
    close_case(session, case, actor, target, note)
    record(session, actor_id=actor.id,
           action=ModAction.CASE_RESOLVE if target == CaseState.RESOLVED
           else ModAction.CASE_REJECT, subject_type="case", subject_id=case.id,
           board_id=case.board_id, reason=note, before=before, after={"state": str(target)})
    session.commit()
    return case


ESCALATION_OPENED = ("Escalation opened. The people on duty for this board have been alerted, "
                     "and it moves up a level if nobody acknowledges it in time.")


@rolls_back_on_error
def do_escalate_case(session: Session, *, actor: Viewer, case: Case, reason: str,
                     tier: str = "medium") -> Escalation:
    """A facilitator's judgement: open an escalation with a risk tier and a clock (see
    :mod:`moderation.escalations`). Audits ``case:escalate`` and ``escalation:open``; emits
    ``case.updated`` and ``escalation.opened``."""
    from sqlalchemy import select

    from moderation.escalations import open_escalation, parse_tier
    from moderation.models import EscalationState

    require_facilitates(actor, case.board_id)
    the_tier = parse_tier(tier)
    reason = clean_reason(reason, required=True)
    if session.scalar(select(Escalation.id).where(
            Escalation.case_id == case.id, Escalation.state != EscalationState.RESOLVED)):
        raise Conflict("This item already has an open escalation.")
    record(session, actor_id=actor.id, action=ModAction.CASE_ESCALATE, subject_type="case",
           subject_id=case.id, board_id=case.board_id, reason=reason,
           before={"escalated": case.escalated}, after={"escalated": True, "tier": tier})
    escalation = open_escalation(session, case=case, tier=the_tier, reason=reason, actor=actor,
                                 source="queue")
    session.commit()
    return escalation
