"""The kept thread page as the running service uses it: sessions on the engine itself,
where a reader who is not signed in gets the page's one statement outside any
transaction (forum.db.FixedQuery with an engine). The rest of the suite runs every
session on one shared connection, which takes the other path."""

from __future__ import annotations

import contextvars
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, g, request_finished
from flask.testing import FlaskClient
from sqlalchemy import event

from forum import create_app
from forum.db import new_session
from forum.models import metadata
from forum.page_cache import page_cache
from forum.threads.actions import do_add_reaction, do_edit_post
from tests.helpers import PASSWORD, Factories


class _Client(FlaskClient):
    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture()
def engine_app(tmp_path) -> Iterator[Flask]:  # type: ignore[no-untyped-def]
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'pages.db'}"}, env="test")
    engine = app.extensions["db_engine"]
    metadata.create_all(engine)
    app.test_client_class = _Client
    with app.app_context():
        yield app
    engine.dispose()


def test_a_reader_not_signed_in_gets_the_kept_page_without_a_transaction(engine_app) -> None:
    app = engine_app
    session = new_session(app)
    make = Factories(session)
    started = make.thread(make.board(), body="The first words")
    reply = make.reply(started.thread, body="A reply")
    path = f"/threads/{started.thread.id}"
    reader = app.test_client()
    first = reader.get(path).get_data(as_text=True)
    begins: list[object] = []

    def _begin(conn: object) -> None:
        begins.append(conn)

    made: list[bool] = []

    def _finished(sender: Flask, **extra: Any) -> None:
        made.append("db_session" in g)

    event.listen(app.extensions["db_engine"], "begin", _begin)
    request_finished.connect(_finished, app)
    try:
        hits = page_cache(app).hits
        again = reader.get(path).get_data(as_text=True)
        assert page_cache(app).hits == hits + 1
        assert begins == []  # the kept page took no transaction at all
        assert made == [False]  # nor even a session: nobody is signed in
    finally:
        request_finished.disconnect(_finished, app)
        event.remove(app.extensions["db_engine"], "begin", _begin)
    assert again.split('nonce="')[0] == first.split('nonce="')[0]

    # A change shows at once, on the same path.
    do_edit_post(session, actor=make.viewer(reply.post.author), post=reply.post,
                 body="Better words")
    do_add_reaction(session, actor=make.viewer(make.user()), post=started.post, kind="hug")
    after = reader.get(path).get_data(as_text=True)
    assert "Better words" in after and "A reply" not in after
    assert "Sending a hug: 1" in after
    session.close()


def test_a_signed_in_reader_gets_the_kept_page_without_a_transaction(engine_app) -> None:
    app = engine_app
    session = new_session(app)
    make = Factories(session)
    started = make.thread(make.board(), body="The first words")
    member = make.user()
    path = f"/threads/{started.thread.id}"
    reader = app.test_client()
    # Through the real sign-in form: the session cookie names a sign-in session row.
    answer = reader.post("/sign-in", data={"login": member.username, "password": PASSWORD})
    assert answer.status_code in (302, 303)
    for _ in range(2):
        assert ">Sign out<" in reader.get(path).get_data(as_text=True)
    begins: list[object] = []

    def _begin(conn: object) -> None:
        begins.append(conn)

    event.listen(app.extensions["db_engine"], "begin", _begin)
    try:
        hits = page_cache(app).hits
        page = reader.get(path).get_data(as_text=True)
        assert page_cache(app).hits == hits + 1 and ">Sign out<" in page
        assert begins == []  # sign-in checks and the page: no transaction at all
    finally:
        event.remove(app.extensions["db_engine"], "begin", _begin)
    do_add_reaction(session, actor=make.viewer(make.user()), post=started.post, kind="hug")
    after = reader.get(path).get_data(as_text=True)
    assert 'data-kind="hug"' in after and "including you" not in after
    assert re.search(r'data-kind="hug">.*?data-count="1"', after, re.S)
    session.close()
