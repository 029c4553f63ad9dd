"""Facilitators lock, pin and move conversations. Who calls: the case page, the API."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.audit.models import record
from forum.boards.models import Board
from forum.db import rolls_back_on_error
from forum.errors import Conflict
from forum.events import queue_event
from forum.permissions import Viewer
from forum.session_sockets import queue_rooms_reset
from forum.threads.models import Post, PostState, Thread
from forum.threads.serialize import thread_json
from moderation.access import require_facilitates
from moderation.actions._common import ModAction, add_event, case_updated, clean_reason
from moderation.models import Case


def _note_on_case(session: Session, case: Case | None, actor: Viewer, kind: str,
                  reason: str) -> None:
    if case is not None:
        add_event(session, case, actor, kind, reason)
        case_updated(session, case)


@rolls_back_on_error
def do_lock_thread(session: Session, *, actor: Viewer, thread: Thread, locked: bool,
                   reason: str = "", case: Case | None = None) -> Thread:
    """Close (or reopen) a conversation to new replies. Audits ``thread:lock``/``unlock``;
    emits ``thread.updated`` to the board and thread rooms."""
    require_facilitates(actor, thread.board_id)
    reason = clean_reason(reason, required=False)
    if thread.locked != locked:
        thread.locked = locked
        record(session, actor_id=actor.id,
               action=ModAction.THREAD_LOCK if locked else ModAction.THREAD_UNLOCK,
               subject_type="thread", subject_id=thread.id, board_id=thread.board_id,
               reason=reason, before={"locked": not locked}, after={"locked": locked})
        payload = thread_json(thread)
        queue_event(session, "thread.updated", f"thread:{thread.id}", payload)
        if thread.visible:
            queue_event(session, "thread.updated", f"board:{thread.board.slug}", payload)
        _note_on_case(session, case, actor, "locked" if locked else "unlocked", reason)
    session.commit()
    return thread


@rolls_back_on_error
def do_pin_thread(session: Session, *, actor: Viewer, thread: Thread, pinned: bool,
                  case: Case | None = None) -> Thread:
    """Pin a conversation to the top of its board (or unpin it). Audits ``thread:pin``/
    ``unpin``; emits ``thread.updated``."""
    require_facilitates(actor, thread.board_id)
    if thread.pinned != pinned:
        thread.pinned = pinned
        record(session, actor_id=actor.id,
               action=ModAction.THREAD_PIN if pinned else ModAction.THREAD_UNPIN,
               subject_type="thread", subject_id=thread.id, board_id=thread.board_id,
               before={"pinned": not pinned}, after={"pinned": pinned})
        payload = thread_json(thread)
        queue_event(session, "thread.updated", f"thread:{thread.id}", payload)
        if thread.visible:
            queue_event(session, "thread.updated", f"board:{thread.board.slug}", payload)
        _note_on_case(session, case, actor, "pinned" if pinned else "unpinned", "")
    session.commit()
    return thread


@rolls_back_on_error
def do_move_thread(session: Session, *, actor: Viewer, thread: Thread, board: Board,
                   reason: str = "", case: Case | None = None) -> Thread:
    """Move a conversation to another board the facilitator also looks after (its open
    cases go with it). Audits ``thread:move``; emits ``thread.moved`` to both board rooms
    and the thread room."""
    require_facilitates(actor, thread.board_id)
    require_facilitates(actor, board.id)
    if board.id == thread.board_id:
        raise Conflict("The conversation is already on that board.")
    if board.archived:
        raise Conflict("That board is archived.")
    reason = clean_reason(reason, required=False)
    old = thread.board
    if thread.visible:
        published = session.scalar(select(func.count(Post.id)).where(
            Post.thread_id == thread.id, Post.state == PostState.PUBLISHED)) or 0
        old.thread_count = max(0, old.thread_count - 1)
        old.post_count = max(0, old.post_count - published)
        board.thread_count += 1
        board.post_count += published
    thread.board = board
    thread.board_id = board.id
    for open_case in session.scalars(select(Case).where(Case.thread_id == thread.id)):
        open_case.board_id = board.id
        open_case.board = board
    record(session, actor_id=actor.id, action=ModAction.THREAD_MOVE, subject_type="thread",
           subject_id=thread.id, board_id=board.id, reason=reason,
           before={"board_id": old.id}, after={"board_id": board.id})
    payload = {"thread_id": thread.id, "from": old.slug, "to": board.slug}
    queue_event(session, "thread.moved", f"thread:{thread.id}", payload)
    if thread.visible:
        queue_event(session, "thread.moved", f"board:{old.slug}", payload)
        queue_event(session, "thread.moved", f"board:{board.slug}", payload)
    # Its readers rejoin, checked against the new board (it may be private).
    queue_rooms_reset(session, f"thread:{thread.id}")
    _note_on_case(session, case, actor, "moved", f"From {old.name} to {board.name}. {reason}")
    session.commit()
    return thread
