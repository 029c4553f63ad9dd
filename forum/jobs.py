"""A tiny registry of periodic jobs, so any package can add work to the scheduler's tick
without editing the notifications package.

A job is ``fn(app, now) -> object``: it opens its own session (``forum.db.job_session``),
calls its actions (which audit and commit) and returns something short to report. Packages
register their jobs at start-up (e.g. ``moderation.init_moderation`` registers lifting
expired sanctions). :func:`forum.notifications.jobs.run_tick` runs the email job and then
:func:`run_jobs` on every tick, in the web process's scheduler or in ``forum jobs run``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Flask

log = logging.getLogger(__name__)

Job = Callable[[Flask, datetime], object]

_jobs: dict[str, Job] = {}


def job_name(fn: Job) -> str:
    return f"{fn.__module__}.{getattr(fn, '__qualname__', repr(fn))}"


def register_job(fn: Job) -> Job:
    """Add ``fn`` to every tick (once, however often it is registered). Usable as a
    decorator; returns ``fn``."""
    _jobs.setdefault(job_name(fn), fn)
    return fn


def unregister_job(fn: Job) -> None:
    """Remove ``fn`` (for tests that register a job of their own)."""
    _jobs.pop(job_name(fn), None)


def registered_jobs() -> list[str]:
    return list(_jobs)


def run_jobs(app: Flask, now: datetime) -> dict[str, object]:
    """Run each registered job once, in registration order. One job failing is logged (its
    name and the exception type, never data) and does not stop the others; its result is
    ``None``."""
    results: dict[str, object] = {}
    for name, fn in list(_jobs.items()):
        try:
            with app.app_context():
                results[name] = fn(app, now)
        except Exception:  # noqa: BLE001 - a failing job must not stop the rest or the tick
            log.exception("job %s failed", name)
            results[name] = None
    return results
