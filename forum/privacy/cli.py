"""``forum privacy purge [--now ISO]``: run the retention purge once (thin over
:func:`forum.privacy.jobs.run_purge`)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

import click
from flask import current_app
from flask.cli import with_appcontext

privacy_cli = click.Group("privacy", help="Privacy: the retention purge.")


@privacy_cli.command("purge")
@click.option("--now", "now_text", default="",
              help="Pretend it is this UTC time (ISO 8601), e.g. 2027-01-31T03:00.")
@with_appcontext
def purge(now_text: str) -> None:
    """Delete records kept longer than the retention settings allow."""
    from forum.privacy.jobs import run_purge

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            raise click.BadParameter("Use a date and time like 2027-01-31T03:00.",
                                     param_hint="--now") from None
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)
    counts = run_purge(current_app._get_current_object(), now)  # type: ignore[attr-defined]
    parts = [f"{name.replace('_', ' ')}: {n}" for name, n in asdict(counts).items() if n]
    click.echo("Purged " + (", ".join(parts) if parts else "nothing (all within retention)")
               + ".")
