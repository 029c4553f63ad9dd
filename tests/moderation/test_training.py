"""Training: expired required training means read-only; the high tier needs the named
training; renewal reminders by the job; admins record training."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.db import utcnow
from forum.errors import Forbidden, Invalid
from moderation import actions as A
from moderation import escalations as E
from moderation.duty_models import TrainingRecord
from moderation.models import CaseState
from moderation.training import do_record_training, do_save_course, do_send_training_reminders
from tests.moderation.duty_scene import add_course, days_ago, escalate, train
from tests.moderation.mod_scene import build_scene

pytestmark = pytest.mark.usefixtures("fake_checks")


def test_expired_training_is_read_only(db, make, login):
    s = build_scene(db, make)
    course = add_course(db, "Peer support induction")
    train(db, s.guide, course, expires_in_days=-1)
    case = s.case(db)
    with pytest.raises(Forbidden) as err:
        A.do_claim_case(db, actor=make.viewer(s.guide), case=case)
    assert "Please renew" in err.value.message
    assert case.claimed_by_id is None
    client = login(s.guide)
    page = client.get("/moderation/").get_data(as_text=True)
    assert "Please renew" in page  # can still read the queue, and is told why not act
    assert client.get(f"/moderation/cases/{case.id}").status_code == 200
    assert client.post(f"/moderation/cases/{case.id}/claim").status_code == 403
    assert db.get(type(case), case.id).state == CaseState.OPEN
    train_rec = db.scalar(select(TrainingRecord).where(TrainingRecord.user_id == s.guide.id))
    train_rec.expires_on = utcnow().date() + timedelta(days=90)
    db.commit()
    A.do_claim_case(db, actor=make.viewer(s.guide), case=case)
    assert case.claimed_by_id == s.guide.id


def test_expired_training_stops_facilitator_powers_on_forum_pages_too(db, make, login):
    """Editing or deleting someone else's post, replying in a locked conversation and
    posting guidance are facilitator acts as much as the queue's: refused while training
    has lapsed; reading the post's earlier versions is not."""
    from forum.threads.actions import do_delete_post, do_reply

    s = build_scene(db, make, reported=False)
    course = add_course(db, "Peer support induction")
    lapsed = train(db, s.guide, course, expires_in_days=-1)
    with pytest.raises(Forbidden):
        do_delete_post(db, actor=make.viewer(s.guide), post=s.post)
    with pytest.raises(Forbidden):
        do_reply(db, actor=make.viewer(s.guide), thread=s.thread, body="Guidance", guidance=True)
    with pytest.raises(Forbidden):
        A.do_add_staff_note(db, actor=make.viewer(s.guide), user=s.author,
                            body="Seems to be having a hard week")
    client = login(s.guide)
    assert client.get(f"/posts/{s.post.id}/edit").status_code == 403
    assert client.post(f"/posts/{s.post.id}/delete").status_code == 403
    assert client.get(f"/posts/{s.post.id}/revisions").status_code == 200
    assert db.get(type(s.post), s.post.id).state == "published"
    lapsed.expires_on = utcnow().date() + timedelta(days=90)  # renewed: powers come back
    db.commit()
    do_delete_post(db, actor=make.viewer(s.guide), post=s.post)
    assert db.get(type(s.post), s.post.id).state == "deleted"


