"""Boards over the API: listing, reading, joining and leaving, and a board's threads."""

from __future__ import annotations

from helpers import assert_error
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.boards.models import BoardMembership


def test_list_boards_hides_private_boards_from_outsiders(client, make, bearer):
    public = make.board("Carers together")
    make.board("Long covid", visibility="members")
    private = make.board("Young carers", visibility="private")
    member = make.member_of(public)
    resp = client.get("/api/v1/boards")
    slugs = [b["slug"] for b in resp.get_json()["items"]]
    assert "carers-together" in slugs and "long-covid" in slugs
    assert private.slug not in slugs
    data = client.get("/api/v1/boards", headers=bearer(member)).get_json()
    mine = next(b for b in data["items"] if b["slug"] == public.slug)
    assert mine["is_member"] is True and mine["unread_threads"] == 0
    assert mine["url"] == "http://localhost/boards/carers-together"
    assert private.slug not in [b["slug"] for b in data["items"]]


def test_private_board_is_listed_and_readable_for_its_members(client, db, make, bearer):
    private = make.board("Young carers", visibility="private")
    insider = make.user()
    db.add(BoardMembership(board_id=private.id, user_id=insider.id))
    db.commit()
    headers = bearer(insider)
    slugs = [b["slug"] for b in client.get("/api/v1/boards", headers=headers).get_json()["items"]]
    assert private.slug in slugs
    assert client.get(f"/api/v1/boards/{private.slug}", headers=headers).status_code == 200


def test_private_board_is_404_to_outsiders_and_anonymous(client, make, bearer):
    private = make.board("Young carers", visibility="private")
    outsider = make.user()
    for headers in ({}, bearer(outsider)):
        for path in (f"/api/v1/boards/{private.slug}", f"/api/v1/boards/{private.slug}/threads"):
            assert_error(client.get(path, headers=headers), 404, "not_found")
    assert_error(client.post(f"/api/v1/boards/{private.slug}/join",
                             headers=bearer(outsider)), 404)


def test_members_only_board_is_401_to_anonymous_and_open_to_members(client, make, bearer):
    board = make.board("Long covid", visibility="members")
    assert_error(client.get(f"/api/v1/boards/{board.slug}"), 401, "unauthorised")
    assert_error(client.get(f"/api/v1/boards/{board.slug}/threads"), 401)
    resp = client.get(f"/api/v1/boards/{board.slug}", headers=bearer(make.user()))
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["visibility"] == "members" and data["is_member"] is False
    assert "email" not in resp.get_data(as_text=True)


def test_join_and_leave_a_board(client, db, make, bearer):
    board = make.board("Carers together")
    user = make.user()
    headers = bearer(user)
    resp = client.post(f"/api/v1/boards/{board.slug}/join", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["is_member"] is True
    assert db.scalar(select(BoardMembership.id).where(BoardMembership.user_id == user.id))
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "board:join",
                                                 AuditEntry.actor_id == user.id))
    again = client.post(f"/api/v1/boards/{board.slug}/join", headers=headers)
    assert again.status_code == 200
    resp = client.delete(f"/api/v1/boards/{board.slug}/join", headers=headers)
    assert resp.status_code == 200 and resp.get_json()["is_member"] is False
    assert db.scalar(select(BoardMembership.id).where(BoardMembership.user_id == user.id)) is None


def test_join_needs_authentication(client, make):
    board = make.board()
    assert_error(client.post(f"/api/v1/boards/{board.slug}/join"), 401)
    assert_error(client.delete(f"/api/v1/boards/{board.slug}/join"), 401)


def test_board_threads_are_paginated(client, app, make, monkeypatch):
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 2)
    board = make.board()
    titles = [make.thread(board, title=f"Question {n}").thread.title for n in range(3)]
    first = client.get(f"/api/v1/boards/{board.slug}/threads").get_json()
    assert (first["page"], first["pages"], first["total"], first["per_page"]) == (1, 2, 3, 2)
    second = client.get(f"/api/v1/boards/{board.slug}/threads?page=2").get_json()
    seen = [t["title"] for t in first["items"] + second["items"]]
    assert sorted(seen) == sorted(titles) and len(second["items"]) == 1
    assert first["items"][0]["url"].startswith("http://localhost/threads/")
    assert first["items"][0]["unread"] is None


def test_board_threads_page_must_be_a_positive_whole_number(client, make):
    board = make.board()
    error = assert_error(client.get(f"/api/v1/boards/{board.slug}/threads?page=0"), 422)
    assert error["fields"] == {"page": "This must be 1 or more."}
    error = assert_error(client.get(f"/api/v1/boards/{board.slug}/threads?page=two"), 422)
    assert error["fields"] == {"page": "This must be a whole number."}
    assert_error(client.get(f"/api/v1/boards/{board.slug}/threads?page=" + "9" * 30), 422)
