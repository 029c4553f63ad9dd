"""The email job against a real SMTP server on loopback, with a controllable clock."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from forum.boards.models import Visibility
from forum.db import utcnow
from forum.notifications.actions import do_set_email_frequency
from forum.notifications.actions_email import (
    digest_boundary,
    do_claim_email_jobs,
    do_plan_emails,
)
from forum.notifications.emails import read_unsubscribe_token
from forum.notifications.jobs import send_due_emails
from forum.notifications.models import EmailFrequency, EmailJob, Notification

from .smtp_server import body, free_port

HOUR = 7


def next_summary_time(frequency=EmailFrequency.DAILY):
    """A moment just after the next daily (or Monday) summary time from now."""
    now = utcnow()
    step = timedelta(days=7 if frequency == EmailFrequency.WEEKLY else 1)
    return digest_boundary(frequency, now, HOUR) + step + timedelta(minutes=1)


def choose(db, make, user, frequency):
    do_set_email_frequency(db, actor=make.viewer(user), frequency=frequency)


def test_daily_digest_once_per_member_per_period(app, db, make, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", HOUR)
    board = make.board()
    daily = make.user("dailyreader")  # the default choice: a daily summary
    never = make.user("neverreader")
    choose(db, make, never, "never")
    thread = make.thread(board, author=daily, title="Walking").thread
    make.reply(thread, author=never)  # "never" now follows the thread
    make.reply(thread, author=never, body="One")
    make.reply(thread, author=never, body="Two")
    make.reply(thread, author=daily, body="Thank you")  # notifies "never"
    assert db.scalar(select(Notification.id).where(Notification.user_id == never.id))

    t0 = next_summary_time()
    send_due_emails(app, now=t0 - timedelta(minutes=2))  # before the summary time
    assert smtp.messages == []
    run = send_due_emails(app, now=t0)
    assert run.sent == 1
    [digest] = smtp.to("dailyreader@example.org")
    assert "3 new notifications" in digest["Subject"]
    text = body(digest)
    assert text.count("replied in “Walking”") == 3
    assert "“One”" in text  # a short excerpt: the board is public
    assert smtp.to("neverreader@example.org") == []

    # Later in the same period: nothing more, even with new notifications waiting.
    make.reply(thread, author=never, body="Three")
    send_due_emails(app, now=t0 + timedelta(hours=3))
    assert len(smtp.messages) == 1
    # The next day's summary carries only the new one.
    send_due_emails(app, now=t0 + timedelta(days=1))
    assert len(smtp.to("dailyreader@example.org")) == 2
    assert "1 new notification)" in smtp.messages[-1]["Subject"]
    assert smtp.to("neverreader@example.org") == []
    emailed = db.scalars(select(Notification.emailed_at).where(
        Notification.user_id == daily.id))
    assert all(stamp is not None for stamp in emailed)


def test_weekly_digest_waits_for_monday(app, db, make, smtp, monkeypatch):
    monkeypatch.setitem(app.config, "DIGEST_HOUR", HOUR)
    board = make.board()
    weekly = make.user("weeklyreader")
    choose(db, make, weekly, "weekly")
    make.reply(make.thread(board, author=weekly).thread)
    monday = next_summary_time(EmailFrequency.WEEKLY)
    assert monday.weekday() == 0
    send_due_emails(app, now=monday - timedelta(days=1))
    assert smtp.to("weeklyreader@example.org") == []
    send_due_emails(app, now=monday)
    send_due_emails(app, now=monday + timedelta(days=1))
    [digest] = smtp.to("weeklyreader@example.org")
    assert "summary for the week" in digest["Subject"]


def test_at_once_email_has_unsubscribe_headers(app, db, make, smtp):
    board = make.board()
    keen = make.user("keenreader")
    choose(db, make, keen, "immediate")
    make.reply(make.thread(board, author=keen, title="Sleep").thread, body="Try a routine")
    now = utcnow() + timedelta(seconds=30)
    assert send_due_emails(app, now=now).sent == 1
    [mail] = smtp.to("keenreader@example.org")
    assert "replied in “Sleep”" in mail["Subject"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = mail["List-Unsubscribe"].strip("<>")
    assert link in body(mail)
    assert read_unsubscribe_token(app, link.rsplit("/", 1)[1]) == keen.id
    send_due_emails(app, now=now + timedelta(minutes=5))
    assert len(smtp.messages) == 1


def test_private_and_members_board_mail_has_no_content(app, db, make, smtp):
    for visibility in (Visibility.PRIVATE, Visibility.MEMBERS):
        board = make.board(visibility=visibility)
        guide = make.facilitator(board)
        choose(db, make, guide, "immediate")
        thread = make.thread(board, author=guide, title="Secret title").thread
        make.reply(thread, author=make.facilitator(board), body="Very private words")
    send_due_emails(app, now=utcnow() + timedelta(seconds=30))
    assert len(smtp.messages) == 2
    for mail in smtp.messages:
        text = body(mail) + str(mail["Subject"])
        assert "Very private words" not in text and "Secret title" not in text
        assert "/notifications/" in text


def test_failed_send_is_retried_and_sent_exactly_once(app, db, make, smtp, monkeypatch):
    board = make.board()
    keen = make.user("retryreader")
    choose(db, make, keen, "immediate")
    make.reply(make.thread(board, author=keen).thread)
    now = utcnow() + timedelta(seconds=30)

    smtp.refuse = True  # the server answers 451
    run = send_due_emails(app, now=now)
    assert (run.sent, run.failed) == (0, 1)
    job = db.scalar(select(EmailJob).where(EmailJob.user_id == keen.id))
    db.refresh(job)
    assert job.attempts == 1 and job.sent_at is None and job.next_attempt_at > now

    smtp.refuse = False
    working_port = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", free_port())  # the server is down
    assert send_due_emails(app, now=now + timedelta(minutes=1)).failed == 1
    monkeypatch.setitem(app.config, "MAIL_PORT", working_port)
    assert send_due_emails(app, now=now + timedelta(minutes=1, seconds=30)).sent == 0  # waits
    assert send_due_emails(app, now=now + timedelta(minutes=5)).sent == 1
    assert send_due_emails(app, now=now + timedelta(hours=1)).sent == 0
    assert len(smtp.to("retryreader@example.org")) == 1
    db.refresh(job)
    assert job.sent_at is not None and job.attempts == 3


def test_a_claimed_job_is_not_claimed_by_a_second_worker(app, db, make):
    board = make.board()
    keen = make.user()
    choose(db, make, keen, "immediate")
    make.reply(make.thread(board, author=keen).thread)
    now = utcnow() + timedelta(seconds=30)
    assert do_plan_emails(db, now=now, digest_hour=HOUR) == 1
    assert do_plan_emails(db, now=now, digest_hour=HOUR) == 0
    _token, first = do_claim_email_jobs(db, now=now)
    _token, second = do_claim_email_jobs(db, now=now)
    assert len(first) == 1 and second == []


def test_read_notifications_and_never_are_not_emailed(app, db, make, smtp):
    board = make.board()
    reader = make.user("readfirst")
    choose(db, make, reader, "immediate")
    make.reply(make.thread(board, author=reader).thread)
    note = db.scalar(select(Notification).where(Notification.user_id == reader.id))
    note.read_at = utcnow()
    db.commit()
    quitter = make.user("quitter")
    choose(db, make, quitter, "immediate")
    make.reply(make.thread(board, author=quitter).thread)
    now = utcnow() + timedelta(seconds=30)
    do_plan_emails(db, now=now, digest_hour=HOUR)
    choose(db, make, quitter, "never")  # changed their mind after the email was planned
    run = send_due_emails(app, now=now)
    assert run.sent == 0 and run.cancelled == 1
    assert smtp.messages == []
