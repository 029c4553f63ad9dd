"""Test data builders. They go through the real actions (so counters, audit entries and
events are right), except for the password hash, which is computed once per run because
argon2id is deliberately slow."""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from forum.accounts.models import Role, User
from forum.accounts.usernames import email_key, username_key
from forum.boards.actions import do_assign_facilitator, do_create_board, do_join_board
from forum.boards.models import Board
from forum.db import utcnow
from forum.permissions import Viewer, load_viewer
from forum.threads.actions import PostOutcome, do_create_thread, do_reply
from forum.threads.models import Thread

PASSWORD = "a calm walk by the river"
_counter = itertools.count(1)


@lru_cache(maxsize=1)
def password_hash() -> str:
    from forum.accounts.passwords import hash_password

    return hash_password(PASSWORD)


class Factories:
    def __init__(self, session: Session) -> None:
        self.session = session

    def user(self, username: str | None = None, *, role: Role | str = Role.MEMBER,
             email: str | None = None, **fields: Any) -> User:
        n = next(_counter)
        username = username or f"member{n}"
        email = email or f"{username.lower()}@example.org"
        user = User(username=username, username_key=username_key(username), email=email,
                    email_key=email_key(email), password_hash=password_hash(), role=Role(role),
                    accepted_guidelines_at=utcnow(), **fields)
        self.session.add(user)
        self.session.commit()
        return user

    def admin(self, username: str | None = None) -> User:
        return self.user(username or f"boss{next(_counter)}", role=Role.ADMIN)

    def viewer(self, user: User | None) -> Viewer:
        return load_viewer(self.session, user)

    def board(self, name: str | None = None, **fields: Any) -> Board:
        name = name or f"Board {next(_counter)}"
        return do_create_board(self.session, actor=None, name=name, **fields)

    def facilitator(self, board: Board, username: str | None = None) -> User:
        user = self.user(username or f"guide{next(_counter)}", role=Role.FACILITATOR)
        do_assign_facilitator(self.session, actor=None, board=board, user=user)
        return user

    def member_of(self, board: Board, username: str | None = None) -> User:
        user = self.user(username)
        do_join_board(self.session, actor=self.viewer(user), board=board)
        return user

    def thread(self, board: Board, author: User | None = None, *, title: str = "A question",
               body: str = "Has anyone else found mornings the hardest?") -> PostOutcome:
        author = author or self.user()
        return do_create_thread(self.session, actor=self.viewer(author), board=board,
                                title=title, body=body)

    def reply(self, thread: Thread, author: User | None = None, body: str = "Same here.",
              **kwargs: Any) -> PostOutcome:
        author = author or self.user()
        return do_reply(self.session, actor=self.viewer(author), thread=thread, body=body,
                        **kwargs)


def assert_error(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    """The response is the API's one JSON error shape with ``status`` (and ``code``)."""
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    if code is not None:
        assert error["code"] == code
    return error
