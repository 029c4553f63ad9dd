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


def test_moderation_and_escalations_keep_their_own_times(db, make) -> None:
    from moderation.actions import do_report_post
    from moderation.escalation_models import Escalation, EscalationEvent, EscalationState
    from moderation.models import Case, Flag

    now = utcnow()
    keep = Retention()
    board = make.board()
    author, reporter = make.user(), make.user()
    opening = make.thread(board, author)
    ordinary = make.reply(opening.thread, author, body="An ordinary unkind reply.").post
    worrying = make.reply(opening.thread, author, body="A reply that worried people.").post
    for post in (ordinary, worrying):
        do_report_post(db, actor=make.viewer(reporter), post=post, reason="abuse", note="x")
    plain_case = db.scalar(select(Case).where(Case.post_id == ordinary.id))
    risk_case = db.scalar(select(Case).where(Case.post_id == worrying.id))
    risk_case.escalated = True
    between = now - timedelta(days=keep.moderation_days + 10)  # past 3 years, not 6
    for case in (plain_case, risk_case):
        case.state, case.closed_at = "resolved", between
    resolved = Escalation(case_id=risk_case.id, board_id=board.id, reason="Talked of harm",
                          state=EscalationState.RESOLVED, resolved_at=between)
    still_open = Escalation(board_id=board.id, reason="Still being looked at",
                            created_at=now - timedelta(days=keep.safeguarding_days + 10))
    db.add_all([resolved, still_open])
    db.flush()
    db.add(EscalationEvent(escalation_id=resolved.id, kind="note", text="Called the member"))
    db.commit()
    plain_id, risk_id, resolved_id, open_id = (plain_case.id, risk_case.id, resolved.id,
                                                still_open.id)

    counts = do_purge_expired(db, now=now, retention=keep)
    # Three years on: the ordinary case has gone with its reports; the safeguarding ones stay.
    assert counts.cases == 1 and counts.escalations == 0
    db.expire_all()
    assert db.get(Case, plain_id) is None
    assert _count(db, Flag, Flag.case_id == plain_id) == 0
    assert db.get(Case, risk_id) is not None and db.get(Escalation, resolved_id)

    # Six years on: the escalated case and the resolved escalation, with its timeline, go;
    # an escalation still open is live work and stays whatever its age.
    later = now + timedelta(days=keep.safeguarding_days - keep.moderation_days)
    counts = do_purge_expired(db, now=later, retention=keep)
    assert counts.cases == 1 and counts.escalations == 1
    db.expire_all()
    assert db.get(Case, risk_id) is None and db.get(Escalation, resolved_id) is None
    assert _count(db, EscalationEvent, EscalationEvent.escalation_id == resolved_id) == 0
    assert db.get(Escalation, open_id) is not None


def test_session_networks_are_kept_as_long_as_sign_in_addresses(db, make) -> None:
    from forum.accounts.models import UserSession
    from forum.accounts.sessions import Device, key_digest, start_session

    now = utcnow()
    member = make.user()
    old_live = key_digest(start_session(db, member, Device(ip="192.0.2.10", remember=True)))
    old_ended = key_digest(start_session(db, member, Device(ip="192.0.2.11")))
    recent = key_digest(start_session(db, member, Device(ip="192.0.2.12")))
    db.flush()
    month_ago = now - timedelta(days=31)
    db.execute(update(UserSession).where(UserSession.id == old_live).values(
        created_at=month_ago))
    db.execute(update(UserSession).where(UserSession.id == old_ended).values(
        created_at=month_ago, revoked_at=month_ago))
    db.commit()

    counts = do_purge_expired(db, now=now, retention=Retention())

    assert (counts.ended_sessions, counts.session_networks) == (1, 1)
    db.expire_all()
    assert db.get(UserSession, old_ended) is None
    assert db.get(UserSession, old_live).ip_network == ""  # still signed in, place forgotten
    assert db.get(UserSession, recent).ip_network == "192.0.2.0/24"


def test_cleared_handover_notes_keep_the_moderation_or_safeguarding_time(db, make) -> None:
    from moderation.duty_models import HandoverItem

    now = utcnow()
    keep = Retention()
    board = make.board()
    four_years = now - timedelta(days=keep.moderation_days + 365)
    seven_years = now - timedelta(days=keep.safeguarding_days + 365)
    items = {
        "old flagged": HandoverItem(board_id=board.id, kind="flagged", summary="Unkind reply",
                                    cleared_at=four_years),
        "old escalation": HandoverItem(board_id=board.id, kind="escalation",
                                       summary="Talked of harm", cleared_at=four_years),
        "ancient escalation": HandoverItem(board_id=board.id, kind="escalation",
                                           summary="Talked of harm", cleared_at=seven_years),
        "never cleared": HandoverItem(board_id=board.id, kind="held", summary="Held post",
                                      created_at=seven_years),
        "recent": HandoverItem(board_id=board.id, kind="flagged", summary="Recent",
                               cleared_at=now - timedelta(days=3)),
    }
    db.add_all(items.values())
    db.commit()
    ids = {name: item.id for name, item in items.items()}

    counts = do_purge_expired(db, now=now, retention=keep)

    assert counts.handover_items == 2
    db.expire_all()
    remaining = set(db.scalars(select(HandoverItem.id)))
    assert remaining == {ids["old escalation"], ids["never cleared"], ids["recent"]}
