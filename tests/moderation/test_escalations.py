"""Escalations: the clock, levels and alerts (real SMTP on loopback), acknowledging,
the state machine, a restart, and opening from the automatic risk check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum import create_app
from forum.audit.models import AuditEntry
from forum.errors import Conflict, Forbidden, Invalid
from moderation import escalations as E
from moderation.jobs import run_duty_jobs
from moderation.models import Escalation, EscalationState
from tests.moderation.duty_scene import escalate, kinds, scene_with_lead

pytestmark = pytest.mark.usefixtures("fake_checks")


def test_unacknowledged_high_escalation_moves_up_after_15_minutes(db, make, mailbox,
                                                                   captured_events):
    s, lead = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    opened = esc.created_at
    # Level 1 (the board's facilitators) hears at once, live and by email.
    assert {m["To"] for m in mailbox.deliver().messages} == {s.guide.email, s.guide2.email}
    assert ("escalation.opened", f"staff:{s.board.slug}") in [
        (e.name, e.room) for e in captured_events]
    mailbox.messages.clear()
    captured_events.clear()

    assert E.check_escalation_deadlines(db, opened + timedelta(minutes=14)) == 0
    assert esc.level == 1 and mailbox.deliver().messages == []

    assert E.check_escalation_deadlines(db, opened + timedelta(minutes=15, seconds=1)) == 1
    db.refresh(esc)
    assert esc.level == 2
    [mail] = mailbox.deliver().to(lead.email)
    assert "level 2" in mail["Subject"]
    body = mailbox.body(mail)
    assert "not acknowledged" in body and f"/moderation/escalations/{esc.id}" in body
    assert "Something that upset people" not in body  # never the post's text
    rooms = {(e.name, e.room) for e in captured_events}
    assert ("escalation.level_up", "staff:leads") in rooms
    assert ("escalation.level_up", f"staff:{s.board.slug}") in rooms
    assert kinds(db, esc)[-2:] == ["level_up", "alerted"]
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "escalation:level_up",
                                              AuditEntry.subject_id == esc.id))
    # The clock restarted for level 2; a second miss reaches the emergency protocol.
    assert E.check_escalation_deadlines(db, opened + timedelta(minutes=20)) == 0
    assert E.check_escalation_deadlines(db, opened + timedelta(minutes=31)) == 1
    db.refresh(esc)
    assert esc.level == 3


def test_acknowledging_stops_the_clock(db, make, mailbox, captured_events):
    s, lead = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    opened = esc.created_at
    E.do_acknowledge_escalation(db, actor=make.viewer(s.guide2), escalation=esc)
    assert esc.state == EscalationState.ACKNOWLEDGED and esc.ack_due_at is None
    assert esc.acknowledged_by_id == s.guide2.id
    assert ("escalation.updated", f"staff:{s.board.slug}") in [
        (e.name, e.room) for e in captured_events]
    mailbox.deliver().messages.clear()
    assert E.check_escalation_deadlines(db, opened + timedelta(minutes=30)) == 0
    assert esc.level == 1 and mailbox.deliver().to(lead.email) == []
    # Acknowledged is not acted on: the 60-minute target still runs.
    assert E.check_escalation_deadlines(db, opened + timedelta(minutes=61)) == 1
    db.refresh(esc)
    assert esc.level == 2 and "acted on" in mailbox.body(mailbox.deliver().to(lead.email)[0])
    E.do_start_escalation(db, actor=make.viewer(s.guide2), escalation=esc)
    assert esc.next_due_at is None
    assert E.check_escalation_deadlines(db, opened + timedelta(days=2)) == 0


def test_a_restarted_process_still_enforces_the_deadline(app, db, make, mailbox):
    s, lead = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    due = esc.ack_due_at
    esc_id = esc.id
    db.expunge_all()  # nothing of the old process's memory survives
    fresh = create_app({"DATABASE_URL": app.config["DATABASE_URL"]}, env="test")
    # The new process reaches the same database (here: the test's transaction).
    fresh.extensions["db_sessionmaker"] = app.extensions["db_sessionmaker"]
    fresh.config.update(MAIL_SERVER=app.config["MAIL_SERVER"],
                        MAIL_PORT=app.config["MAIL_PORT"])
    try:
        moved, _ = run_duty_jobs(fresh, due + timedelta(seconds=1))
    finally:
        fresh.extensions["db_engine"].dispose()
    assert moved == 1
    assert db.get(Escalation, esc_id).level == 2
    assert mailbox.deliver().to(lead.email)


def test_the_scheduler_tick_runs_the_deadline_job(app, db, make, mailbox):
    from forum.notifications.jobs import run_tick

    s, lead = scene_with_lead(db, make)
    esc = escalate(db, make, s, "medium")
    run_tick(app, esc.created_at + timedelta(hours=4, minutes=1))
    db.refresh(esc)
    assert esc.level == 2 and mailbox.to(lead.email)


def test_state_machine_and_outcome(db, make):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "low")
    guide = make.viewer(s.guide)
    E.do_acknowledge_escalation(db, actor=guide, escalation=esc)
    with pytest.raises(Conflict):
        E.do_acknowledge_escalation(db, actor=guide, escalation=esc)
    E.do_start_escalation(db, actor=guide, escalation=esc, note="Sent a message")
    with pytest.raises(Invalid) as err:
        E.do_handover_escalation(db, actor=guide, escalation=esc, note="  ")
    assert "handover note" in err.value.fields["note"]
    E.do_handover_escalation(db, actor=guide, escalation=esc, note="Check in at 9")
    assert esc.state == EscalationState.HANDED_OVER and esc.ack_due_at is not None
    E.do_acknowledge_escalation(db, actor=make.viewer(s.guide2), escalation=esc)
    with pytest.raises(Invalid):
        E.do_resolve_escalation(db, actor=guide, escalation=esc, outcome="")
    E.do_resolve_escalation(db, actor=guide, escalation=esc, outcome="signposted")
    assert esc.state == EscalationState.RESOLVED and esc.outcome == "signposted"
    assert esc.next_due_at is None
    assert kinds(db, esc) == ["opened", "alerted", "acknowledged", "in_progress", "handover",
                              "acknowledged", "resolved"]
    audits = set(db.scalars(select(AuditEntry.action).where(
        AuditEntry.subject_type == "escalation", AuditEntry.subject_id == esc.id)))
    assert audits == {"escalation:open", "escalation:acknowledge", "escalation:start",
                      "escalation:handover", "escalation:resolve"}
    with pytest.raises(Conflict):
        E.do_start_escalation(db, actor=guide, escalation=esc)


def test_other_boards_staff_and_members_cannot_act(db, make):
    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    for user in (s.other_guide, s.member):
        with pytest.raises(Forbidden):
            E.do_acknowledge_escalation(db, actor=make.viewer(user), escalation=esc)
    db.refresh(esc)
    assert esc.state == EscalationState.OPEN and kinds(db, esc) == ["opened", "alerted"]
    assert not db.scalar(select(AuditEntry).where(AuditEntry.action == "escalation:acknowledge"))


def test_one_open_escalation_per_item_and_tier_required(db, make):
    s, _ = scene_with_lead(db, make)
    with pytest.raises(Invalid) as err:
        escalate(db, make, s, "")
    assert "tier" in err.value.fields
    escalate(db, make, s, "high")
    with pytest.raises(Conflict):
        escalate(db, make, s, "low")


def test_risk_check_opens_a_high_escalation(db, make, mailbox, captured_events):
    board = make.board(risk_policy="publish_and_flag")
    guide = make.facilitator(board)
    outcome = make.thread(board, body="I can't go on [risk]")
    esc = db.scalar(select(Escalation))
    assert esc is not None and esc.tier == "high" and esc.source == "risk_check"
    assert esc.case.post_id == outcome.post.id and esc.level == 1
    assert esc.ack_due_at - esc.created_at == timedelta(minutes=15)
    assert [m["To"] for m in mailbox.deliver().messages] == [guide.email]
    # Editing the post again does not open a second one.
    from forum.threads.actions import do_edit_post

    do_edit_post(db, actor=make.viewer(outcome.post.author), post=outcome.post,
                 body="Still can't go on [risk]")
    assert len(list(db.scalars(select(Escalation)))) == 1


def test_level_three_mails_the_protocol_addresses(db, make, mailbox):
    from moderation.protocol import do_save_protocol

    s, lead = scene_with_lead(db, make)
    do_save_protocol(db, actor=make.viewer(s.admin), text="Call the duty clinician.",
                     contacts="Duty clinician: 0300 000 0000", alert_emails="oncall@nhs.example")
    esc = escalate(db, make, s, "high")
    esc.level = 2
    db.commit()
    E.check_escalation_deadlines(db, esc.created_at + timedelta(minutes=16))
    [mail] = mailbox.deliver().to("oncall@nhs.example")
    assert "Call the duty clinician." in mailbox.body(mail)
    assert "Duty clinician: 0300 000 0000" in mailbox.body(mail)
    assert mailbox.to(s.admin.email) and mailbox.to(lead.email)


def test_the_targets_come_from_the_configuration(app, db, make, monkeypatch, mailbox):
    from config import escalation_targets

    monkeypatch.setitem(app.config, "ESCALATION_TARGETS",
                        escalation_targets({"medium": {"ack": 30, "act": 90}}))
    s, lead = scene_with_lead(db, make)
    esc = escalate(db, make, s, "medium")
    assert esc.ack_due_at - esc.created_at == timedelta(minutes=30)
    assert esc.act_due_at - esc.created_at == timedelta(minutes=90)
    assert E.check_escalation_deadlines(db, esc.created_at + timedelta(minutes=29)) == 0
    assert E.check_escalation_deadlines(db, esc.created_at + timedelta(minutes=31)) == 1
    db.refresh(esc)
    assert esc.level == 2 and mailbox.deliver().to(lead.email)
    # The tiers left out keep their defaults.
    assert E.targets(E.EscalationTier.HIGH) == (timedelta(minutes=15), timedelta(minutes=60))


def test_a_board_with_nobody_to_alert_goes_to_the_leads_at_once(db, make, mailbox,
                                                                captured_events):
    from moderation.duty_models import StaffLead

    board = make.board(risk_policy="publish_and_flag")  # no facilitators at all
    lead = make.user("leadnobody", role="facilitator", email="leadnobody@example.org")
    db.add(StaffLead(user_id=lead.id, title="Lead facilitator"))
    db.commit()
    make.thread(board, body="I can't go on [risk]")
    esc = db.scalar(select(Escalation))
    assert esc.level == 2
    assert kinds(db, esc) == ["opened", "alerted", "level_up", "alerted"]
    [mail] = mailbox.deliver().to(lead.email)
    assert "level 2" in mail["Subject"] and "no facilitator of the board" in mailbox.body(mail)
    assert ("escalation.opened", "staff:leads") in [(e.name, e.room) for e in captured_events]
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "escalation:level_up",
                                              AuditEntry.subject_id == esc.id))
    # Its clocks still run: unacknowledged, it reaches the emergency protocol next.
    assert E.check_escalation_deadlines(db, esc.created_at + timedelta(minutes=16)) == 1
    db.refresh(esc)
    assert esc.level == 3
