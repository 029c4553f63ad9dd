"""A NUL character (which PostgreSQL cannot store) is refused with a 4xx and a plain
message, from a query string or JSON, and nothing is written (forms: threads/test_views.py)."""

from __future__ import annotations

from helpers import assert_error
from sqlalchemy import func, select

from forum.threads.models import Post


def _posts(db) -> int:  # type: ignore[no-untyped-def]
    return db.scalar(select(func.count(Post.id))) or 0


def test_json_with_a_nul_is_refused_and_not_saved(client, db, make, bearer):
    thread = make.thread(make.board()).thread
    before = _posts(db)
    error = assert_error(client.post(f"/api/v1/threads/{thread.id}/posts",
                                     headers=bearer(make.user()),
                                     json={"body": "Hello\u0000 there"}),
                         422, "invalid")
    assert error["fields"] == {"body": "This contains a character we cannot store."}
    assert _posts(db) == before


def test_a_nul_in_a_query_string_or_address(client, make):
    board = make.board()
    assert client.get(f"/boards/{board.slug}?page=1%00").status_code == 400
    assert client.get(f"/boards/{board.slug}%00").status_code == 404


def test_text_that_merely_mentions_the_escape_is_fine(client, db, make, bearer):
    thread = make.thread(make.board()).thread
    resp = client.post(f"/api/v1/threads/{thread.id}/posts", headers=bearer(make.user()),
                       json={"body": "In JSON a null is written \\u0000, not as text."})
    assert resp.status_code == 201
