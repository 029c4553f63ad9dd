"""A member's own changes to their notifications: reading them and choosing email.

Called by :mod:`forum.notifications.views` (and the API, when it offers them). Reading is
the member's own bookkeeping and is not audited (as with read markers); a change of
email choice is audited, because it decides what the service sends to a person.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forum.audit.models import AuditAction, record
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Invalid, NotFound
from forum.events import queue_event
from forum.notifications.emails import read_unsubscribe_token
from forum.notifications.models import (
    DEFAULT_FREQUENCY,
    EmailFrequency,
    Notification,
    NotificationPreference,
)
from forum.notifications.queries import unread_count
from forum.permissions import Viewer, require_user


def _queue_read(session: Session, user_id: int, ids: list[int]) -> None:
    session.flush()
    queue_event(session, "notification.read", f"user:{user_id}",
                {"ids": ids, "unread_count": unread_count(session, user_id)})


@rolls_back_on_error
def do_read_notification(session: Session, *, actor: Viewer,
                         notification: Notification) -> Notification:
    """Mark one of the member's notifications read. Emits ``notification.read`` to
    ``user:<id>`` (so the bell in other tabs updates) when it was unread."""
    user = require_user(actor)
    if notification.user_id != user.id:
        raise NotFound("We could not find that notification.")
    if notification.read_at is None:
        notification.read_at = utcnow()
        _queue_read(session, user.id, [notification.id])
    session.commit()
    return notification


@rolls_back_on_error
def do_mark_all_read(session: Session, *, actor: Viewer) -> int:
    """Mark every unread notification of the member read; returns how many. Emits
    ``notification.read``."""
    user = require_user(actor)
    ids = list(session.scalars(select(Notification.id).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))))
    if ids:
        session.execute(update(Notification)
                        .where(Notification.id.in_(ids), Notification.read_at.is_(None))
                        .values(read_at=utcnow()).execution_options(synchronize_session=False))
        session.expire_all()
        _queue_read(session, user.id, ids)
    session.commit()
    return len(ids)


def parse_frequency(value: str) -> EmailFrequency:
    try:
        return EmailFrequency(value)
    except ValueError:
        raise Invalid(fields={"frequency": "Choose how often you would like emails."}) from None


def _set_frequency(session: Session, user_id: int, frequency: EmailFrequency
                   ) -> EmailFrequency:
    preference = session.get(NotificationPreference, user_id)
    before = preference.email_frequency if preference else DEFAULT_FREQUENCY
    if preference is None:
        session.add(NotificationPreference(user_id=user_id, email_frequency=frequency,
                                           updated_at=utcnow()))
    else:
        preference.email_frequency = frequency
        preference.updated_at = utcnow()
    return EmailFrequency(before)


@rolls_back_on_error
def do_set_email_frequency(session: Session, *, actor: Viewer, frequency: str
                           ) -> EmailFrequency:
    """The member chooses how often to get email. Audits ``notification:preference``.
    Emails already planned but not sent follow the new choice ("never" stops them)."""
    user = require_user(actor)
    choice = parse_frequency(frequency)
    before = _set_frequency(session, user.id, choice)
    if before != choice:
        record(session, actor_id=user.id, action=AuditAction.NOTIFICATION_PREFERENCE,
               subject_type="user", subject_id=user.id,
               before={"email": str(before)}, after={"email": str(choice)})
    session.commit()
    return choice


@rolls_back_on_error
def do_unsubscribe(session: Session, *, app: Flask, token: str) -> int:
    """One-click unsubscribe from an email link, without signing in: sets "never".
    Audits ``notification:unsubscribe`` (with the member as actor: only they receive the
    link). Returns the member's id; a bad token is NotFound."""
    from forum.accounts.models import User

    user_id = read_unsubscribe_token(app, token)
    if user_id is None or session.get(User, user_id) is None:
        raise NotFound("This unsubscribe link is not valid. You can change your email "
                       "choices in your settings after signing in.")
    before = _set_frequency(session, user_id, EmailFrequency.NEVER)
    if before != EmailFrequency.NEVER:
        record(session, actor_id=user_id, action=AuditAction.NOTIFICATION_UNSUBSCRIBE,
               subject_type="user", subject_id=user_id,
               before={"email": str(before)}, after={"email": "never"})
    session.commit()
    return user_id
