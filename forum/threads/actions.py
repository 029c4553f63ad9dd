"""Every change to threads and posts. Each ``do_*`` checks permission, writes, runs the
moderation hooks, audits, queues events, and commits, in that order."""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from forum.audit.models import AuditAction, record
from forum.boards.models import Board, BoardMembership, PostingPolicy
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Forbidden, Invalid, NotFound
from forum.events import queue_event
from forum.markup import quote_markdown, render_markdown
from forum.notifications.fanout import notify_for_post, notify_for_reaction
from forum.permissions import (
    Viewer,
    can_delete_post,
    can_edit_post,
    can_post_in_board,
    can_react,
    can_reply,
    can_see_post,
    require_user,
)
from forum.plain_text import one_line, shows_nothing
from forum.threads.hooks import PostWrite, run_post_hooks
from forum.threads.models import (
    Post,
    PostQuote,
    PostRevision,
    PostState,
    Reaction,
    ReactionKind,
    ReadMarker,
    Thread,
    ThreadFollow,
)
from forum.threads.serialize import post_json, thread_json

TITLE_MAX = 150
EDIT_REASON_MAX = 500


@dataclass
class PostOutcome:
    """What the author should be told after writing: the post and any notices."""

    post: Post
    thread: Thread
    notices: list[dict[str, Any]] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return self.post.state == PostState.HELD


def _clean_title(title: str) -> str:
    title = one_line(title)
    if shows_nothing(title):
        raise Invalid(fields={"title": "Enter a title for your conversation."})
    if len(title) > TITLE_MAX:
        raise Invalid(fields={"title": f"The title must be {TITLE_MAX} characters or fewer."})
    return title


def _clean_body(body: str, max_length: int, field_name: str = "body") -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    # Markdown reads character references: "&#8203;&nbsp;" shows as nothing too.
    if shows_nothing(body) or shows_nothing(html.unescape(body)):
        raise Invalid(fields={field_name: "Enter your message."})
    if len(body) > max_length:
        raise Invalid(fields={
            field_name: f"Your message must be {max_length:,} characters or fewer. "
                        f"It is {len(body):,} now."})
    if "\x00" in body:
        raise Invalid(fields={field_name: "Your message contains a character we cannot store."})
    return body


def _initial_state(session: Session, viewer: Viewer, board: Board) -> PostState:
    """The board's posting policy; moderation hooks may hold a post for other reasons."""
    if viewer.facilitates(board.id):
        return PostState.PUBLISHED
    if board.posting_policy == PostingPolicy.ALL_HELD:
        return PostState.HELD
    if board.posting_policy == PostingPolicy.NEW_MEMBERS_HELD:
        assert viewer.user is not None
        approved = session.scalar(
            select(func.count(Post.id)).join(Thread, Post.thread_id == Thread.id).where(
                Post.author_id == viewer.user.id,
                Thread.board_id == board.id,
                Post.state == PostState.PUBLISHED,
            ))
        if (approved or 0) < board.held_first_posts:
            return PostState.HELD
    return PostState.PUBLISHED


def _ensure_membership(session: Session, viewer: Viewer, board: Board) -> None:
    assert viewer.user is not None
    if not viewer.is_member_of(board.id):
        session.add(BoardMembership(board_id=board.id, user_id=viewer.user.id))
        viewer.member_board_ids.add(board.id)


def _follow(session: Session, user_id: int, thread_id: int) -> None:
    exists = session.scalar(select(ThreadFollow.id).where(
        ThreadFollow.thread_id == thread_id, ThreadFollow.user_id == user_id))
    if exists is None:
        session.add(ThreadFollow(thread_id=thread_id, user_id=user_id))


def publish_counters(post: Post, thread: Thread, *, new_thread: bool) -> None:
    """Update the denormalised counts when a post becomes visible to members.

    Counts go up once, the first time a post is published, and never down: a post that is
    later deleted by its author or hidden by a facilitator keeps its place in the
    conversation as a placeholder ("This post was deleted", "hidden by a facilitator"),
    and the thread's pages count those placeholders too. So ``reply_count`` and the board's
    ``post_count`` stay in step with what members page through, and restoring a hidden
    post does not count it twice. See docs/ARCHITECTURE.md ("Counts")."""
    board = thread.board
    now = post.created_at
    thread.last_activity_at = now
    thread.last_post_id = post.id
    if not new_thread:
        thread.reply_count += 1
    else:
        board.thread_count += 1
        thread.visible = True
    board.post_count += 1
    board.last_activity_at = now
    if post.author is not None:
        post.author.post_count += 1


