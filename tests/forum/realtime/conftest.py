"""Fixtures for the Socket.IO tests: signed-in test clients and personal access tokens."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask_socketio.test_client import SocketIOTestClient
from sqlalchemy.orm import Session

from forum.accounts.models import ApiToken, User
from forum.auth import TOKEN_PREFIX, hash_token
from forum.extensions import socketio
from forum.realtime import bind_socketio


@pytest.fixture()
def sock(app: Flask, db: Session) -> Iterator[Callable[..., SocketIOTestClient]]:
    """``sock(user=None, auth=None)``: a Socket.IO test client signed in as ``user`` by
    the session cookie (like a browser), or connecting with ``auth`` (like an API client)."""
    opened: list[SocketIOTestClient] = []
    if socketio.server is not app.extensions.get("socketio_server"):
        # Another test built its own app, and with it took the process's Socket.IO server.
        bind_socketio(app)

    def _open(user: User | None = None, auth: dict[str, Any] | None = None
              ) -> SocketIOTestClient:
        http = app.test_client()
        if user is not None:
            with http.session_transaction() as sess:
                sess["_user_id"] = user.get_id()
                sess["_fresh"] = True
        client = socketio.test_client(app, flask_test_client=http, auth=auth)
        opened.append(client)
        return client

    yield _open
    for client in opened:
        if client.is_connected():
            client.disconnect()


@pytest.fixture()
def token_for(db: Session) -> Callable[[User], str]:
    """A personal access token for ``user``, stored hashed as the accounts code does."""

    def _token(user: User) -> str:
        secret = TOKEN_PREFIX + secrets.token_urlsafe(24)
        db.add(ApiToken(user_id=user.id, name="test", token_hash=hash_token(secret),
                        prefix=secret[:12]))
        db.commit()
        return secret

    return _token

