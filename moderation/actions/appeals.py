"""Appeals: a member asks, once, for a decision about them to be looked at again, and a
different facilitator decides. Who calls: "Notices about my posts" and the appeals list
in the review queue (and their API endpoints)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.audit.models import record
from forum.db import utcnow
from forum.errors import Conflict, Forbidden, Invalid, NotFound
from forum.events import queue_event
from forum.permissions import Viewer, require_user
from forum.threads.models import Post, PostRevision, PostState
from forum.threads.serialize import post_json
from moderation.access import require_admin, require_facilitates
from moderation.actions._common import ModAction, clean_message, clean_reason
from moderation.actions.members import lift
from moderation.actions.posts import restore_hidden, template_values
from moderation.messages import filled
from moderation.models import ActionNotice, Appeal, AppealState, Sanction
from moderation.notices import tell_member

APPEAL_MAX = 3000


def do_appeal(session: Session, *, actor: Viewer, notice: ActionNotice, text: str) -> Appeal:
    """The member a decision was about appeals it (once). Audits ``appeal:create``; emits
    ``appeal.created`` to the board's staff room (ids only)."""
    user = require_user(actor)
    if notice.user_id != user.id:
        raise NotFound("We could not find that notice.")
    if not notice.appealable:
        raise Forbidden("This notice cannot be appealed.")
    if session.scalar(select(Appeal.id).where(Appeal.notice_id == notice.id)) is not None:
        raise Conflict("You have already appealed this decision. Another facilitator will "
                       "look at it.")
    text = (text or "").replace("\r\n", "\n").strip()
    if not text:
        raise Invalid(fields={"text": "Tell us why you think the decision should change."})
    if len(text) > APPEAL_MAX:
        raise Invalid(fields={"text": f"Please keep this to {APPEAL_MAX:,} characters or fewer."})
    appeal = Appeal(notice=notice, notice_id=notice.id, user_id=user.id,
                    board_id=notice.board_id, text=text, created_at=utcnow())
    session.add(appeal)
    session.flush()
    record(session, actor_id=user.id, action=ModAction.APPEAL_CREATE, subject_type="appeal",
           subject_id=appeal.id, board_id=notice.board_id,
           after={"notice_id": notice.id, "kind": notice.kind})
    if notice.board is not None:
        queue_event(session, "appeal.created", f"staff:{notice.board.slug}",
                    {"appeal_id": appeal.id, "board": notice.board.slug})
    session.commit()
    return appeal


def _undo(session: Session, actor: Viewer, notice: ActionNotice) -> str:
    """Reverse the decision an upheld appeal was about; returns what was undone."""
    if notice.sanction_id is not None:
        sanction = session.get(Sanction, notice.sanction_id)
        if sanction is not None:
            sanction.overturned = True
            if sanction.lifted_at is None:
                lift(session, sanction, actor.id, "appeal")
        return "sanction lifted"
    post = session.get(Post, notice.post_id) if notice.post_id else None
    if post is None:
        return "nothing to undo"
    if notice.kind in ("hidden", "rejected") and post.state in (PostState.HIDDEN,
                                                         PostState.DECLINED):
        restore_hidden(session, post)
        return "post restored"
    if notice.kind == "edited":
        revision = session.scalar(select(PostRevision).where(
            PostRevision.post_id == post.id, PostRevision.editor_id == notice.acted_by_id)
            .order_by(PostRevision.id.desc()))
        if revision is not None:
            session.add(PostRevision(post_id=post.id, editor_id=actor.id,
                                     body_source=post.body_source, body_html=post.body_html,
                                     reason="appeal"))
            post.body_source = revision.body_source
            post.body_html = revision.body_html
            post.edited_at = utcnow()
            if post.state == PostState.PUBLISHED:
                queue_event(session, "post.updated", f"thread:{post.thread_id}",
                            post_json(post))
            return "edit reverted"
    return "nothing to undo"


def do_decide_appeal(session: Session, *, actor: Viewer, appeal: Appeal, outcome: str,
                     note: str = "", message: str | None = None) -> Appeal:
    """A facilitator other than the one who acted decides an appeal: ``upheld`` (the
    decision stands) or ``overturned`` (it is undone). The member is told.
    Audits ``appeal:decide``; emits ``moderation.notice`` to the member."""
    notice = appeal.notice
    if notice.board_id is None:
        require_admin(actor)
    else:
        require_facilitates(actor, notice.board_id)
    if notice.acted_by_id == actor.id:
        raise Forbidden("Another facilitator must decide this appeal, not the one who acted.")
    if appeal.state != AppealState.PENDING:
        raise Conflict("This appeal has already been decided.")
    try:
        state = AppealState(outcome)
    except ValueError:
        state = AppealState.PENDING
    if state == AppealState.PENDING:
        raise Invalid(fields={"outcome": "Choose whether the decision stands or is undone."})
    note = clean_reason(note, required=False, field="note")
    key = "appeal_overturned" if state == AppealState.OVERTURNED else "appeal_upheld"
    name = appeal.user.username
    t = filled(session, key, **template_values(name, notice.board.name if notice.board
                                               else "Alongside"))
    text = clean_message(message if message is not None else t.body)
    undone = _undo(session, actor, notice) if state == AppealState.OVERTURNED else ""
    appeal.state = state
    appeal.decided_by_id = actor.id
    appeal.decided_at = utcnow()
    appeal.decision_note = note
    tell_member(session, user_id=appeal.user_id, kind="appeal", title=t.title, message=text,
                post_id=notice.post_id, thread_id=notice.thread_id, board_id=notice.board_id,
                case_id=notice.case_id, acted_by_id=actor.id)
    record(session, actor_id=actor.id, action=ModAction.APPEAL_DECIDE, subject_type="appeal",
           subject_id=appeal.id, board_id=notice.board_id, reason=note,
           before={"state": "pending"}, after={"state": str(state), "undone": undone})
    session.commit()
    return appeal