def post_events(session: Session, post: Post, thread: Thread, *, new_thread: bool) -> None:
    """Queue the events for a post that has just been written (public or staff-only)."""
    board = thread.board
    payload = post_json(post)
    payload["board"] = board.slug
    if post.state == PostState.PUBLISHED:
        if new_thread:
            queue_event(session, "thread.created", f"board:{board.slug}",
                        {**thread_json(thread), "post_id": post.id})
        else:
            queue_event(session, "post.created", f"thread:{thread.id}", payload)
            queue_event(session, "thread.updated", f"board:{board.slug}", thread_json(thread))
    else:
        # Held posts go to the board's staff only (and the author's own room).
        queue_event(session, "post.held", f"staff:{board.slug}", payload)
        if post.author_id:
            queue_event(session, "post.held", f"user:{post.author_id}", payload)


def _write_post(session: Session, viewer: Viewer, thread: Thread, body: str, *,
                new_thread: bool, confirmed: bool, quoted: Post | None = None,
                guidance: bool = False) -> PostOutcome:
    author = require_user(viewer)
    board = thread.board
    post = Post(thread=thread, author=author, body_source=body, body_html=render_markdown(body),
                state=_initial_state(session, viewer, board), is_guidance=guidance,
                quoted_post_id=quoted.id if quoted else None, created_at=utcnow())
    session.add(post)
    session.flush()
    if quoted is not None:
        session.add(PostQuote(post_id=post.id, quoted_post_id=quoted.id,
                              quoted_author_id=quoted.author_id))
    write = PostWrite(viewer=viewer, post=post, thread=thread, is_edit=False,
                      is_new_thread=new_thread, confirmed=confirmed)
    run_post_hooks(session, write)
    if post.state == PostState.PUBLISHED:
        publish_counters(post, thread, new_thread=new_thread)
    elif new_thread:
        thread.visible = False
    _ensure_membership(session, viewer, board)
    _follow(session, author.id, thread.id)
    _mark_read(session, author.id, thread.id, post.id)
    if post.state == PostState.PUBLISHED:
        notify_for_post(session, post, thread)
    return PostOutcome(post=post, thread=thread, notices=write.notices)


@rolls_back_on_error
def do_create_thread(session: Session, *, actor: Viewer, board: Board, title: str, body: str,
                     max_length: int = 20000, confirmed: bool = False) -> PostOutcome:
    """Start a conversation on ``board``. Audits ``thread:create``; emits ``thread.created``
    to the board room, or ``post.held`` to staff when the opening post waits for approval."""
    user = require_user(actor)
    if not can_post_in_board(actor, board):
        raise Forbidden("You cannot start a conversation on this board.")
    title = _clean_title(title)
    body = _clean_body(body, max_length)
    now = utcnow()
    thread = Thread(board=board, author=user, title=title, created_at=now, last_activity_at=now,
                    visible=True)
    session.add(thread)
    outcome = _write_post(session, actor, thread, body, new_thread=True, confirmed=confirmed)
    record(session, actor_id=user.id, action=AuditAction.THREAD_CREATE, subject_type="thread",
           subject_id=thread.id, board_id=board.id,
           after={"post_id": outcome.post.id, "state": str(outcome.post.state)})
    post_events(session, outcome.post, thread, new_thread=True)
    session.commit()
    return outcome


@rolls_back_on_error
def do_reply(session: Session, *, actor: Viewer, thread: Thread, body: str,
             quote_post_id: int | None = None, max_length: int = 20000,
             confirmed: bool = False, guidance: bool = False) -> PostOutcome:
    """Reply in ``thread``, optionally quoting a post. Audits ``post:create``; emits
    ``post.created`` to the thread room (or ``post.held`` to staff)."""
    user = require_user(actor)
    if not can_reply(actor, thread):
        raise Forbidden("This conversation is closed to new replies."
                        if thread.locked else "You cannot reply here.")
    if guidance and not actor.acts_for(thread.board_id):
        raise Forbidden("Only the board's facilitators can post guidance.")
    body = _clean_body(body, max_length)
    quoted: Post | None = None
    if quote_post_id is not None:
        quoted = session.get(Post, quote_post_id)
        if (quoted is None or quoted.thread_id != thread.id
                or quoted.state != PostState.PUBLISHED):
            raise Invalid(fields={"quote": "The post you are quoting is no longer available."})
    outcome = _write_post(session, actor, thread, body, new_thread=False, confirmed=confirmed,
                          quoted=quoted, guidance=guidance)
    record(session, actor_id=user.id, action=AuditAction.POST_CREATE, subject_type="post",
           subject_id=outcome.post.id, board_id=thread.board_id,
           after={"thread_id": thread.id, "state": str(outcome.post.state)})
    post_events(session, outcome.post, thread, new_thread=False)
    session.commit()
    return outcome


