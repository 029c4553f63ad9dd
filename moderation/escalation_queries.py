"""Reading escalations: the list a viewer may handle (filtered by state, tier and board)
and one escalation's timeline in plain English. Read-only; called by the escalation
pages, the review queue and the escalations API.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from forum.boards.models import Board
from forum.db import utcnow
from forum.permissions import Viewer
from moderation.access import (
    is_lead,
    require_staff_or_lead,
    staff_board_ids,
)
from moderation.models import (
    LEAD_LEVEL,
    Escalation,
    EscalationEvent,
    EscalationOutcome,
    EscalationState,
    EscalationTier,
)

LIST_LIMIT = 200
# How far back a lead's level-1 alerts are searched (they are alerted at level 1 only
# while they facilitate the board, so this is a rare edge).
ALERT_SCAN_LIMIT = 1000


def _lead_alerted_ids(session: Session, user_id: int, states: list[EscalationState]
                      ) -> set[int]:
    """Escalations still at level 1 whose alerts reached this lead."""
    rows = session.execute(
        select(EscalationEvent.escalation_id, EscalationEvent.data)
        .join(Escalation, Escalation.id == EscalationEvent.escalation_id)
        .where(EscalationEvent.kind == "alerted", Escalation.level < LEAD_LEVEL,
               Escalation.state.in_(states))
        .order_by(EscalationEvent.id.desc()).limit(ALERT_SCAN_LIMIT))
    return {esc_id for esc_id, data in rows if user_id in (data or {}).get("users", [])}


def list_escalations(session: Session, viewer: Viewer, *, resolved: bool = False,
                     state: EscalationState | str | None = None,
                     tier: EscalationTier | str | None = None,
                     board: str | None = None) -> list[Escalation]:
    """Open (or resolved, or in one ``state``) escalations the viewer may handle, at
    most ``LIST_LIMIT``, optionally of one ``tier`` and one board (by its address): high
    tier and highest level first, then the nearest deadline. Admins see all; facilitators
    their boards'; leads also every one at level 2 and above and any they were alerted
    about (:func:`moderation.access.can_handle_escalation`, here as one query)."""
    require_staff_or_lead(session, viewer)
    if state:
        states = [EscalationState(state)]
    elif resolved:
        states = [EscalationState.RESOLVED]
    else:
        states = [s for s in EscalationState if s != EscalationState.RESOLVED]
    query = (select(Escalation).options(joinedload(Escalation.board),
                                        joinedload(Escalation.acknowledged_by))
             .where(Escalation.state.in_(states)))
    if tier:
        query = query.where(Escalation.tier == EscalationTier(tier))
    if board:
        query = query.join(Board, Board.id == Escalation.board_id).where(Board.slug == board)
    boards = staff_board_ids(viewer)
    if boards is not None:
        scope = [Escalation.board_id.in_(boards or {-1})]
        if viewer.id is not None and is_lead(session, viewer):
            scope.append(Escalation.level >= LEAD_LEVEL)
            alerted = _lead_alerted_ids(session, viewer.id, states)
            if alerted:
                scope.append(Escalation.id.in_(alerted))
        query = query.where(or_(*scope))
    rows = list(session.scalars(query.order_by(Escalation.id.desc()).limit(LIST_LIMIT)))
    tier_rank = {EscalationTier.HIGH: 0, EscalationTier.MEDIUM: 1, EscalationTier.LOW: 2}
    far = datetime.max.replace(tzinfo=utcnow().tzinfo)
    return sorted(rows, key=lambda e: (tier_rank[e.tier], -e.level, e.next_due_at or far))


def timeline(session: Session, esc: Escalation) -> list[EscalationEvent]:
    return list(session.scalars(select(EscalationEvent).options(
        joinedload(EscalationEvent.actor)).where(
        EscalationEvent.escalation_id == esc.id).order_by(EscalationEvent.id)))


@dataclass
class TimelineEntry:
    """One line of the timeline: ``summary`` says what happened in plain English
    ("Seen by rowan_facilitator"); ``note`` is what the person wrote, if anything."""

    kind: str
    actor: str | None
    summary: str
    note: str
    created_at: datetime


# What each kind of entry says, with {who} for the person.
SAID = {
    "viewed": "Seen by {who}",
    "acknowledged": "Acknowledged by {who}",
    "in_progress": "Marked as in progress by {who}",
    "handover": "Handed over by {who}",
    "note": "Note from {who}",
    "resolved": "Resolved by {who}",
}
# Entries the system writes whose text already is the sentence.
SYSTEM_SENTENCES = {"alerted", "level_up"}
# What was done to the review item behind the escalation (``item_action`` entries, by the
# item's event kind), with {who} for the person.
ITEM_SAID = {
    "resolved": "Review item closed by {who}",
    "rejected": "Review item closed by {who}: no action needed",
    "claimed": "Review item taken by {who}",
    "released": "Review item let go by {who}",
    "note": "Note on the review item from {who}",
    "staff_note": "Staff note about the member added by {who}",
    "edited": "Post edited by {who}",
    "locked": "Conversation locked by {who}",
    "unlocked": "Conversation unlocked by {who}",
    "pinned": "Conversation pinned by {who}",
    "unpinned": "Conversation unpinned by {who}",
    "moved": "Conversation moved by {who}",
    "warning": "Member warned by {who}",
    "mute": "Member muted on this board by {who}",
    "suspension": "Member's account suspended by {who}",
    "flag": "Flagged again",
    "auto_hidden": "Post hidden automatically after reports",
    "auto_hide_waiting": "Reports reached the limit: the post waits for a facilitator",
}


def describe(event: EscalationEvent) -> TimelineEntry:
    who = event.actor.username if event.actor else None
    data = event.data or {}
    note = event.text or ""
    if event.kind in SYSTEM_SENTENCES:
        summary, note = note, ""
    elif event.kind == "message_sent":
        summary = ("Guidance reply posted in the conversation by {who}"
                   if data.get("to") == "conversation" else
                   "Message sent to the member by {who}").format(
            who=who or "a former member of staff")
    elif event.kind == "item_action":
        action = str(data.get("action", ""))
        said = ITEM_SAID.get(action, "Review item: " + action.replace("_", " ") + " by {who}")
        summary = said.format(who=who or "a former member of staff")
    elif event.kind == "opened":
        summary = (f"Opened by {who}" if who else
                   "Opened by the automatic risk check" if data.get("source") == "risk_check"
                   else "Opened")
    else:
        summary = SAID.get(event.kind, event.kind.replace("_", " ").capitalize() + " by {who}")
        summary = summary.format(who=who or "a former member of staff")
        if event.kind == "resolved" and data.get("outcome"):
            try:
                summary += ": " + EscalationOutcome(data["outcome"]).label.lower()
            except ValueError:
                pass
    return TimelineEntry(kind=event.kind, actor=who, summary=summary, note=note,
                         created_at=event.created_at)


def timeline_entries(session: Session, esc: Escalation) -> list[TimelineEntry]:
    """The escalation's timeline, oldest first, each entry in plain English."""
    return [describe(e) for e in timeline(session, esc)]
