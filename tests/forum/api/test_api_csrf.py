"""CSRF on the API: token-authenticated calls need none; cookie-authenticated writes do."""

from __future__ import annotations

import secrets

import pytest
from helpers import PASSWORD, assert_error
from itsdangerous import URLSafeTimedSerializer


@pytest.fixture()
def csrf_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def csrf_header(client, app) -> dict[str, str]:
    """Put a CSRF secret in the client's session, as a page load would, and sign it."""
    raw = secrets.token_hex(20)
    with client.session_transaction() as sess:
        sess["csrf_token"] = raw
    signed = URLSafeTimedSerializer(app.secret_key, salt="wtf-csrf-token").dumps(raw)
    return {"X-CSRFToken": signed}


def test_cookie_write_without_csrf_token_is_refused(client, make, login, csrf_on):
    board = make.board()
    login(make.user())
    error = assert_error(client.post(f"/api/v1/boards/{board.slug}/join"), 400, "csrf_failed")
    assert "security check" in error["message"]
    assert_error(client.post(f"/api/v1/boards/{board.slug}/threads",
                             json={"title": "t", "body": "b"}), 400, "csrf_failed")


def test_cookie_write_with_csrf_header_is_allowed(client, app, make, login, csrf_on):
    board = make.board()
    login(make.user())
    resp = client.post(f"/api/v1/boards/{board.slug}/join", headers=csrf_header(client, app))
    assert resp.status_code == 200 and resp.get_json()["is_member"] is True


def test_cookie_reads_need_no_csrf_token(client, make, login, csrf_on):
    login(make.user())
    assert client.get("/api/v1/me").status_code == 200


def test_token_write_needs_no_csrf_token(client, make, bearer, csrf_on):
    board = make.board()
    resp = client.post(f"/api/v1/boards/{board.slug}/threads", headers=bearer(make.user()),
                       json={"title": "t", "body": "b"})
    assert resp.status_code == 201


def test_creating_a_token_needs_no_csrf_token(client, make, csrf_on):
    user = make.user()
    resp = client.post("/api/v1/tokens", json={"login": user.username, "password": PASSWORD})
    assert resp.status_code == 201