def quote_source(post: Post) -> str:
    """Markdown to pre-fill a reply box that quotes ``post``."""
    name = post.author.username if post.author else "Former member"
    return quote_markdown(name, post.body_source, post.id)


@rolls_back_on_error
def do_edit_post(session: Session, *, actor: Viewer, post: Post, body: str, reason: str = "",
                 max_length: int = 20000, confirmed: bool = False) -> PostOutcome:
    """Edit a post, keeping the previous version as a revision. Audits ``post:edit``;
    emits ``post.updated`` to the thread room when the post is public."""
    user = require_user(actor)
    thread = post.thread
    if not can_edit_post(actor, post, thread):
        raise Forbidden("You cannot edit this post.")
    body = _clean_body(body, max_length)
    reason = (reason or "").strip()[:EDIT_REASON_MAX]
    if body == post.body_source:
        return PostOutcome(post=post, thread=thread)
    session.add(PostRevision(post_id=post.id, editor_id=user.id, body_source=post.body_source,
                             body_html=post.body_html, reason=reason))
    before_state = post.state
    post.body_source = body
    post.body_html = render_markdown(body)
    post.edited_at = utcnow()
    write = PostWrite(viewer=actor, post=post, thread=thread, is_edit=True,
                      is_new_thread=False, confirmed=confirmed)
    run_post_hooks(session, write)
    record(session, actor_id=user.id, action=AuditAction.POST_EDIT, subject_type="post",
           subject_id=post.id, board_id=thread.board_id, reason=reason,
           before={"state": str(before_state)}, after={"state": str(post.state)})
    if post.state == PostState.PUBLISHED:
        queue_event(session, "post.updated", f"thread:{thread.id}", post_json(post))
    elif before_state == PostState.PUBLISHED:
        # An edit that moderation now holds disappears from the public view.
        queue_event(session, "post.deleted", f"thread:{thread.id}",
                    {"thread_id": thread.id, "post_id": post.id, "state": "held"})
    session.commit()
    return PostOutcome(post=post, thread=thread, notices=write.notices)


@rolls_back_on_error
def do_delete_post(session: Session, *, actor: Viewer, post: Post, reason: str = "") -> Post:
    """Delete a post, leaving a placeholder so the conversation still reads. Audits
    ``post:delete``; emits ``post.deleted``."""
    user = require_user(actor)
    thread = post.thread
    if not can_delete_post(actor, post, thread):
        raise Forbidden("You cannot delete this post.")
    before_state = post.state
    session.add(PostRevision(post_id=post.id, editor_id=user.id, body_source=post.body_source,
                             body_html=post.body_html, reason=reason[:EDIT_REASON_MAX]))
    post.state = PostState.DELETED
    post.body_source = ""
    post.body_html = ""
    post.edited_at = utcnow()
    session.execute(delete(Reaction).where(Reaction.post_id == post.id))
    record(session, actor_id=user.id, action=AuditAction.POST_DELETE, subject_type="post",
           subject_id=post.id, board_id=thread.board_id, reason=reason[:EDIT_REASON_MAX],
           before={"state": str(before_state)}, after={"state": "deleted"})
    queue_event(session, "post.deleted", f"thread:{thread.id}",
                {"thread_id": thread.id, "post_id": post.id, "state": "deleted"})
    session.commit()
    return post


def reaction_counts(session: Session, post_id: int) -> dict[str, int]:
    rows = session.execute(select(Reaction.kind, func.count(Reaction.id))
                           .where(Reaction.post_id == post_id).group_by(Reaction.kind))
    counts = {str(kind): 0 for kind in ReactionKind}
    counts.update({str(kind): n for kind, n in rows})
    return counts


