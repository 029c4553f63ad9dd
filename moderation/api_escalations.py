"""Escalations over the API: the list (by state, tier and board), one escalation with its
timeline, and acknowledge / in progress / hand over / resolve / add a note, each calling
the action in :mod:`moderation.escalations` that the escalation page calls.

The same permissions as the pages: members get 403; facilitators see their boards' (404
for another board's); leads those that reached level 2 or that they were alerted about;
admins all. Opening one records who saw it on its timeline (at most once per person per
half hour). Views call one action or query and never commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from forum.api.registry import Result
from forum.auth import current_viewer
from forum.db import get_session
from forum.permissions import Viewer
from forum.threads.serialize import absolute_url
from moderation import escalations as E
from moderation.api_base import TAGS, api
from moderation.api_schemas_duty import (
    EscalationDetailOut,
    EscalationListOut,
    EscalationNoteIn,
    EscalationQuery,
    HandoverIn,
    ResolveIn,
    StartIn,
)
from moderation.escalation_queries import list_escalations, timeline_entries
from moderation.models import MAX_LEVEL, Escalation

# 409: acknowledging twice, acting on a resolved escalation.
CONFLICT = [409]


def escalation_json(esc: Escalation) -> dict[str, Any]:
    return {
        "id": esc.id,
        "url": absolute_url("moderation.escalation", escalation_id=esc.id),
        "case_id": esc.case_id, "board": esc.board.slug if esc.board else None,
        "board_name": esc.board.name if esc.board else None,
        "tier": str(esc.tier), "tier_label": esc.tier.label,
        "state": str(esc.state), "state_label": esc.state.label,
        "level": esc.level, "level_label": esc.level_label, "source": esc.source,
        "reason": esc.reason, "outcome": str(esc.outcome) if esc.outcome else None,
        "ack_due_at": esc.ack_due_at, "act_due_at": esc.act_due_at,
        "next_due_at": esc.next_due_at, "acknowledged_at": esc.acknowledged_at,
        "acknowledged_by": esc.acknowledged_by.username if esc.acknowledged_by else None,
        "resolved_at": esc.resolved_at, "created_at": esc.created_at,
        "updated_at": esc.updated_at,
    }


def _detail(session: Session, esc: Escalation) -> dict[str, Any]:
    out = escalation_json(esc)
    out["timeline"] = [vars(entry) for entry in timeline_entries(session, esc)]
    proto = E.protocol(session) if esc.level >= MAX_LEVEL else None
    out["protocol"] = ({"text": proto.text, "contacts": [
        {"name": c.get("name", ""), "detail": c.get("detail", "")} for c in proto.contacts or []]}
        if proto is not None else None)
    return out


def _fetch(escalation_id: int) -> tuple[Session, Viewer, Escalation]:
    viewer = current_viewer()
    session = get_session()
    return session, viewer, E.access_escalation(session, viewer, escalation_id)


@api.route("/escalations", methods=["GET"], query=EscalationQuery,
           responses={200: EscalationListOut}, auth=True, tags=TAGS)
def escalation_list(query: EscalationQuery) -> Result:
    """Escalations you may handle: by default every one not yet resolved, most urgent first.
    Filter by `state`, `tier` and `board`."""
    rows = list_escalations(get_session(), current_viewer(), state=query.state,
                            tier=query.tier, board=query.board)
    return {"escalations": [escalation_json(e) for e in rows]}


@api.route("/escalations/<int:escalation_id>", methods=["GET"],
           responses={200: EscalationDetailOut}, auth=True, tags=TAGS)
def escalation_detail(escalation_id: int) -> Result:
    """One escalation with its timeline (who saw it, what was done, alerts, notes).
    Opening it records that you saw it (at most once every 30 minutes)."""
    session, viewer, esc = _fetch(escalation_id)
    E.do_record_escalation_view(session, actor=viewer, escalation=esc)
    return _detail(session, esc)


@api.route("/escalations/<int:escalation_id>/acknowledge", methods=["POST"],
           responses={200: EscalationDetailOut}, auth=True, tags=TAGS, errors=CONFLICT)
def acknowledge_escalation(escalation_id: int) -> Result:
    """"I have seen it and I am on it": stops the acknowledgement clock."""
    session, viewer, esc = _fetch(escalation_id)
    E.do_acknowledge_escalation(session, actor=viewer, escalation=esc)
    return _detail(session, esc)


@api.route("/escalations/<int:escalation_id>/in-progress", methods=["POST"], body=StartIn,
           responses={200: EscalationDetailOut}, auth=True, tags=TAGS, errors=CONFLICT)
def start_escalation(escalation_id: int, body: StartIn) -> Result:
    """Change the state to in progress (work has begun): stops both clocks."""
    session, viewer, esc = _fetch(escalation_id)
    E.do_start_escalation(session, actor=viewer, escalation=esc, note=body.note)
    return _detail(session, esc)


@api.route("/escalations/<int:escalation_id>/handover", methods=["POST"], body=HandoverIn,
           responses={200: EscalationDetailOut}, auth=True, tags=TAGS, errors=CONFLICT)
def hand_over_escalation(escalation_id: int, body: HandoverIn) -> Result:
    """Hand over to the next shift with a note. The acknowledgement clock starts again."""
    session, viewer, esc = _fetch(escalation_id)
    E.do_handover_escalation(session, actor=viewer, escalation=esc, note=body.note)
    return _detail(session, esc)


@api.route("/escalations/<int:escalation_id>/resolve", methods=["POST"], body=ResolveIn,
           responses={200: EscalationDetailOut}, auth=True, tags=TAGS, errors=CONFLICT)
def resolve_escalation(escalation_id: int, body: ResolveIn) -> Result:
    """Resolve with the outcome. Stops every clock."""
    session, viewer, esc = _fetch(escalation_id)
    E.do_resolve_escalation(session, actor=viewer, escalation=esc, outcome=body.outcome,
                            note=body.note)
    return _detail(session, esc)


@api.route("/escalations/<int:escalation_id>/notes", methods=["POST"],
           body=EscalationNoteIn, responses={201: EscalationDetailOut}, auth=True, tags=TAGS)
def add_escalation_note(escalation_id: int, body: EscalationNoteIn) -> Result:
    """Add a note to the timeline (also once resolved). Touches no clock."""
    session, viewer, esc = _fetch(escalation_id)
    E.do_add_escalation_note(session, actor=viewer, escalation=esc, note=body.note)
    return _detail(session, esc), 201
