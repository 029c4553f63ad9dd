"""The ``forum`` command: the Flask CLI of this app, thin over the actions."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext

from forum.errors import DomainError


def _create_app() -> Flask:
    from forum import create_app

    return create_app()


def _fail(exc: DomainError) -> None:
    details = "; ".join(f"{k}: {v}" for k, v in exc.fields.items())
    raise click.ClickException(f"{exc.message} {details}".strip())


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False,
             add_version_option=False)
def main() -> None:
    """Alongside: run and manage the forum."""


db_cli = click.Group("db", help="Database schema (Alembic migrations).")
users_cli = click.Group("users", help="Member accounts.")
boards_cli = click.Group("boards", help="Condition boards.")


@db_cli.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Apply the migrations to the configured database."""
    from forum.migrate import upgrade

    upgrade(current_app, revision)
    click.echo("Database is up to date.")


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@with_appcontext
def db_revision(message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from forum.migrate import revision

    revision(current_app, message)


def _read_password(prompt: bool) -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=prompt))


@users_cli.command("create")
@click.option("--username", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(["member", "facilitator", "admin"]), default="member",
              show_default=True)
@with_appcontext
def users_create(username: str, email: str, role: str) -> None:
    """Create an account; the password is read from standard input or prompted for."""
    from forum.accounts.actions import do_create_user
    from forum.accounts.models import Role
    from forum.db import job_session

    password = _read_password(prompt=True)
    with job_session(current_app) as session:
        try:
            user = do_create_user(session, actor=None, username=username, email=email,
                                  password=password, role=Role(role))
        except DomainError as exc:
            _fail(exc)
            return
        click.echo(f"Created {user.role} {user.username} (id {user.id}).")


@boards_cli.command("create")
@click.option("--name", required=True)
@click.option("--slug", default="")
@click.option("--condition", default="")
@click.option("--description", default="")
@click.option("--visibility", type=click.Choice(["public", "members", "private"]),
              default="public", show_default=True)
@click.option("--posting-policy", type=click.Choice(["open", "new_members_held", "all_held"]),
              default="open", show_default=True)
@with_appcontext
def boards_create(name: str, slug: str, condition: str, description: str, visibility: str,
                  posting_policy: str) -> None:
    """Create a condition board."""
    from forum.boards.actions import do_create_board
    from forum.db import job_session

    with job_session(current_app) as session:
        try:
            board = do_create_board(session, actor=None, name=name, slug=slug,
                                    condition=condition, description=description,
                                    visibility=visibility, posting_policy=posting_policy)
        except DomainError as exc:
            _fail(exc)
            return
        click.echo(f"Created board {board.slug}.")


@main.command("demo")
@click.option("--if-empty", is_flag=True, help="Only when the database has no accounts yet.")
@with_appcontext
def demo(if_empty: bool) -> None:
    """Load demo boards, members, a facilitator, an admin and conversations."""
    from forum.demo import load_demo

    created = load_demo(current_app, only_if_empty=if_empty)
    click.echo("Demo content loaded." if created else "Database already has content; left it.")


@main.command("run")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def run(host: str, port: int) -> None:
    """Serve the site in one process (embedded mode, with live updates)."""
    from forum.extensions import socketio
    from forum.realtime import set_public_address

    if not os.environ.get("BASE_URL"):
        # Emailed links and the origin live updates accept follow the address served here,
        # so `forum run --port 5077` works as it is (the default names port 5000).
        name = "127.0.0.1" if host in ("", "0.0.0.0", "::") else host  # noqa: S104
        set_public_address(current_app, f"http://{f'[{name}]' if ':' in name else name}:{port}")
    # FlaskGroup marks the process as "run from the CLI", and Flask then ignores app.run()
    # (which Socket.IO's threading server uses); this command is the server, so clear it.
    os.environ.pop("FLASK_RUN_FROM_CLI", None)
    click.echo(f"Alongside is running at http://{host}:{port}/ (press Ctrl+C to stop)")
    socketio.run(current_app._get_current_object(), host=host, port=port,  # type: ignore[attr-defined]
                 debug=False, use_reloader=False, allow_unsafe_werkzeug=True,
                 log_output=False)  # its access lines carry full paths: health data


def register_cli(app: Flask) -> None:
    """Commands that other packages add to the app (``forum moderation …``) hang off
    ``app.cli``; the core groups are on :data:`main` itself."""


main.add_command(db_cli)
main.add_command(users_cli)
main.add_command(boards_cli)

from forum.notifications.cli import jobs_cli  # noqa: E402  (the group lives with its jobs)

main.add_command(jobs_cli)

from forum.privacy.cli import privacy_cli  # noqa: E402

main.add_command(privacy_cli)
