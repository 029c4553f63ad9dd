"""Unanswered posts: conversations nobody has replied to after ``UNANSWERED_HOURS``, and
members whose recent posts all went unanswered. Peer support fails silently when nobody
answers, so the facilitators on duty see these and can send a guiding reply.

Read-only queries, called by the "Unanswered" page, and (:func:`waiting_for_reply`) by the
review queue and the duty page, so that the facilitators on duty see how many are waiting
without looking for them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload

from forum.accounts.models import Role, User
from forum.boards.models import Board
from forum.db import utcnow
from forum.permissions import Viewer
from forum.threads.models import Post, PostState, Thread
from moderation.access import require_staff, staff_board_ids

LIST_LIMIT = 100


@dataclass
class QuietMember:
    user: User
    unanswered: int
    last_posted_at: datetime
    last_thread: Thread


def _window(now: datetime) -> tuple[datetime, datetime]:
    hours = int(current_app.config.get("UNANSWERED_HOURS", 24))
    days = int(current_app.config.get("UNANSWERED_LOOKBACK_DAYS", 14))
    return now - timedelta(hours=hours), now - timedelta(days=days)


def _boards_filter(viewer: Viewer) -> set[int] | None:
    boards = staff_board_ids(viewer)
    return boards if boards is None else (boards or {-1})


def _threads_query(viewer: Viewer, now: datetime) -> Select[Any]:
    before, since = _window(now)
    query = (select(Thread).join(Board, Board.id == Thread.board_id)
             .where(Thread.reply_count == 0, Thread.visible.is_(True),
                    Thread.locked.is_(False), Board.archived.is_(False),
                    Thread.created_at <= before, Thread.created_at >= since))
    boards = _boards_filter(viewer)
    if boards is not None:
        query = query.where(Thread.board_id.in_(boards))
    return query


def unanswered_threads(session: Session, viewer: Viewer, now: datetime | None = None
                       ) -> list[Thread]:
    """Visible, unlocked conversations with no reply, older than the wait, newest-first
    within the look-back window."""
    require_staff(viewer)
    query = _threads_query(viewer, now or utcnow())
    return list(session.scalars(query.order_by(Thread.created_at).limit(LIST_LIMIT)))


def _quiet_posts_query(viewer: Viewer, now: datetime) -> Select[Any]:
    """Posts by members that are the last word in their conversation, in the window."""
    before, since = _window(now)
    query = (select(Post, Thread).join(Thread, Thread.id == Post.thread_id)
             .join(User, User.id == Post.author_id)
             .where(Thread.last_post_id == Post.id, Post.state == PostState.PUBLISHED,
                    Post.is_guidance.is_(False), User.role == Role.MEMBER,
                    Post.created_at <= before, Post.created_at >= since,
                    Thread.visible.is_(True), Thread.locked.is_(False)))
    boards = _boards_filter(viewer)
    if boards is not None:
        query = query.where(Thread.board_id.in_(boards))
    return query


def quiet_members(session: Session, viewer: Viewer, now: datetime | None = None
                  ) -> list[QuietMember]:
    """Members whose posts in the window are the last word in their conversation (nobody
    answered them), with how many such posts, most first."""
    require_staff(viewer)
    # Staff are not the people we worry about being left unanswered (the query keeps
    # members only).
    query = _quiet_posts_query(viewer, now or utcnow()).options(joinedload(Post.author))
    found: dict[int, QuietMember] = {}
    for post, thread in session.execute(query):
        author = post.author
        row = found.get(author.id)
        if row is None:
            found[author.id] = QuietMember(author, 1, post.created_at, thread)
        else:
            row.unanswered += 1
            if post.created_at > row.last_posted_at:
                row.last_posted_at, row.last_thread = post.created_at, thread
    return sorted(found.values(), key=lambda r: (-r.unanswered, r.last_posted_at))[:LIST_LIMIT]


@dataclass
class WaitingForReply:
    threads: int
    members: int

    @property
    def any(self) -> bool:
        return bool(self.threads or self.members)


def waiting_for_reply(session: Session, viewer: Viewer, now: datetime | None = None
                      ) -> WaitingForReply:
    """How many conversations and members on the viewer's boards are waiting for a reply
    (at most ``LIST_LIMIT`` each; two counting statements), for the queue and the duty
    page."""
    require_staff(viewer)
    now = now or utcnow()
    threads = session.scalar(select(func.count()).select_from(
        _threads_query(viewer, now).with_only_columns(Thread.id).limit(LIST_LIMIT).subquery()))
    members = session.scalar(select(func.count()).select_from(
        _quiet_posts_query(viewer, now).with_only_columns(Post.author_id).distinct()
        .limit(LIST_LIMIT).subquery()))
    return WaitingForReply(int(threads or 0), int(members or 0))
