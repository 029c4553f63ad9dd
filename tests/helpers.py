"""Test data builders. They go through the real actions (so counters, audit entries and
events are right), except for the password hash, which is computed once per run because
argon2id is deliberately slow."""

from __future__ import annotations

import itertools
import subprocess
import time
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

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


# ---- active content in HTML (content fuzzing) -------------------------------------------

SAFE_TAGS = {"p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul",
             "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
SAFE_SCHEMES = {"", "http", "https", "mailto"}
# Elements whose content is not text: member words inside them would run or style.
RAW_TEXT = {"script", "style", "iframe", "noscript", "template", "textarea", "title", "xmp"}


def _tag_problems(tag: str, attrs: list[tuple[str, str | None]]) -> list[str]:
    problems = []
    if tag not in SAFE_TAGS:
        problems.append(f"tag {tag}")
    for name, value in attrs:
        if name.startswith("on") or name in {"style", "src", "srcdoc", "formaction"}:
            problems.append(f"attribute {name}")
        if name == "href" and value is not None:
            scheme = urlsplit(value.strip()).scheme.lower()
            if scheme not in SAFE_SCHEMES:
                problems.append(f"href scheme {scheme}")
    return problems


class _ActiveContentFinder(HTMLParser):
    """Parses HTML as a browser would and lists anything that could run, load or style.

    With ``marker`` (a whole page), only what member text put there counts: a tag whose
    name or attributes carry the marker, or the marker inside a script, style or other
    raw-text element. The page's own scripts, forms and styles are the layout's.
    """

    def __init__(self, marker: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.marker = marker.lower() if marker else None
        self.problems: list[str] = []
        self.raw: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in RAW_TEXT:
            self.raw.append(tag)
        if self.marker is None:
            self.problems += _tag_problems(tag, attrs)
            return
        marker = self.marker
        if marker in tag or any(marker in name for name, _ in attrs):
            # Tags and attribute names never come from member text in the layout: this
            # element was made by member text, and must be an inert, allowed one.
            self.problems += [f"{p} (from member text)" for p in _tag_problems(tag, attrs)]
            return
        for name, value in attrs:
            if not value or marker not in value.lower():
                continue
            # Member text in an attribute value is fine (escaped), unless the attribute
            # runs, loads or styles it.
            if name.startswith("on") or name in {"style", "src", "srcdoc", "formaction"}:
                self.problems.append(f"member text in {tag} {name}")
            if name == "href" and urlsplit(value.strip()).scheme.lower() not in SAFE_SCHEMES:
                self.problems.append(f"member text as a {tag} href scheme")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in RAW_TEXT and self.raw:
            self.raw.pop()

    def handle_endtag(self, tag: str) -> None:
        if self.raw and self.raw[-1] == tag:
            self.raw.pop()

    def handle_data(self, data: str) -> None:
        # Member text inside <title> or <textarea> is normal (escaped) text.
        if (self.marker and self.raw and self.raw[-1] not in {"title", "textarea"}
                and self.marker in data.lower()):
            self.problems.append(f"member text inside <{self.raw[-1]}>")


def active_content(html: str, marker: str | None = None) -> list[str]:
    """What in ``html`` could run script, load a frame, submit a form or style the page.

    Without ``marker`` the whole fragment must be inert (sanitised post HTML). With it, a
    whole page or email is checked for active content that came from member text carrying
    ``marker``. Used by tests/forum/test_markup.py and the content-injection tests."""
    finder = _ActiveContentFinder(marker)
    finder.feed(html)
    finder.close()
    return finder.problems


def wait_until_serving(server: subprocess.Popen[Any], url: str, log: Path,
                       timeout: float = 60.0) -> None:
    """Wait until a server process started by a test answers ``url``; fail with its log if
    it exits or stays silent."""
    import requests

    deadline = time.monotonic() + timeout
    while True:
        assert server.poll() is None, log.read_text()
        try:
            requests.get(url, timeout=5)
            return
        except requests.RequestException:
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
