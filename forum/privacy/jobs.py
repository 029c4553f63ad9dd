"""The scheduled retention purge: called on every background-jobs tick by
:func:`forum.notifications.jobs.run_tick` (embedded scheduler and ``forum jobs run``), it
runs :func:`forum.privacy.retention.do_purge_expired` when ``PURGE_INTERVAL_SECONDS`` have
passed since this process last ran it. An adapter: the action commits and audits."""

from __future__ import annotations

import logging
import time
from datetime import datetime

from flask import Flask

from forum.db import job_session, utcnow
from forum.privacy.retention import PurgeCounts, Retention, do_purge_expired

log = logging.getLogger(__name__)
LAST_RUN_KEY = "privacy_last_purge"


def run_purge(app: Flask, now: datetime | None = None) -> PurgeCounts:
    """Purge now, whatever the interval (the CLI and tests call this)."""
    with app.app_context(), job_session(app) as session:
        counts = do_purge_expired(session, now=now or utcnow(),
                                  retention=Retention.from_config(app.config))
    app.extensions[LAST_RUN_KEY] = time.monotonic()
    log.info("retention purge removed %s records", counts.total)
    return counts


def purge_if_due(app: Flask, now: datetime | None = None) -> PurgeCounts | None:
    """Purge if the interval has passed since the last run in this process, else None."""
    last = app.extensions.get(LAST_RUN_KEY)
    interval = int(app.config.get("PURGE_INTERVAL_SECONDS") or 3600)
    if last is not None and time.monotonic() - last < interval:
        return None
    return run_purge(app, now)
