"""Moderation's background jobs, run on every scheduler tick (``forum jobs run`` or the
in-process scheduler, see :mod:`forum.notifications.jobs`): escalation deadlines and
training renewal reminders. An adapter: it opens a session and calls the actions, which
audit, emit, email and commit. The deadlines live in the database, so a restart (a new
process) picks up exactly where the last one stopped.
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Flask

from forum.db import job_session

log = logging.getLogger(__name__)


def run_duty_jobs(app: Flask, now: datetime) -> tuple[int, int]:
    """(escalations moved up, training reminders sent)."""
    from moderation.escalations import check_escalation_deadlines
    from moderation.training import do_send_training_reminders

    with app.app_context(), job_session(app) as session:
        moved = check_escalation_deadlines(session, now)
        reminded = do_send_training_reminders(session, now=now)
    if moved or reminded:
        log.info("duty jobs: %s escalations moved up, %s training reminders", moved, reminded)
    return moved, reminded
