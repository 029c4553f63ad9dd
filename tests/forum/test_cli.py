"""The ``forum`` command line, driven as an operator would."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import requests
from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from helpers import wait_until_serving
from sqlalchemy import func, select

from forum import create_app
from forum.accounts.models import Role, User
from forum.accounts.passwords import verify_password
from forum.boards.models import Board, Visibility
from forum.cli import main
from forum.threads.models import Post

ROOT = Path(__file__).resolve().parents[2]


def _invoke(app: Flask, args: list[str], stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(main, args, input=stdin, obj=ScriptInfo(create_app=lambda: app),
                              catch_exceptions=False)


def test_users_create_reads_password_from_stdin(app, db):
    result = _invoke(app, ["users", "create", "--username", "kestrel", "--email",
                           "kestrel@example.org", "--role", "facilitator"],
                     stdin="a long quiet password\n")
    assert result.exit_code == 0, result.output
    user = db.scalar(select(User).where(User.username == "kestrel"))
    assert user is not None and user.role == Role.FACILITATOR
    assert verify_password(user.password_hash, "a long quiet password")


def test_users_create_explains_a_bad_password(app, db):
    result = _invoke(app, ["users", "create", "--username", "wren", "--email",
                           "wren@example.org"], stdin="short\n")
    assert result.exit_code != 0
    assert "at least 10 characters" in result.output
    assert db.scalar(select(User).where(User.username == "wren")) is None


def test_boards_create(app, db):
    result = _invoke(app, ["boards", "create", "--name", "Living with MS", "--condition",
                           "Multiple sclerosis", "--visibility", "members"])
    assert result.exit_code == 0, result.output
    board = db.scalar(select(Board).where(Board.slug == "living-with-ms"))
    assert board is not None and board.visibility == Visibility.MEMBERS


def test_boards_create_refuses_a_duplicate_slug(app, db):
    _invoke(app, ["boards", "create", "--name", "Asthma"])
    result = _invoke(app, ["boards", "create", "--name", "Asthma"])
    assert result.exit_code != 0
    assert "already uses that address" in result.output


def test_db_upgrade_then_demo_only_if_empty(tmp_path):
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}, env="test")
    with app.app_context():
        assert _invoke(app, ["db", "upgrade"]).exit_code == 0
        first = _invoke(app, ["demo", "--if-empty"])
        assert "Demo content loaded" in first.output
        second = _invoke(app, ["demo", "--if-empty"])
        assert "left it" in second.output
        from forum.db import job_session

        with job_session(app) as session:
            assert session.scalar(select(func.count(User.id))) == 5
            assert session.scalar(select(func.count(Post.id))) >= 10
    app.extensions["db_engine"].dispose()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_forum_run_on_another_port_serves_live_updates_and_links_for_that_port(tmp_path):
    """`make run PORT=…` or `forum run --port …` without BASE_URL: the page's own origin
    (under either loopback name) may open live updates, and links name that port."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("FLASK_RUN_FROM_CLI", "BASE_URL")}
    env.update(PYTHONPATH=str(ROOT), FORUM_ENV="development", DEMO_CONTENT="false",
               REDIS_URL="", SCHEDULER_ENABLED="false",
               DATABASE_URL=f"sqlite:///{tmp_path / 'run.db'}")
    forum = [sys.executable, "-m", "forum"]
    subprocess.run([*forum, "db", "upgrade"], env=env, check=True, capture_output=True,
                   timeout=120)
    log = tmp_path / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([*forum, "run", "--port", str(port)], env=env, stdout=out,
                                  stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(server, base + "/healthz", log)

        def opens_live(origin: str) -> int:
            return requests.get(base + "/socket.io/", timeout=10,
                                params={"EIO": "4", "transport": "polling"},
                                headers={"Origin": origin}).status_code

        assert opens_live(base) == 200
        assert opens_live(f"http://localhost:{port}") == 200
        assert opens_live("https://evil.example") == 400
        assert opens_live(f"http://127.0.0.1:{port + 1}") == 400
        servers = requests.get(base + "/api/v1/openapi.json", timeout=10).json()["servers"]
        assert servers[0]["url"].startswith(base)
    finally:
        server.terminate()
        server.wait(timeout=20)
