"""Scheduling: the in-process scheduler, ``forum jobs run-once``, and the Redis tick lock."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
import redis

from forum.db import utcnow
from forum.jobs import register_job, unregister_job
from forum.mail import Mail, queue_mail
from forum.notifications.actions import do_set_email_frequency
from forum.notifications.cli import jobs_cli
from forum.notifications.jobs import TICK_LOCK, run_tick, scheduled_tick, start_scheduler

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def test_scheduler_is_off_in_tests_and_starts_once_when_enabled(app, monkeypatch):
    assert start_scheduler(app) is False  # SCHEDULER_ENABLED is false in the test config
    monkeypatch.setitem(app.config, "SCHEDULER_ENABLED", True)
    try:
        assert start_scheduler(app) is True
        assert start_scheduler(app) is False  # one per app
        scheduler = app.extensions["notifications_scheduler"]
        assert scheduler.running
        assert scheduler.get_job("send_due_emails") is not None
    finally:
        scheduler = app.extensions.pop("notifications_scheduler", None)
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def test_mail_queued_while_a_tick_runs_goes_in_another_round_at_once(app, db, make,
                                                                    mailbox) -> None:
    """A request commits an alert while the scheduler's tick is running: the tick goes
    round again instead of leaving the alert for the next interval."""
    user = make.user("alertreader")
    calls: list[int] = []

    def request_during_tick(app_, now):  # type: ignore[no-untyped-def]
        calls.append(1)
        if len(calls) == 1:
            queue_mail(db, Mail(to=user.email, subject="Alert", text="Open it", user_id=user.id))
            db.commit()  # wakes the scheduler: after_commit -> wake_scheduler
        return None

    register_job(request_during_tick)
    try:
        # The job runs before the mail job in the first round only if registered earlier;
        # either way the alert must be out when the scheduled tick returns.
        assert scheduled_tick(app) == 2
    finally:
        unregister_job(request_during_tick)
    assert len(calls) == 2
    assert [m["Subject"] for m in mailbox.messages] == ["Alert"]


def test_run_once_command_sends_due_email(app, db, make, smtp):
    board = make.board()
    keen = make.user("clireader")
    do_set_email_frequency(db, actor=make.viewer(keen), frequency="immediate")
    make.reply(make.thread(board, author=keen).thread)
    when = (utcnow() + timedelta(seconds=30)).replace(tzinfo=None).isoformat()
    result = app.test_cli_runner().invoke(jobs_cli, ["run-once", "--now", when])
    assert result.exit_code == 0, result.output
    assert "1 sent" in result.output
    assert len(smtp.to("clireader@example.org")) == 1


def test_run_once_rejects_a_bad_time(app):
    result = app.test_cli_runner().invoke(jobs_cli, ["run-once", "--now", "tomorrow"])
    assert result.exit_code != 0
    assert "2026-11-30T07:00" in result.output


@pytest.mark.services
def test_tick_skips_while_another_process_holds_the_redis_lock(app, db, make, smtp,
                                                              monkeypatch):
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # fails, never skips, when Redis is missing
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    board = make.board()
    keen = make.user("lockreader")
    do_set_email_frequency(db, actor=make.viewer(keen), frequency="immediate")
    make.reply(make.thread(board, author=keen).thread)
    now = utcnow() + timedelta(seconds=30)
    other = client.lock(TICK_LOCK, timeout=30, blocking=False)
    assert other.acquire()
    try:
        assert run_tick(app, now) is None
        assert smtp.messages == []
    finally:
        other.release()
    run = run_tick(app, now)
    assert run is not None and run.sent == 1
    assert client.get(TICK_LOCK) is None  # released after the tick
