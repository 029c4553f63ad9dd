from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.audit.models import AuditEntry
from forum.errors import Invalid, NotFound, Unauthorised
from forum.notifications.actions import (
    do_mark_all_read,
    do_read_notification,
    do_set_email_frequency,
    do_unsubscribe,
)
from forum.notifications.models import Notification, NotificationPreference
from forum.permissions import ANONYMOUS


def _setup(make):
    board = make.board()
    owner, other = make.user(), make.user()
    for person in (owner, other):
        make.reply(make.thread(board, author=person).thread)
    return owner, other


def _unread(db, user):
    return db.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)))


def test_read_notification_clears_it_and_emits(db, make, captured_events):
    owner, _other = _setup(make)
    note = db.scalar(select(Notification).where(Notification.user_id == owner.id))
    captured_events.clear()
    do_read_notification(db, actor=make.viewer(owner), notification=note)
    assert note.read_at is not None
    assert [(e.name, e.room, e.payload) for e in captured_events] == [
        ("notification.read", f"user:{owner.id}", {"ids": [note.id], "unread_count": 0})]


def test_refused_reads_leave_no_trace(db, make, captured_events):
    owner, other = _setup(make)
    note = db.scalar(select(Notification).where(Notification.user_id == owner.id))
    captured_events.clear()
    with pytest.raises(Unauthorised):
        do_read_notification(db, actor=ANONYMOUS, notification=note)
    with pytest.raises(NotFound):
        do_read_notification(db, actor=make.viewer(other), notification=note)
    with pytest.raises(Unauthorised):
        do_mark_all_read(db, actor=ANONYMOUS)
    assert _unread(db, owner) == 1
    assert captured_events == []


def test_mark_all_read_touches_only_own(db, make, captured_events):
    owner, other = _setup(make)
    captured_events.clear()
    assert do_mark_all_read(db, actor=make.viewer(owner)) == 1
    assert _unread(db, owner) == 0 and _unread(db, other) == 1
    assert [e.room for e in captured_events] == [f"user:{owner.id}"]


def test_unknown_frequency_is_refused_without_trace(db, make):
    member = make.user()
    audits = db.scalar(select(func.count(AuditEntry.id)))
    with pytest.raises(Invalid) as refused:
        do_set_email_frequency(db, actor=make.viewer(member), frequency="hourly")
    assert "frequency" in refused.value.fields
    with pytest.raises(Unauthorised):
        do_set_email_frequency(db, actor=ANONYMOUS, frequency="never")
    assert db.get(NotificationPreference, member.id) is None
    assert db.scalar(select(func.count(AuditEntry.id))) == audits


def test_unsubscribe_with_a_bad_token_is_not_found(app, db):
    with pytest.raises(NotFound):
        do_unsubscribe(db, app=app, token="not-a-token")
