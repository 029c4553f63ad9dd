"""What notification emails say, and the signed one-click unsubscribe links.

Read-only: called by :mod:`forum.notifications.jobs` between claiming a job and sending
it. Post content appears only as a short plain-text excerpt from a public board's
published post; from members-only and private boards an email carries only a link.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Flask, current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User, UserStatus
from forum.boards.models import Board, Visibility
from forum.markup import plain_text
from forum.notifications.models import (
    EmailFrequency,
    EmailJob,
    EmailJobKind,
    Notification,
    NotificationKind,
)
from forum.notifications.queries import get_frequency
from forum.threads.models import Post, PostState, Thread
from forum.threads.serialize import absolute_url

UNSUBSCRIBE_SALT = "notifications-unsubscribe"
EXCERPT_LENGTH = 200
DIGEST_ITEMS = 20


def _serializer(app: Flask) -> URLSafeSerializer:
    return URLSafeSerializer(app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(app: Flask, user_id: int) -> str:
    """A signed token for ``user_id``; it does not expire, as unsubscribe links must not."""
    return str(_serializer(app).dumps({"u": user_id}))


def read_unsubscribe_token(app: Flask, token: str) -> int | None:
    """The member a token was made for, or None for anything forged or mangled."""
    try:
        data = _serializer(app).loads(token)
    except BadSignature:
        return None
    user_id = data.get("u") if isinstance(data, dict) else None
    return user_id if isinstance(user_id, int) else None


def unsubscribe_url(app: Flask, user_id: int) -> str:
    return absolute_url("notifications.unsubscribe", token=unsubscribe_token(app, user_id))


@dataclass
class OutgoingEmail:
    to: str
    subject: str
    text: str
    headers: dict[str, str] = field(default_factory=dict)
    notification_ids: list[int] = field(default_factory=list)


def _excerpt(post: Post, board: Board) -> str:
    if board.visibility != Visibility.PUBLIC or post.state != PostState.PUBLISHED:
        return ""
    text = plain_text(post.body_html)
    if len(text) > EXCERPT_LENGTH:
        text = text[:EXCERPT_LENGTH].rsplit(" ", 1)[0] + "…"
    return text


def _pending(session: Session, job: EmailJob) -> list[tuple[Notification, Post | None,
                                                          Board | None]]:
    """The job's notifications still unread and still about something the member can open."""
    rows = session.execute(
        select(Notification, Post, Board)
        .outerjoin(Post, Post.id == Notification.post_id)
        .outerjoin(Thread, Thread.id == Post.thread_id)
        .outerjoin(Board, Board.id == Thread.board_id)
        .where(Notification.email_job_id == job.id, Notification.read_at.is_(None))
        .order_by(Notification.created_at, Notification.id))
    kept: list[tuple[Notification, Post | None, Board | None]] = []
    for notification, post, board in rows:
        # Deleted, held or hidden since: not worth an email (notices about one's own
        # post still go: they explain what happened to it).
        if post is not None and post.state != PostState.PUBLISHED \
                and post.author_id != notification.user_id:
            continue
        kept.append((notification, post, board))
    return kept


def _item(notification: Notification, post: Post | None, board: Board | None) -> str:
    lines = [f"- {notification.text}"]
    if (post is not None and board is not None
            and notification.kind in (NotificationKind.REPLY, NotificationKind.MENTION)):
        excerpt = _excerpt(post, board)
        if excerpt:
            lines.append(f"  “{excerpt}”")
    lines.append("  Read it: " + absolute_url("notifications.open",
                                               notification_id=notification.id))
    return "\n".join(lines)


def compose_job_email(session: Session, job: EmailJob) -> OutgoingEmail | None:
    """The email for ``job``, or None when there is nothing to send any more (everything
    read, the member chose "never", or the account is closed)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    user = session.get(User, job.user_id)
    if user is None or user.status != UserStatus.ACTIVE or not user.email:
        return None
    frequency = get_frequency(session, user.id)
    if frequency == EmailFrequency.NEVER:
        return None
    pending = _pending(session, job)
    if not pending:
        return None
    service = app.config.get("SERVICE_NAME") or "Alongside"
    if job.kind == EmailJobKind.IMMEDIATE:
        subject = f"{service}: {pending[0][0].text}"
        intro = "You have a new notification."
    else:
        period = "week" if job.period_key.startswith("weekly") else "day"
        count = len(pending)
        noun = "notification" if count == 1 else "notifications"
        subject = f"{service}: your summary for the {period} ({count} new {noun})"
        intro = f"Here is what happened for you on {service} in the last {period}."
    items = [_item(*row) for row in pending[:DIGEST_ITEMS]]
    more = len(pending) - DIGEST_ITEMS
    if more > 0:
        items.append(f"…and {more} more on your notifications page: "
                     + absolute_url("notifications.index"))
    unsubscribe = unsubscribe_url(app, user.id)
    text = "\n\n".join([
        f"Hello {user.username},",
        intro,
        "\n\n".join(items),
        "You need to be signed in to read posts.",
        "Choose how often we email you: " + absolute_url("notifications.settings"),
        "Stop these emails: " + unsubscribe,
        "Need help now? " + absolute_url("help.crisis"),
        service,
    ]) + "\n"
    return OutgoingEmail(
        to=user.email, subject=subject[:200], text=text,
        headers={"List-Unsubscribe": f"<{unsubscribe}>",
                 "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        notification_ids=[n.id for n, _post, _board in pending])
