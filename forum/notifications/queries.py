"""Read-only queries for the bell, the notification list and the email planner.

A notification about a post that has since been held or hidden is left out (the member
could not open it anyway), except notices about the member's own post.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Integer, func, or_, select
from sqlalchemy.orm import Session

from forum.db import FixedQuery
from forum.errors import NotFound
from forum.notifications.models import (
    DEFAULT_FREQUENCY,
    EmailFrequency,
    Notification,
    NotificationPreference,
)
from forum.permissions import Viewer
from forum.threads.models import Post, PostState

PER_PAGE = 30


def _still_visible() -> ColumnElement[bool]:
    """For use with an outer join to Post: the notification's post can still be opened."""
    return or_(Notification.post_id.is_(None),
               Post.state.in_((PostState.PUBLISHED, PostState.DELETED)),
               Post.author_id == Notification.user_id)


def unread_counts(session: Session, user_ids: Iterable[int]) -> dict[int, int]:
    """Unread counts for several members in one query (for events after a fan-out)."""
    ids = set(user_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Notification.user_id, func.count(Notification.id))
        .outerjoin(Post, Post.id == Notification.post_id)
        .where(Notification.user_id.in_(ids), Notification.read_at.is_(None), _still_visible())
        .group_by(Notification.user_id))
    return {user_id: count for user_id, count in rows}


def _unread_statement(param: Any, user_param: str = "user_id") -> Any:
    return (select(func.count(Notification.id))
            .outerjoin(Post, Post.id == Notification.post_id)
            .where(Notification.user_id == param(user_param, Integer()),
                   Notification.read_at.is_(None), _still_visible()))


def unread_count_column(param: Any) -> Any:
    """The bell's count for the page's reader, as a column of the thread page's statement
    (forum.threads.page_key.register_page_fact)."""
    return _unread_statement(param, "reader").scalar_subquery()


# The number on the bell is on every signed-in page: one short statement, straight on the
# driver's cursor (forum.db.FixedQuery). The same count as unread_counts.
_UNREAD = FixedQuery(_unread_statement)


def unread_count(session: Session, user_id: int) -> int:
    """The number on the bell."""
    row = _UNREAD.first(session, user_id=user_id)
    return int(row[0]) if row else 0


@dataclass
class NotificationPage:
    items: list[Notification]
    page: int
    pages: int
    total: int
    unread: int


def list_notifications(session: Session, viewer: Viewer, page: int = 1,
                       per_page: int = PER_PAGE) -> NotificationPage:
    """The viewer's notifications, newest first (three queries whatever the page size)."""
    if viewer.id is None:
        return NotificationPage(items=[], page=1, pages=1, total=0, unread=0)
    base = (select(Notification).outerjoin(Post, Post.id == Notification.post_id)
            .where(Notification.user_id == viewer.id, _still_visible()))
    total = session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    items = list(session.scalars(base.order_by(Notification.created_at.desc(),
                                               Notification.id.desc())
                                 .offset((page - 1) * per_page).limit(per_page)))
    return NotificationPage(items=items, page=page, pages=pages, total=total,
                            unread=unread_count(session, viewer.id))


def access_notification(session: Session, viewer: Viewer, notification_id: int) -> Notification:
    """The viewer's own notification; anybody else's is NotFound, as if it did not exist."""
    notification = session.get(Notification, notification_id)
    if notification is None or viewer.id is None or notification.user_id != viewer.id:
        raise NotFound("We could not find that notification.")
    return notification


def get_frequency(session: Session, user_id: int) -> EmailFrequency:
    choice = session.scalar(select(NotificationPreference.email_frequency).where(
        NotificationPreference.user_id == user_id))
    return EmailFrequency(choice) if choice else DEFAULT_FREQUENCY


def frequencies(session: Session, user_ids: Iterable[int]) -> dict[int, EmailFrequency]:
    """Each member's email choice (the default where none is stored), in one query."""
    ids = set(user_ids)
    stored = dict(session.execute(
        select(NotificationPreference.user_id, NotificationPreference.email_frequency)
        .where(NotificationPreference.user_id.in_(ids))).all()) if ids else {}
    return {i: EmailFrequency(stored.get(i, DEFAULT_FREQUENCY)) for i in ids}


def target_path(notification: Notification) -> str:
    """Where opening a notification takes the member: the exact post where there is one."""
    from flask import url_for

    if notification.link:
        return notification.link
    if notification.post_id is not None:
        return url_for("threads.permalink", post_id=notification.post_id)
    if notification.thread_id is not None:
        return url_for("threads.show", thread_id=notification.thread_id)
    return url_for("notifications.index")
