"""Conversations over the API: starting, reading, paging, catching up, replying, following."""

from __future__ import annotations

from helpers import assert_error
from sqlalchemy import select

import forum.api.threads
from forum.threads.models import Post, Thread, ThreadFollow


def test_start_a_thread(client, db, make, bearer, captured_events):
    board = make.board("Carers together")
    user = make.user()
    resp = client.post(f"/api/v1/boards/{board.slug}/threads", headers=bearer(user),
                       json={"title": "  Sleep after diagnosis ", "body": "How do you *cope*?"})
    assert resp.status_code == 201
    data = resp.get_json()
    assert data["state"] == "published"
    assert data["thread"]["title"] == "Sleep after diagnosis"
    assert data["thread"]["url"] == f"http://localhost/threads/{data['thread']['id']}"
    assert resp.headers["Location"] == data["thread"]["url"]
    assert data["post"]["html"] == "<p>How do you <em>cope</em>?</p>\n"
    assert data["post"]["body"] == "How do you *cope*?"
    assert data["post"]["url"] == f"http://localhost/posts/{data['post']['id']}"
    thread = db.get(Thread, data["thread"]["id"])
    assert thread.board_id == board.id and thread.author_id == user.id
    assert [e.name for e in captured_events] == ["thread.created"]


def test_start_a_thread_needs_authentication_and_valid_fields(client, make, bearer):
    board = make.board()
    path = f"/api/v1/boards/{board.slug}/threads"
    assert_error(client.post(path, json={"title": "t", "body": "b"}), 401)
    headers = bearer(make.user())
    error = assert_error(client.post(path, headers=headers, json={"body": "b"}), 422, "invalid")
    assert error["fields"] == {"title": "Enter a title for your conversation."}
    error = assert_error(client.post(path, headers=headers, json={"title": "t" * 151,
                                                                  "body": "b"}), 422)
    assert error["fields"] == {"title": "This must be 150 characters or fewer."}
    error = assert_error(client.post(path, headers=headers, json={"title": "   ",
                                                                  "body": "b"}), 422)
    assert error["fields"] == {"title": "Enter a title for your conversation."}


