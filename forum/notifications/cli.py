"""``forum jobs run`` and ``forum jobs run-once``: the background jobs outside the web
process (scale mode). Thin: each tick is :func:`forum.notifications.jobs.run_tick`."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from flask import current_app
from flask.cli import with_appcontext

if TYPE_CHECKING:
    from forum.notifications.jobs import EmailRun

jobs_cli = click.Group("jobs", help="Background jobs (notification email, expired sanctions).")


def _report(run: EmailRun | None) -> str:
    if run is None:
        return "Another process is running the jobs; skipped this time."
    return (f"Email: {run.planned} planned, {run.sent} sent, {run.failed} to retry, "
            f"{run.cancelled} not needed.")


@jobs_cli.command("run-once")
@click.option("--now", "now_text", default="",
              help="Pretend it is this UTC time (ISO 8601), e.g. 2026-11-30T07:00.")
@with_appcontext
def run_once(now_text: str) -> None:
    """Run every due job once, then stop."""
    from forum.notifications.jobs import run_tick

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("Use a date and time like 2026-11-30T07:00.") from None
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    click.echo(_report(run_tick(current_app._get_current_object(), now)))  # type: ignore[attr-defined]


@jobs_cli.command("run")
@click.option("--interval", default=30, show_default=True, type=click.IntRange(1, 3600),
              help="Seconds between ticks.")
@with_appcontext
def run(interval: int) -> None:
    """Run the jobs every INTERVAL seconds until stopped (Ctrl+C)."""
    from forum.notifications.jobs import run_tick

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    click.echo(f"Running background jobs every {interval} seconds. Press Ctrl+C to stop.")
    try:
        while True:
            started = time.monotonic()
            run_tick(app)
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
    except KeyboardInterrupt:
        click.echo("Stopped.")
