"""``forum moderation …``: scan text with the automatic checks, train the risk head, and
lift sanctions whose time is up. Thin over :mod:`moderation.checks` and the actions."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

moderation_cli = click.Group("moderation", help="Moderation checks and housekeeping.")


@moderation_cli.command("scan")
def scan() -> None:
    """Read JSON lines {"text": …, "meta": {…}} on standard input; write one JSON line of
    labels and findings per input, in order."""
    from moderation.checks import scan_stream

    # Lines are read and answered one at a time, so a pipe gets answers as it goes.
    scan_stream(sys.stdin, sys.stdout)
    sys.stdout.flush()


@moderation_cli.command("train")
@click.option("--training", "training_path", type=click.Path(path_type=Path), default=None,
              help="Labelled examples (JSON lines); defaults to the packaged set.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=None,
              help="Where to write the trained head; defaults to the package data folder.")
def train_cmd(training_path: Path | None, out_dir: Path | None) -> None:
    """Train the risk classifier head from labelled examples."""
    from moderation.checks import train

    try:
        summary = train(training_path=training_path, out_dir=out_dir)
    except RuntimeError as exc:
        raise click.ClickException(str(exc)) from exc
    for key, value in summary.items():
        click.echo(f"{key}: {value}")


@moderation_cli.command("status")
def status() -> None:
    """Say whether the semantic model is loaded or the checks run on rules alone."""
    from moderation.checks import engine_status

    for key, value in engine_status().items():
        click.echo(f"{key}: {value}")


def lift_expired_job(app: Flask, now: datetime) -> int:
    """The scheduled job (registered in :mod:`forum.jobs` by ``init_moderation``): lift
    mutes and suspensions whose time is up. Returns how many were lifted."""
    from forum.db import job_session
    from moderation.actions import do_lift_expired_sanctions

    with job_session(app) as session:
        return do_lift_expired_sanctions(session)


@moderation_cli.command("lift-expired")
@with_appcontext
def lift_expired() -> None:
    """Lift mutes and suspensions whose time is up now (the jobs tick does it too)."""
    from forum.db import utcnow

    count = lift_expired_job(current_app._get_current_object(),  # type: ignore[attr-defined]
                             utcnow())
    click.echo(f"Lifted {count} sanction{'s' if count != 1 else ''}.", file=sys.stdout)