def test_expired_training_stops_inviting_and_going_on_duty(db, make, login):
    """Inviting a member to a private board and going on duty are acts too: refused with a
    plain "renew" message while training has lapsed, on the pages, the API and the actions;
    what is read (the duty page, the board) still works, and going off duty always does."""
    from forum.boards.actions import do_invite_member
    from forum.boards.models import BoardMembership, Visibility
    from moderation import duty as D
    from moderation.duty_models import Shift

    board = make.board(visibility=Visibility.PRIVATE)
    guide = make.facilitator(board)
    course = add_course(db, "Peer support induction")
    lapsed = train(db, guide, course, expires_in_days=-1)
    newcomer = make.user("newcomer")
    with pytest.raises(Forbidden) as refused:
        do_invite_member(db, actor=make.viewer(guide), board=board, user=newcomer)
    assert "renew" in refused.value.message and "invite members" in refused.value.message
    with pytest.raises(Forbidden) as refused:
        D.do_go_on_duty(db, actor=make.viewer(guide))
    assert "Please renew" in refused.value.message

    client = login(guide)
    board_page = client.get(f"/boards/{board.slug}")
    assert board_page.status_code == 200
    assert "Invite a member" not in board_page.get_data(as_text=True)
    invite_page = client.get(f"/boards/{board.slug}/invite")
    assert invite_page.status_code == 403 and "renew" in invite_page.get_data(as_text=True)
    sent = client.post(f"/boards/{board.slug}/invite", data={"username": "newcomer"})
    assert sent.status_code == 403
    duty_page = client.get("/moderation/duty")
    assert duty_page.status_code == 200
    assert "Please renew" in duty_page.get_data(as_text=True)
    assert "Go on duty now" not in duty_page.get_data(as_text=True)
    assert client.post("/moderation/duty", data={"go": "on"}).status_code == 403
    api = client.post("/api/v1/moderation/duty/on", json={})
    assert api.status_code == 403 and "renew" in api.get_json()["error"]["message"]
    assert db.scalar(select(BoardMembership).where(
        BoardMembership.user_id == newcomer.id)) is None
    assert db.scalar(select(Shift).where(Shift.user_id == guide.id)) is None
    assert not {"board:invite", "shift:start"} & set(db.scalars(select(AuditEntry.action)))

    # Already on duty when it lapsed: going off duty is still allowed.
    lapsed.expires_on = utcnow().date() + timedelta(days=90)
    db.commit()
    D.do_go_on_duty(db, actor=make.viewer(guide))
    lapsed.expires_on = utcnow().date() - timedelta(days=1)
    db.commit()
    assert client.post("/moderation/duty", data={"go": "off"}).status_code == 302

    lapsed.expires_on = utcnow().date() + timedelta(days=90)  # renewed: powers come back
    db.commit()
    assert "Invite a member" in client.get(f"/boards/{board.slug}").get_data(as_text=True)
    assert client.post(f"/boards/{board.slug}/invite",
                       data={"username": "newcomer"}).status_code == 302
    assert make.viewer(newcomer).is_member_of(board.id)


def test_high_tier_needs_the_named_training(db, make):
    s = build_scene(db, make)
    add_course(db, "Peer support induction")
    suicide = add_course(db, "Responding to suicidal content", required=False, high_risk=True)
    induction = add_course(db, "Induction 2", required=True)
    for guide in (s.guide, s.guide2):
        for course in db.scalars(select(type(induction)).where(type(induction).required)):
            train(db, guide, course)
    train(db, s.guide2, suicide)
    high = escalate(db, make, s, "high")
    with pytest.raises(Forbidden) as err:
        E.do_acknowledge_escalation(db, actor=make.viewer(s.guide), escalation=high)
    assert "Responding to suicidal content" in err.value.message
    assert high.acknowledged_at is None
    E.do_acknowledge_escalation(db, actor=make.viewer(s.guide2), escalation=high)
    assert high.acknowledged_by_id == s.guide2.id


def test_renewal_reminders_go_once_before_expiry(app, db, make, mailbox):
    s = build_scene(db, make, reported=False)
    course = add_course(db, "Safeguarding adults")
    soon = train(db, s.guide, course, expires_in_days=10)
    train(db, s.guide2, course, expires_in_days=200)
    assert do_send_training_reminders(db, now=utcnow()) == 1
    [mail] = mailbox.deliver().messages
    assert mail["To"] == s.guide.email and "renew" in mail["Subject"]
    assert "Safeguarding adults" in mailbox.body(mail)
    assert soon.reminded_at is not None
    assert do_send_training_reminders(db, now=utcnow()) == 0
    assert len(mailbox.deliver().messages) == 1


