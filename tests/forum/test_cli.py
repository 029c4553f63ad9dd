"""The ``forum`` command line, driven as an operator would."""

from __future__ import annotations

from click.testing import CliRunner
from flask import Flask
from flask.cli import ScriptInfo
from sqlalchemy import func, select

from forum import create_app
from forum.accounts.models import Role, User
from forum.accounts.passwords import verify_password
from forum.boards.models import Board, Visibility
from forum.cli import main
from forum.threads.models import Post


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
