"""The retention purge deletes by age only; the audit log stays append-only otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest
from click.testing import CliRunner
from flask.cli import ScriptInfo
from sqlalchemy import delete, func, select, update

from forum.audit.models import AuditEntry, record
from forum.cli import main
from forum.db import utcnow
from forum.notifications.models import EmailJob, EmailJobKind, Notification, NotificationKind
from forum.privacy.jobs import purge_if_due
from forum.privacy.models import SignInAddress
from forum.privacy.retention import Retention, do_purge_expired
from forum.threads.actions import do_delete_post
from forum.threads.models import PostRevision


def _count(db, model, *where) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count()).select_from(model).where(*where)) or 0


def test_old_records_go_and_recent_ones_stay(db, make, captured_events) -> None:
    now = utcnow()
    member = make.user()
    long_ago = now - timedelta(days=800)
    db.add_all([
        SignInAddress(user_id=member.id, ip="192.0.2.1", created_at=now - timedelta(days=31)),
        SignInAddress(user_id=member.id, ip="192.0.2.2", created_at=now - timedelta(days=29)),
        Notification(user_id=member.id, kind=NotificationKind.REPLY, text="old, read",
                     created_at=long_ago, read_at=now - timedelta(days=91)),
        Notification(user_id=member.id, kind=NotificationKind.REPLY, text="old, unread",
                     created_at=long_ago),
        EmailJob(user_id=member.id, kind=EmailJobKind.IMMEDIATE, period_key="n:1",
                 sent_at=now - timedelta(days=31)),
        EmailJob(user_id=member.id, kind=EmailJobKind.IMMEDIATE, period_key="n:2"),
    ])
    old_entry = record(db, actor_id=member.id, action="user:login")
    old_entry.created_at = long_ago
    new_entry = record(db, actor_id=member.id, action="user:login")
    board = make.board()
    post = make.thread(board, member).post
    do_delete_post(db, actor=make.viewer(member), post=post)
    post.edited_at = now - timedelta(days=91)
    db.commit()
    captured_events.clear()

    counts = do_purge_expired(db, now=now, retention=Retention())

    assert (counts.sign_in_addresses, counts.notifications, counts.email_jobs) == (1, 1, 1)
    assert counts.audit_entries == 1 and counts.deleted_post_revisions == 1
    assert [a.ip for a in db.scalars(select(SignInAddress))] == ["192.0.2.2"]
    assert [n.text for n in db.scalars(select(Notification))] == ["old, unread"]
    assert _count(db, EmailJob) == 1
    assert _count(db, PostRevision, PostRevision.post_id == post.id) == 0
    remaining = set(db.scalars(select(AuditEntry.id)))
    assert old_entry.id not in remaining and new_entry.id in remaining
    purge = db.scalars(select(AuditEntry).where(AuditEntry.action == "retention:purge")).one()
    assert purge.after["audit_entries"] == 1 and purge.after["sign_in_addresses"] == 1
    assert purge.actor_id is None
    assert captured_events == []
    # Nothing left to purge: no second entry.
    assert do_purge_expired(db, now=now).total == 0
    assert _count(db, AuditEntry, AuditEntry.action == "retention:purge") == 1


def test_ordinary_deletes_of_audit_entries_still_raise(db, make) -> None:
    entry = record(db, actor_id=None, action="board:create")
    db.commit()
    db.delete(entry)
    with pytest.raises(RuntimeError, match="append-only"):
        db.flush()
    db.rollback()
    with pytest.raises(RuntimeError, match="append-only"):
        db.execute(delete(AuditEntry).where(AuditEntry.id == entry.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.execute(update(AuditEntry).values(reason="x"))
    db.rollback()
    assert db.get(AuditEntry, entry.id) is not None


def test_the_job_runs_once_per_interval(app, db, make) -> None:
    member = make.user()
    db.add(SignInAddress(user_id=member.id, ip="192.0.2.9",
                         created_at=utcnow() - timedelta(days=40)))
    db.commit()
    app.extensions.pop("privacy_last_purge", None)
    first = purge_if_due(app)
    assert first is not None and first.sign_in_addresses == 1
    assert purge_if_due(app) is None
    app.extensions.pop("privacy_last_purge", None)


def test_purge_from_the_command_line(app, db, make) -> None:
    member = make.user()
    db.add(SignInAddress(user_id=member.id, ip="192.0.2.3", created_at=utcnow()))
    db.commit()
    runner = CliRunner()
    obj = ScriptInfo(create_app=lambda: app)
    now = (utcnow() + timedelta(days=31)).strftime("%Y-%m-%dT%H:%M")
    result = runner.invoke(main, ["privacy", "purge", "--now", now], obj=obj)
    assert result.exit_code == 0, result.output
    assert "sign in addresses: 1" in result.output
    assert _count(db, SignInAddress) == 0
    bad = runner.invoke(main, ["privacy", "purge", "--now", "next tuesday"], obj=obj)
    assert bad.exit_code != 0 and "2027-01-31T03:00" in bad.output
    app.extensions.pop("privacy_last_purge", None)