def test_admin_records_training_and_others_cannot(db, make):
    s = build_scene(db, make, reported=False)
    admin = make.viewer(s.admin)
    course = do_save_course(db, actor=admin, name="Safeguarding adults", required=True,
                            high_risk=False)
    with pytest.raises(Invalid):
        do_save_course(db, actor=admin, name="Safeguarding adults", required=True,
                       high_risk=False)
    with pytest.raises(Invalid):
        do_record_training(db, actor=admin, user=s.guide, course=course,
                           completed_on=days_ago(5), expires_on=days_ago(10))
    rec = do_record_training(db, actor=admin, user=s.guide, course=course,
                             completed_on=days_ago(5), expires_on=None)
    assert rec.is_current(utcnow().date())
    with pytest.raises(Invalid):
        do_record_training(db, actor=admin, user=s.member, course=course,
                           completed_on=days_ago(5), expires_on=None)
    with pytest.raises(Forbidden):
        do_record_training(db, actor=make.viewer(s.guide), user=s.guide2, course=course,
                           completed_on=days_ago(5), expires_on=None)
    assert db.scalar(select(TrainingRecord).where(TrainingRecord.user_id == s.guide2.id)) \
        is None
    actions = sorted(db.scalars(select(AuditEntry.action).where(
        AuditEntry.action.like("training%"))))
    assert actions == ["training:record", "training_course:save"]


def test_an_escalation_is_read_only_with_lapsed_or_missing_named_training(db, make, login):
    """The escalation page: lapsed training reads it, is told to renew and is offered no
    action; the high tier without the named training the same; the actions refuse both."""
    from moderation.models import EscalationEvent, EscalationState
    from tests.moderation.duty_scene import escalate

    s = build_scene(db, make)
    induction = add_course(db, "Peer support induction")
    suicide = add_course(db, "Responding to suicidal content", required=False, high_risk=True)
    record = train(db, s.guide, induction)
    train(db, s.guide2, induction)
    esc = escalate(db, make, s, "high")  # the guide's judgement, then their training lapses
    record.expires_on = utcnow().date() - timedelta(days=1)
    db.commit()
    path = f"/moderation/escalations/{esc.id}"
    lapsed = login(s.guide).get(path)
    assert lapsed.status_code == 200
    html = lapsed.get_data(as_text=True)
    assert "Please renew" in html and 'id="read-only"' in html
    assert "I have seen this and I am on it" not in html and "Add note" not in html
    assert login(s.guide).post(f"{path}/acknowledge").status_code == 403
    assert login(s.guide).post(f"{path}/note", data={"add-note": "Hi"}).status_code == 403

    unnamed = login(s.guide2).get(path).get_data(as_text=True)
    assert "Responding to suicidal content" in unnamed and 'id="read-only"' in unnamed
    assert "I have seen this and I am on it" not in unnamed
    assert login(s.guide2).post(f"{path}/acknowledge").status_code == 403
    db.refresh(esc)
    assert esc.state == EscalationState.OPEN
    assert not db.scalar(select(EscalationEvent.id).where(
        EscalationEvent.escalation_id == esc.id, EscalationEvent.kind == "note"))

    train(db, s.guide2, suicide)
    html = login(s.guide2).get(path).get_data(as_text=True)
    assert 'id="read-only"' not in html and "I have seen this and I am on it" in html
    assert login(s.guide2).post(f"{path}/acknowledge").status_code == 302


def test_a_renewal_earns_a_fresh_reminder_before_the_next_expiry(app, db, make, mailbox):
    s = build_scene(db, make, reported=False)
    course = add_course(db, "Safeguarding adults")
    rec = train(db, s.guide, course, expires_in_days=10)
    assert do_send_training_reminders(db, now=utcnow()) == 1
    # Renewed for a year: no reminder now (not due), one when the new expiry comes near.
    today = utcnow().date()
    do_record_training(db, actor=make.viewer(s.admin), user=s.guide, course=course,
                       completed_on=today, expires_on=today + timedelta(days=365))
    assert rec.reminded_at is None
    assert do_send_training_reminders(db, now=utcnow()) == 0
    assert do_send_training_reminders(db, now=utcnow() + timedelta(days=350)) == 1
    mails = mailbox.deliver().to(s.guide.email)
    assert len(mails) == 2 and all("renew" in m["Subject"] for m in mails)


