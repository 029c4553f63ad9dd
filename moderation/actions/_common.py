"""Private steps shared by the moderation actions. None of them commits.

Who calls: :mod:`moderation.actions` and :mod:`moderation.hooks`. Each helper changes
rows in the caller's transaction and queues staff-room events; the caller audits and
commits.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.db import utcnow
from forum.errors import Invalid
from forum.events import queue_event
from forum.permissions import Viewer
from forum.threads.models import Post, Thread
from moderation.models import (
    OPEN_STATES,
    Case,
    CaseEvent,
    CaseKind,
    CaseState,
    Flag,
    Severity,
)

REASON_MAX = 1000
MESSAGE_MAX = 5000


class ModAction(enum.StrEnum):
    """Audit action names written by the moderation actions (``<subject>:<action>``)."""

    FLAG_CREATE = "flag:create"
    FLAG_SYSTEM = "flag:system"
    CASE_CLAIM = "case:claim"
    CASE_RELEASE = "case:release"
    CASE_NOTE = "case:note"
    CASE_RESOLVE = "case:resolve"
    CASE_REJECT = "case:reject"
    CASE_ESCALATE = "case:escalate"
    POST_APPROVE = "post:approve"
    POST_REJECT = "post:reject"
    POST_HIDE = "post:hide"
    POST_AUTO_HIDE = "post:auto_hide"
    POST_RESTORE = "post:restore"
    POST_MODERATE_EDIT = "post:moderate_edit"
    POST_GUIDANCE = "post:guidance"
    MEMBER_MESSAGE = "user:message"
    THREAD_LOCK = "thread:lock"
    THREAD_UNLOCK = "thread:unlock"
    THREAD_PIN = "thread:pin"
    THREAD_UNPIN = "thread:unpin"
    THREAD_MOVE = "thread:move"
    USER_WARN = "user:warn"
    USER_MUTE = "user:mute"
    USER_SUSPEND = "user:suspend"
    SANCTION_LIFT = "sanction:lift"
    APPEAL_CREATE = "appeal:create"
    APPEAL_DECIDE = "appeal:decide"
    STAFF_NOTE_CREATE = "staff_note:create"
    WATCHED_WORD_CREATE = "watched_word:create"
    WATCHED_WORD_UPDATE = "watched_word:update"
    WATCHED_WORD_DELETE = "watched_word:delete"
    TEMPLATE_UPDATE = "template:update"
    LADDER_UPDATE = "ladder:update"


def claim_minutes() -> int:
    return int(current_app.config.get("MODERATION_CLAIM_MINUTES", 30))


def claim_is_live(case: Case, now: datetime | None = None) -> bool:
    """A claim lapses after ``MODERATION_CLAIM_MINUTES`` so no item is stuck."""
    if case.claimed_by_id is None or case.claimed_at is None:
        return False
    return (now or utcnow()) < case.claimed_at + timedelta(minutes=claim_minutes())


def clean_reason(reason: str | None, *, required: bool, field: str = "reason") -> str:
    text = " ".join((reason or "").split())
    if required and not text:
        raise Invalid(fields={field: "Enter a reason. The member will see it."})
    if len(text) > REASON_MAX:
        raise Invalid(fields={field: f"The reason must be {REASON_MAX:,} characters or fewer."})
    return text


def clean_message(message: str | None, *, required: bool = True, field: str = "message") -> str:
    text = (message or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(fields={field: "Enter the message the member will read."})
    if len(text) > MESSAGE_MAX:
        raise Invalid(fields={field: f"The message must be {MESSAGE_MAX:,} characters or fewer."})
    return text


def case_json(case: Case) -> dict[str, Any]:
    """What the staff room hears about a case: ids and states, never post text."""
    return {"case_id": case.id, "board": case.board.slug, "kind": str(case.kind),
            "state": str(case.state), "severity": str(case.severity),
            "post_id": case.post_id, "thread_id": case.thread_id,
            "claimed_by": case.claimed_by_id, "escalated": case.escalated}


def add_event(session: Session, case: Case, actor: Viewer | None, kind: str, text: str = "",
              data: dict[str, Any] | None = None) -> CaseEvent:
    event = CaseEvent(case_id=case.id, actor_id=actor.id if actor else None, kind=kind,
                      text=text, data=data or {}, created_at=utcnow())
    session.add(event)
    case.updated_at = event.created_at
    if case.escalated:
        # What was done to an escalated item goes on its escalation's timeline too.
        from moderation.escalations import NOT_MIRRORED, note_on_open_escalations

        if kind not in NOT_MIRRORED:
            note_on_open_escalations(
                session, case_id=case.id, actor_id=event.actor_id,
                kind="message_sent" if kind == "guidance_post" else "item_action", text=text,
                data={"to": "conversation"} if kind == "guidance_post" else {"action": kind})
    return event


def case_updated(session: Session, case: Case) -> None:
    queue_event(session, "case.updated", f"staff:{case.board.slug}", case_json(case))


def open_case_for(session: Session, post: Post, thread: Thread, *, kind: CaseKind,
                  severity: Severity, summary: str, actor: Viewer | None = None) -> Case:
    """The post's open case, raised in severity if need be, or a new one. Emits
    ``case.opened`` or ``case.updated`` to the board's staff room."""
    case = session.scalar(select(Case).where(Case.post_id == post.id,
                                             Case.state.in_(OPEN_STATES)))
    if case is None:
        case = Case(board=thread.board, board_id=thread.board_id, thread_id=thread.id,
                    post_id=post.id, author_id=post.author_id, kind=kind, summary=summary[:300],
                    created_at=utcnow(), updated_at=utcnow())
        case.set_severity(severity)
        session.add(case)
        session.flush()
        add_event(session, case, actor, "opened", summary)
        queue_event(session, "case.opened", f"staff:{thread.board.slug}", case_json(case))
        return case
    if severity.rank < case.severity_rank:
        case.set_severity(severity)
    if kind == CaseKind.HELD:
        case.kind = CaseKind.HELD
    case.summary = summary[:300]
    add_event(session, case, actor, "updated", summary)
    case_updated(session, case)
    return case


def snapshot_flag(post: Post, **fields: Any) -> Flag:
    """A flag carrying the post as it is now, so later edits or deletion lose nothing."""
    return Flag(post_id=post.id, board_id=post.thread.board_id,
                snapshot_source=post.body_source, snapshot_html=post.body_html,
                snapshot_state=str(post.state), snapshot_author_id=post.author_id,
                created_at=utcnow(), **fields)


def close_case(session: Session, case: Case, actor: Viewer, state: CaseState,
               text: str = "") -> None:
    """Close a case and mark its flags reviewed (reporters can see that)."""
    now = utcnow()
    case.state = state
    case.closed_at = now
    case.closed_by_id = actor.id
    case.claimed_by_id = None
    case.claimed_at = None
    for flag in session.scalars(select(Flag).where(Flag.case_id == case.id,
                                                   Flag.reviewed_at.is_(None))):
        flag.reviewed_at = now
    add_event(session, case, actor, str(state), text)
    case_updated(session, case)


def open_case_of_post(session: Session, post_id: int) -> Case | None:
    return session.scalar(select(Case).where(Case.post_id == post_id,
                                             Case.state.in_(OPEN_STATES)))
