"""Creating notifications inside other packages' actions, before they commit.

These are private steps, not actions: they never commit, so a notification exists exactly
when the post or reaction that caused it does. Called by:

- ``forum.threads.actions._write_post`` → :func:`notify_for_post` when a post is published;
- moderation, when it approves a held post → :func:`notify_for_post` (the same function:
  nobody hears of a held or hidden post until it is published);
- ``forum.threads.actions.do_add_reaction`` → :func:`notify_for_reaction`;
- moderation actions → :func:`notify_member` for notices about a member's own content.

Each new notification queues a ``notification`` event to the room ``user:<id>`` with
``{id, kind, text, url, unread_count, post_id, thread_id}``. The text never holds post
content, and names a thread only when its board is public.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from forum.accounts.models import User, UserStatus
from forum.accounts.usernames import username_key
from forum.boards.models import Board, BoardFacilitator, BoardMembership, Visibility
from forum.db import utcnow
from forum.events import queue_event
from forum.notifications.models import Notification, NotificationKind
from forum.notifications.queries import unread_counts
from forum.permissions import Viewer, can_read_board
from forum.threads.models import Post, PostState, ReactionKind, Thread, ThreadFollow
from forum.threads.serialize import FORMER_MEMBER, absolute_url

MAX_MENTIONS = 20

_FENCED_CODE = re.compile(r"^(```|~~~)[^\n]*\n.*?^\1", re.M | re.S)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
# "@name" not inside a word, an email address or a link; names follow the username rules.
_MENTION = re.compile(r"(?<![\w@./:-])@([A-Za-z0-9][A-Za-z0-9_.-]{0,30}[A-Za-z0-9])")


def mentioned_keys(source: str) -> list[str]:
    """Username keys written as ``@name`` in Markdown ``source``, in order, at most 20.

    Code and quoted lines are skipped: quoting someone's post must not mention again
    everyone that post mentioned.
    """
    text = _FENCED_CODE.sub("", source or "")
    text = _INLINE_CODE.sub("", text)
    text = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith(">"))
    keys: list[str] = []
    for match in _MENTION.finditer(text):
        key = username_key(match.group(1))
        if key not in keys:
            keys.append(key)
        if len(keys) >= MAX_MENTIONS:
            break
    return keys


def readers_of(session: Session, board: Board, user_ids: Iterable[int]) -> set[int]:
    """Which of ``user_ids`` are active members who may read ``board`` (a fixed number of
    queries however many users: the same rule as :func:`forum.permissions.can_read_board`)."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return set()
    users = list(session.scalars(
        select(User).where(User.id.in_(ids), User.status == UserStatus.ACTIVE)))
    if board.visibility != Visibility.PRIVATE:
        members: set[int] = set()
        facilitators: set[int] = set()
    else:
        members = set(session.scalars(select(BoardMembership.user_id).where(
            BoardMembership.board_id == board.id, BoardMembership.user_id.in_(ids))))
        facilitators = set(session.scalars(select(BoardFacilitator.user_id).where(
            BoardFacilitator.board_id == board.id, BoardFacilitator.user_id.in_(ids))))
    readers = set()
    for user in users:
        viewer = Viewer(user=user,
                        member_board_ids={board.id} if user.id in members else set(),
                        facilitated_board_ids={board.id} if user.id in facilitators else set())
        if can_read_board(viewer, board):
            readers.add(user.id)
    return readers


def _where(thread: Thread, board: Board, fallback: str) -> str:
    # Only public boards' titles travel: a title can say a lot about a person's health.
    if board.visibility == Visibility.PUBLIC:
        return f"in “{thread.title}”"
    return fallback


def _texts(actor_name: str, thread: Thread, board: Board) -> dict[NotificationKind, str]:
    return {
        NotificationKind.MENTION:
            f"{actor_name} mentioned you {_where(thread, board, 'in a conversation')}",
        NotificationKind.REPLY:
            f"{actor_name} replied {_where(thread, board, 'in a conversation you follow')}",
    }


def notification_url(notification_id: int) -> str:
    return absolute_url("notifications.open", notification_id=notification_id)