def test_reminders_go_only_to_active_staff(app, db, make, mailbox):
    from forum.accounts.models import Role, UserStatus

    s = build_scene(db, make, reported=False)
    course = add_course(db, "Safeguarding adults")
    for user in (s.guide, s.guide2, s.other_guide):
        train(db, user, course, expires_in_days=5)
    s.guide2.role = Role.MEMBER  # stepped down
    s.other_guide.status = UserStatus.SUSPENDED
    db.commit()
    assert do_send_training_reminders(db, now=utcnow()) == 1
    assert [m["To"] for m in mailbox.deliver().messages] == [s.guide.email]


def test_level_one_alerts_go_to_those_whose_training_lets_them_act(db, make, mailbox):
    """A high-risk escalation: the facilitator on duty lacks the named training, so the one
    off duty who holds it is alerted instead; with nobody holding it, the leads at once."""
    from moderation import duty as D
    from moderation.duty_models import StaffLead

    s = build_scene(db, make)
    lead = make.user("leadtrained", role="facilitator", email="leadtrained@example.org")
    db.add(StaffLead(user_id=lead.id, title="Clinical lead"))
    db.commit()
    induction = add_course(db, "Peer support induction")
    suicide = add_course(db, "Responding to suicidal content", required=False, high_risk=True)
    for user in (s.guide, s.guide2, lead):
        train(db, user, induction)
    train(db, s.guide2, suicide)
    D.do_go_on_duty(db, actor=make.viewer(s.guide))
    high = escalate(db, make, s, "high")
    assert high.level == 1
    assert [m["To"] for m in mailbox.deliver().messages] == [s.guide2.email]
    # A medium one goes to the facilitator on duty, who may act on it.
    mailbox.messages.clear()
    other = make.thread(s.board, make.user(), body="Another hard day").post
    A.do_report_post(db, actor=make.viewer(s.member), post=other, reason="self_harm")
    from moderation.models import Case

    case = db.scalar(select(Case).where(Case.post_id == other.id))
    A.do_escalate_case(db, actor=make.viewer(s.guide), case=case, reason="Worried",
                       tier="medium")
    assert [m["To"] for m in mailbox.deliver().messages] == [s.guide.email]
    # Nobody on the board holds the named training any more: the leads hear at once.
    mailbox.messages.clear()
    E.do_resolve_escalation(db, actor=make.viewer(s.guide2), escalation=high,
                            outcome="signposted")
    rec = db.scalar(select(TrainingRecord).where(TrainingRecord.user_id == s.guide2.id,
                                                 TrainingRecord.course_id == suicide.id))
    db.delete(rec)
    db.commit()
    again = escalate(db, make, s, "high")
    assert again.level == 2
    assert [m["To"] for m in mailbox.deliver().messages] == [lead.email]


@pytest.mark.parametrize(("completed", "expires", "field"), [
    (date(1, 1, 1), None, "completed_on"),
    (date(1969, 12, 31), None, "completed_on"),
    (None, date(9999, 12, 31), "expires_on"),
])
def test_a_mistyped_year_is_refused_with_a_clear_message(db, make, completed, expires, field):
    s = build_scene(db, make, reported=False)
    admin = make.viewer(s.admin)
    course = do_save_course(db, actor=admin, name="Safeguarding adults", required=True,
                            high_risk=False)
    with pytest.raises(Invalid) as refused:
        do_record_training(db, actor=admin, user=s.guide, course=course,
                           completed_on=completed or days_ago(5), expires_on=expires)
    assert "Check the year" in refused.value.fields[field]
    assert db.scalar(select(TrainingRecord).where(TrainingRecord.course_id == course.id)) \
        is None
    # the bounds themselves are fine
    rec = do_record_training(db, actor=admin, user=s.guide, course=course,
                             completed_on=date(1970, 1, 1),
                             expires_on=utcnow().date() + timedelta(days=3650))
    assert rec.completed_on == date(1970, 1, 1)