def _parse_reaction(kind: str) -> ReactionKind:
    try:
        return ReactionKind(kind)
    except ValueError:
        raise Invalid(fields={"kind": "Choose one of: " + ", ".join(k.value for k in ReactionKind)}
                      ) from None


@rolls_back_on_error
def do_add_reaction(session: Session, *, actor: Viewer, post: Post, kind: str) -> dict[str, int]:
    """Add a peer-support reaction (idempotent). Audits ``reaction:add``; emits
    ``reaction.changed`` with the new counts."""
    user = require_user(actor)
    reaction = _parse_reaction(kind)
    thread = post.thread
    if not can_react(actor, post, thread):
        raise Forbidden("You cannot react to this post.")
    exists = session.scalar(select(Reaction.id).where(
        Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == reaction))
    if exists is None:
        session.add(Reaction(post_id=post.id, user_id=user.id, kind=reaction))
        session.flush()
        record(session, actor_id=user.id, action=AuditAction.REACTION_ADD, subject_type="post",
               subject_id=post.id, board_id=thread.board_id, after={"kind": reaction.value})
        notify_for_reaction(session, post, thread, user, reaction)
    counts = reaction_counts(session, post.id)
    if exists is None:
        queue_event(session, "reaction.changed", f"thread:{thread.id}",
                    {"thread_id": thread.id, "post_id": post.id, "counts": counts})
    session.commit()
    return counts


@rolls_back_on_error
def do_remove_reaction(session: Session, *, actor: Viewer, post: Post, kind: str
                       ) -> dict[str, int]:
    """Take back one's reaction (idempotent). Audits ``reaction:remove``; emits
    ``reaction.changed``."""
    user = require_user(actor)
    reaction = _parse_reaction(kind)
    thread = post.thread
    if not can_see_post(actor, post, thread.board_id):
        raise NotFound("We could not find that post.")
    result = session.execute(delete(Reaction).where(
        Reaction.post_id == post.id, Reaction.user_id == user.id, Reaction.kind == reaction))
    removed = bool(getattr(result, "rowcount", 0))
    counts = reaction_counts(session, post.id)
    if removed:
        record(session, actor_id=user.id, action=AuditAction.REACTION_REMOVE,
               subject_type="post", subject_id=post.id, board_id=thread.board_id,
               before={"kind": reaction.value})
        queue_event(session, "reaction.changed", f"thread:{thread.id}",
                    {"thread_id": thread.id, "post_id": post.id, "counts": counts})
    session.commit()
    return counts


@rolls_back_on_error
def do_follow_thread(session: Session, *, actor: Viewer, thread: Thread, follow: bool) -> bool:
    """Follow or stop following a thread. Audits ``thread:follow``/``thread:unfollow``."""
    user = require_user(actor)
    existing = session.scalar(select(ThreadFollow).where(
        ThreadFollow.thread_id == thread.id, ThreadFollow.user_id == user.id))
    if follow and existing is None:
        session.add(ThreadFollow(thread_id=thread.id, user_id=user.id))
        record(session, actor_id=user.id, action=AuditAction.THREAD_FOLLOW,
               subject_type="thread", subject_id=thread.id, board_id=thread.board_id)
    elif not follow and existing is not None:
        session.delete(existing)
        record(session, actor_id=user.id, action=AuditAction.THREAD_UNFOLLOW,
               subject_type="thread", subject_id=thread.id, board_id=thread.board_id)
    session.commit()
    return follow


def _mark_read(session: Session, user_id: int, thread_id: int, post_id: int) -> None:
    marker = session.scalar(select(ReadMarker).where(
        ReadMarker.user_id == user_id, ReadMarker.thread_id == thread_id))
    if marker is None:
        session.add(ReadMarker(user_id=user_id, thread_id=thread_id, last_read_post_id=post_id))
    elif post_id > marker.last_read_post_id:
        marker.last_read_post_id = post_id
        marker.updated_at = utcnow()


@rolls_back_on_error
def do_mark_read(session: Session, *, actor: Viewer, thread: Thread, up_to_post_id: int) -> None:
    """Record how far a member has read. Not audited: it is the member's own bookkeeping."""
    if actor.user is None:
        return
    _mark_read(session, actor.user.id, thread.id, up_to_post_id)
    session.commit()