def _queue_events(session: Session, notifications: list[Notification]) -> None:
    if not notifications:
        return
    counts = unread_counts(session, {n.user_id for n in notifications})
    for n in notifications:
        queue_event(session, "notification", f"user:{n.user_id}", {
            "id": n.id, "kind": str(n.kind), "text": n.text, "url": notification_url(n.id),
            "post_id": n.post_id, "thread_id": n.thread_id,
            "unread_count": counts.get(n.user_id, 0)})


def _insert(session: Session, rows: list[dict[str, Any]]) -> list[Notification]:
    if not rows:
        return []
    # One INSERT for all recipients (executemany with RETURNING), not one per follower.
    return list(session.scalars(insert(Notification).returning(Notification), rows))


def notify_for_post(session: Session, post: Post, thread: Thread | None = None
                    ) -> list[Notification]:
    """Notify the people mentioned in a just-published post and the thread's followers.

    Does nothing unless the post is published. A person mentioned who also follows the
    thread gets one notification (the mention). The author is never notified, nor anyone
    who may not read the board. Queues a ``notification`` event for each; no commit.
    """
    if post.state != PostState.PUBLISHED:
        return []
    thread = thread or post.thread
    board = thread.board
    keys = mentioned_keys(post.body_source)
    mentioned = set(session.scalars(
        select(User.id).where(User.username_key.in_(keys)))) if keys else set()
    followers = set(session.scalars(
        select(ThreadFollow.user_id).where(ThreadFollow.thread_id == thread.id)))
    recipients = (mentioned | followers) - {post.author_id}
    readers = readers_of(session, board, recipients)
    actor_name = post.author.username if post.author else FORMER_MEMBER
    texts = _texts(actor_name, thread, board)
    now = utcnow()
    rows = []
    for user_id in sorted(readers):
        kind = NotificationKind.MENTION if user_id in mentioned else NotificationKind.REPLY
        rows.append({"user_id": user_id, "kind": kind, "actor_id": post.author_id,
                     "post_id": post.id, "thread_id": thread.id, "text": texts[kind],
                     "count": 1, "created_at": now})
    created = _insert(session, rows)
    _queue_events(session, created)
    return created


def notify_for_reaction(session: Session, post: Post, thread: Thread, reactor: User,
                        kind: ReactionKind) -> Notification | None:
    """Tell a post's author that someone reacted to it (not when they reacted themselves).

    Reactions to one post gather into the author's one unread notification for it, so a
    post that many people support does not fill the bell. Queues ``notification``.
    """
    author_id = post.author_id
    if author_id is None or author_id == reactor.id or post.state != PostState.PUBLISHED:
        return None
    board = thread.board
    if author_id not in readers_of(session, board, [author_id]):
        return None
    existing = session.scalar(select(Notification).where(
        Notification.user_id == author_id, Notification.post_id == post.id,
        Notification.kind == NotificationKind.REACTION, Notification.read_at.is_(None)))
    where = _where(thread, board, "")
    where = f" {where}" if where else ""
    now = utcnow()
    if existing is None:
        text = f"{reactor.username} sent “{kind.label}” to your post{where}"
        notification = Notification(user_id=author_id, kind=NotificationKind.REACTION,
                                    actor_id=reactor.id, post_id=post.id, thread_id=thread.id,
                                    text=text, count=1, created_at=now)
        session.add(notification)
    else:
        notification = existing
        notification.count += 1
        others = notification.count - 1
        people = "person" if others == 1 else "people"
        notification.text = (f"{reactor.username} and {others} other {people} "
                             f"reacted to your post{where}")
        notification.actor_id = reactor.id
        notification.created_at = now
    session.flush()
    _queue_events(session, [notification])
    return notification


def notify_member(session: Session, user_id: int, kind: NotificationKind | str, text: str,
                  link: str | None, *, post_id: int | None = None,
                  thread_id: int | None = None) -> Notification:
    """A notice to one member about their own content, e.g. "Your post is now public".

    For moderation actions. ``text`` is shown on the site and in email as it is: keep it
    free of post content and of who reported anything (no actor is recorded). ``link`` is a
    site path ("/posts/5") or None. Queues ``notification``; no commit.
    """
    if link is not None and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("a notice links to a path on this site, like /posts/5")
    notification = Notification(user_id=user_id, kind=NotificationKind(kind), actor_id=None,
                                post_id=post_id, thread_id=thread_id, text=text[:300],
                                link=link, count=1, created_at=utcnow())
    session.add(notification)
    session.flush()
    _queue_events(session, [notification])
    return notification