def test_post_length_limit_from_settings_is_enforced(client, app, make, bearer, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_POST_LENGTH", 10)
    board = make.board()
    error = assert_error(client.post(f"/api/v1/boards/{board.slug}/threads",
                                     headers=bearer(make.user()),
                                     json={"title": "t", "body": "x" * 11}), 422)
    assert "10 characters or fewer" in error["fields"]["body"]


def test_held_thread_is_202_and_hidden_from_other_members(client, make, bearer):
    board = make.board("Careful board", posting_policy="all_held")
    author, other = make.user(), make.user()
    resp = client.post(f"/api/v1/boards/{board.slug}/threads", headers=bearer(author),
                       json={"title": "Private worry", "body": "Something hard."})
    assert resp.status_code == 202
    data = resp.get_json()
    assert data["state"] == "held" and "waiting for a facilitator" in data["message"]
    thread_id = data["thread"]["id"]
    assert client.get(f"/api/v1/threads/{thread_id}", headers=bearer(author)).status_code == 200
    assert_error(client.get(f"/api/v1/threads/{thread_id}", headers=bearer(other)), 404)
    assert_error(client.get(f"/api/v1/threads/{thread_id}/posts", headers=bearer(other)), 404)
    listed = client.get(f"/api/v1/boards/{board.slug}/threads",
                        headers=bearer(other)).get_json()
    assert listed["items"] == [] and listed["total"] == 0


def test_get_a_thread(client, make):
    board = make.board()
    outcome = make.thread(board, title="Mornings")
    data = client.get(f"/api/v1/threads/{outcome.thread.id}").get_json()
    assert data["title"] == "Mornings" and data["board"] == board.slug
    assert data["last_post_id"] == outcome.post.id and data["reply_count"] == 0


def test_thread_on_private_board_is_404_to_outsiders(client, make, bearer):
    board = make.board("Young carers", visibility="private")
    insider = make.facilitator(board)
    thread = make.thread(board, insider).thread
    for headers in ({}, bearer(make.user())):
        assert_error(client.get(f"/api/v1/threads/{thread.id}", headers=headers), 404)
        assert_error(client.get(f"/api/v1/threads/{thread.id}/posts", headers=headers), 404)
    assert client.get(f"/api/v1/threads/{thread.id}", headers=bearer(insider)).status_code == 200


def test_posts_are_paginated_oldest_first(client, app, make, monkeypatch):
    monkeypatch.setitem(app.config, "POSTS_PER_PAGE", 2)
    board = make.board()
    thread = make.thread(board, body="first").thread
    for n in range(4):
        make.reply(thread, body=f"reply {n}")
    page2 = client.get(f"/api/v1/threads/{thread.id}/posts?page=2").get_json()
    assert [p["body"] for p in page2["items"]] == ["reply 1", "reply 2"]
    assert (page2["page"], page2["pages"], page2["total"], page2["has_more"]) == (2, 3, 5, True)
    page3 = client.get(f"/api/v1/threads/{thread.id}/posts?page=3").get_json()
    assert [p["body"] for p in page3["items"]] == ["reply 3"] and page3["has_more"] is False


def test_catch_up_with_after_returns_only_newer_posts(client, make, monkeypatch):
    monkeypatch.setattr(forum.api.threads, "CATCH_UP_LIMIT", 2)
    board = make.board()
    outcome = make.thread(board, body="first")
    thread = outcome.thread
    replies = [make.reply(thread, body=f"reply {n}").post for n in range(3)]
    data = client.get(f"/api/v1/threads/{thread.id}/posts?after={outcome.post.id}").get_json()
    assert [p["id"] for p in data["items"]] == [replies[0].id, replies[1].id]
    assert data["has_more"] is True and data["page"] is None
    rest = client.get(f"/api/v1/threads/{thread.id}/posts?after={replies[1].id}").get_json()
    assert [p["id"] for p in rest["items"]] == [replies[2].id] and rest["has_more"] is False
    none = client.get(f"/api/v1/threads/{thread.id}/posts?after={replies[2].id}").get_json()
    assert none["items"] == [] and none["has_more"] is False


def test_reply(client, db, make, bearer, captured_events):
    board = make.board()
    thread = make.thread(board).thread
    user = make.user()
    resp = client.post(f"/api/v1/threads/{thread.id}/posts", headers=bearer(user),
                       json={"body": "You are not alone."})
    assert resp.status_code == 201
    data = resp.get_json()
    assert data["state"] == "published" and data["post"]["author"] == user.username
    assert resp.headers["Location"] == data["post"]["url"]
    assert db.get(Post, data["post"]["id"]).thread_id == thread.id
    assert "post.created" in [e.name for e in captured_events]


def test_reply_quoting_a_post_from_another_thread_is_422(client, make, bearer):
    board = make.board()
    thread = make.thread(board).thread
    elsewhere = make.thread(board).post
    error = assert_error(client.post(f"/api/v1/threads/{thread.id}/posts",
                                     headers=bearer(make.user()),
                                     json={"body": "quoting", "quote_post_id": elsewhere.id}),
                         422)
    assert "quote" in error["fields"]


def test_held_reply_is_seen_by_its_author_and_staff_only(client, make, bearer):
    board = make.board("Careful board", posting_policy="all_held")
    guide = make.facilitator(board)
    thread = make.thread(board, guide).thread  # facilitators publish straight away
    author, other = make.user(), make.user()
    resp = client.post(f"/api/v1/threads/{thread.id}/posts", headers=bearer(author),
                       json={"body": "My private detail"})
    assert resp.status_code == 202
    held_id = resp.get_json()["post"]["id"]
    for query in ("", f"?after={thread.last_post_id}"):
        path = f"/api/v1/threads/{thread.id}/posts{query}"
        others = [p["id"] for p in client.get(path, headers=bearer(other)).get_json()["items"]]
        assert held_id not in others
        anon = [p["id"] for p in client.get(path).get_json()["items"]]
        assert held_id not in anon
        own = client.get(path, headers=bearer(author)).get_json()["items"]
        assert [p["state"] for p in own if p["id"] == held_id] == ["held"]
        staff = [p["id"] for p in client.get(path, headers=bearer(guide)).get_json()["items"]]
        assert held_id in staff


def test_follow_and_unfollow(client, db, make, bearer):
    board = make.board()
    thread = make.thread(board).thread
    user = make.user()
    headers = bearer(user)
    resp = client.post(f"/api/v1/threads/{thread.id}/follow", headers=headers)
    assert resp.get_json() == {"thread_id": thread.id, "following": True}
    assert db.scalar(select(ThreadFollow.id).where(ThreadFollow.user_id == user.id))
    resp = client.delete(f"/api/v1/threads/{thread.id}/follow", headers=headers)
    assert resp.get_json() == {"thread_id": thread.id, "following": False}
    assert db.scalar(select(ThreadFollow.id).where(ThreadFollow.user_id == user.id)) is None
    assert_error(client.post(f"/api/v1/threads/{thread.id}/follow"), 401)


def test_mark_read_moves_the_unread_count(client, make, bearer):
    board = make.board()
    reader = make.member_of(board)
    headers = bearer(reader)
    thread = make.thread(board).thread

    def unread() -> int:
        items = client.get("/api/v1/boards", headers=headers).get_json()["items"]
        return next(b for b in items if b["slug"] == board.slug)["unread_threads"]

    assert unread() == 1
    client.get(f"/api/v1/threads/{thread.id}/posts", headers=headers)
    assert unread() == 1  # reading alone changes nothing
    resp = client.post(f"/api/v1/threads/{thread.id}/read", headers=headers,
                       json={"post_id": thread.last_post_id})
    assert resp.status_code == 204
    assert unread() == 0
    assert_error(client.post(f"/api/v1/threads/{thread.id}/read", json={"post_id": 1}), 401)
    error = assert_error(client.post(f"/api/v1/threads/{thread.id}/read", headers=headers,
                                     json={}), 422)
    assert error["fields"] == {"post_id": "Enter the id of the last post you read."}
