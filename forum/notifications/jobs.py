"""The email job: ``send_due_emails(app, now)``, run on a schedule, followed on each tick
by the jobs other packages register in :mod:`forum.jobs` (e.g. lifting expired sanctions).

Embedded mode: an APScheduler ``BackgroundScheduler`` in the web process, started on the
first request when ``SCHEDULER_ENABLED`` is true (so CLI commands never start one). Scale
mode: ``forum jobs run`` in its own process; with ``REDIS_URL`` set every tick takes a
Redis lock first, so only one process runs a tick at a time however many run the loop.

This is an adapter: it reads, talks to the SMTP server, and calls the outbox actions in
:mod:`forum.notifications.actions_email`, which commit.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import Flask

from forum.db import job_session, utcnow
from forum.notifications.actions_email import (
    do_cancel_email_job,
    do_claim_email_jobs,
    do_mark_email_failed,
    do_mark_email_sent,
    do_plan_emails,
)
from forum.notifications.emails import compose_job_email
from forum.notifications.models import EmailJob

log = logging.getLogger(__name__)

TICK_LOCK = "alongside:jobs:tick"

@dataclass
class EmailRun:
    planned: int = 0
    sent: int = 0
    failed: int = 0
    cancelled: int = 0


def send_due_emails(app: Flask, now: datetime | None = None, *, limit: int = 100) -> EmailRun:
    """Plan email for waiting notifications, then send every due job once.

    ``now`` is the clock (tests pass their own). A failed send is kept and retried later;
    a successful one is marked sent straight away, before the next is tried.
    """
    now = now or utcnow()
    run = EmailRun()
    from forum.mail import send_mail

    with app.app_context(), job_session(app) as session:
        run.planned = do_plan_emails(session, now=now, digest_hour=app.config["DIGEST_HOUR"])
        token, job_ids = do_claim_email_jobs(session, now=now, limit=limit)
        for job_id in job_ids:
            job = session.get(EmailJob, job_id, populate_existing=True)
            email = compose_job_email(session, job) if job is not None else None
            if email is None:
                do_cancel_email_job(session, job_id=job_id, token=token, now=now)
                run.cancelled += 1
                continue
            # send_mail logs the failure's kind (never the address) and returns False.
            if not send_mail(app, email.to, email.subject, email.text, headers=email.headers,
                             user_id=job.user_id if job else None, kind="notification"):
                do_mark_email_failed(session, job_id=job_id, token=token, now=now,
                                     error="SMTP send failed")
                run.failed += 1
                continue
            do_mark_email_sent(session, job_id=job_id, token=token, now=now,
                               notification_ids=email.notification_ids)
            run.sent += 1
    return run


def run_tick(app: Flask, now: datetime | None = None) -> EmailRun | None:
    """One scheduled tick under the Redis lock when there is Redis: ``send_due_emails``,
    then every job registered in :mod:`forum.jobs`. Returns the email run, or None when
    another process holds the lock or email failed. Never raises: a scheduler thread that
    dies would stop all email."""
    from forum.jobs import run_jobs

    now = now or utcnow()
    lock = None
    try:
        if app.config.get("REDIS_URL"):
            import redis

            client = redis.Redis.from_url(app.config["REDIS_URL"])
            lock = client.lock(TICK_LOCK, timeout=300, blocking=False)
            if not lock.acquire():
                return None
        try:
            run: EmailRun | None = send_due_emails(app, now)
        except Exception:  # noqa: BLE001 - logged; the next tick tries again
            log.exception("email tick failed")
            run = None
        run_jobs(app, now)  # each job is guarded on its own
        return run
    except Exception:  # noqa: BLE001 - e.g. Redis unreachable; the next tick tries again
        log.exception("jobs tick failed")
        return None
    finally:
        if lock is not None:
            try:
                lock.release()
            except Exception:  # noqa: BLE001 - expired or never held
                log.debug("tick lock already released")


_start_lock = threading.Lock()
SCHEDULER_JOB_ID = "send_due_emails"
WOKEN = "jobs_tick_woken"
# A tick woken while it runs goes round again, at most this many times in a row.
MAX_EXTRA_ROUNDS = 3


def scheduled_tick(app: Flask) -> int:
    """What the in-process scheduler runs: a tick, and another straight after if mail was
    queued while it ran (the scheduler itself skips a wake-up that comes while its one
    instance is running, which left such mail for the next interval). Returns the rounds."""
    woken = app.extensions.setdefault(WOKEN, threading.Event())
    rounds = 0
    while rounds <= MAX_EXTRA_ROUNDS:
        woken.clear()
        run_tick(app)
        rounds += 1
        if not woken.is_set():
            break
    return rounds


def wake_scheduler(app: Flask) -> bool:
    """Run the in-process scheduler's tick now rather than at its next interval (called
    after mail is queued, so a sign-up link or an escalation alert goes within seconds).
    Does nothing where there is no scheduler in this process (tests, scale mode, CLI):
    ``forum jobs run`` picks the mail up on its own interval. Never raises."""
    woken = app.extensions.get(WOKEN)
    if woken is not None:
        woken.set()  # heard by a tick that is running now (scheduled_tick)
    scheduler = app.extensions.get("notifications_scheduler")
    if scheduler is None:
        return False
    try:
        scheduler.modify_job(SCHEDULER_JOB_ID, next_run_time=utcnow())
    except Exception:  # noqa: BLE001 - the regular interval still sends the mail
        log.warning("could not wake the job scheduler")
        return False
    return True


def start_scheduler(app: Flask) -> bool:
    """Start the in-process scheduler once per app, if ``SCHEDULER_ENABLED``."""
    if not app.config.get("SCHEDULER_ENABLED"):
        return False
    with _start_lock:
        if "notifications_scheduler" in app.extensions:
            return False
        from apscheduler.schedulers.background import BackgroundScheduler

        scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
        interval = int(app.config.get("JOBS_INTERVAL_SECONDS") or 30)
        app.extensions.setdefault(WOKEN, threading.Event())
        scheduler.add_job(scheduled_tick, "interval", args=[app], seconds=interval,
                          id=SCHEDULER_JOB_ID, max_instances=1, coalesce=True,
                          next_run_time=utcnow() + timedelta(seconds=5))
        scheduler.start()
        app.extensions["notifications_scheduler"] = scheduler
        log.info("in-process job scheduler started (every %s seconds)", interval)
        return True
