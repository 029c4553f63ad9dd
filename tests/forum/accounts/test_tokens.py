"""Personal access tokens: shown once, stored hashed, revocable, refused once revoked."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy import func, select

from forum.accounts.actions import MAX_ACTIVE_TOKENS, do_create_token, do_revoke_token
from forum.accounts.models import ApiToken
from forum.audit.models import AuditEntry
from forum.auth import TOKEN_PREFIX, hash_token, user_from_token
from forum.errors import Invalid, NotFound, Unauthorised
from forum.permissions import Viewer


def _secret_on(page: str) -> str | None:
    match = re.search(r'data-testid="new-token">([^<]+)<', page)
    return match.group(1) if match else None


def _token_from(app: Flask, secret: str):  # type: ignore[no-untyped-def]
    # A fresh app context: its own ``g`` and so its own database session, as in a request.
    with app.app_context(), app.test_request_context(
            headers={"Authorization": f"Bearer {secret}"}):
        user = user_from_token(secret)
        return user.id if user else None


def test_create_token_shows_the_secret_once_and_stores_only_its_hash(client, db, make,
                                                                      login) -> None:
    user = make.user("Rowan")
    resp = login(user).post("/settings/tokens", data={"name": "My phone"})
    assert resp.status_code == 201
    assert resp.headers["Cache-Control"] == "no-store"
    secret = _secret_on(resp.get_data(as_text=True))
    assert secret is not None and secret.startswith(TOKEN_PREFIX)

    token = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token is not None and token.name == "My phone"
    assert token.token_hash == hash_token(secret) and secret not in token.token_hash
    assert secret.startswith(token.prefix)
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "token:create"))
    assert (entry.actor_id, entry.subject_id) == (user.id, token.id)

    later = client.get("/settings").get_data(as_text=True)
    assert secret not in later and _secret_on(later) is None
    assert "My phone" in later and token.prefix in later


def test_a_new_token_signs_its_owner_in(app, db, make) -> None:
    user = make.user("Rowan")
    _token, secret = do_create_token(db, actor=make.viewer(user), name="script")
    assert _token_from(app, secret) == user.id


def test_revoke_token_stops_it_working(app, client, db, make, login) -> None:
    user = make.user("Rowan")
    token, secret = do_create_token(db, actor=make.viewer(user), name="old laptop")
    resp = login(user).post(f"/settings/tokens/{token.id}/revoke")
    assert resp.status_code == 303 and resp.headers["Location"] == "/settings"
    db.refresh(token)
    assert token.revoked_at is not None
    assert _token_from(app, secret) is None
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "token:revoke"))
    assert (entry.actor_id, entry.subject_id) == (user.id, token.id)
    assert "old laptop" not in client.get("/settings").get_data(as_text=True)


def test_revoking_twice_changes_nothing_more(db, make) -> None:
    user = make.user("Rowan")
    token, _secret = do_create_token(db, actor=make.viewer(user), name="twice")
    do_revoke_token(db, actor=make.viewer(user), token_id=token.id)
    do_revoke_token(db, actor=make.viewer(user), token_id=token.id)
    assert db.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "token:revoke")) == 1


def test_nobody_can_revoke_someone_elses_token(app, client, db, make, login) -> None:
    owner = make.user("Rowan")
    token, secret = do_create_token(db, actor=make.viewer(owner), name="mine")
    intruder = make.user("Nosy")
    resp = login(intruder).post(f"/settings/tokens/{token.id}/revoke")
    assert resp.status_code == 404
    db.refresh(token)
    assert token.revoked_at is None and _token_from(app, secret) == owner.id
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "token:revoke")).all() == []


@pytest.mark.parametrize("token_id", ["999999", "99999999999999999999", "0"])
def test_revoking_a_missing_token_is_404(client, make, login, token_id: str) -> None:
    resp = login(make.user("Rowan")).post(f"/settings/tokens/{token_id}/revoke")
    assert resp.status_code == 404


def test_an_anonymous_actor_cannot_create_or_revoke(db) -> None:
    with pytest.raises(Unauthorised):
        do_create_token(db, actor=Viewer(), name="x")
    with pytest.raises(Unauthorised):
        do_revoke_token(db, actor=Viewer(), token_id=1)
    assert db.scalar(select(func.count(ApiToken.id))) == 0
    assert db.scalar(select(func.count(AuditEntry.id))) == 0


@pytest.mark.parametrize(("name", "message"), [
    ("", "Enter a name"),
    ("   ", "Enter a name"),
    ("x" * 81, "80 characters or fewer"),
    ("bad\x00name", "cannot store"),
])
def test_token_names_are_checked(client, db, make, login, name: str, message: str) -> None:
    user = make.user("Rowan")
    resp = login(user).post("/settings/tokens", data={"name": name})
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page and "<title>Error: " in page and _secret_on(page) is None
    assert db.scalar(select(func.count(ApiToken.id))) == 0


def test_there_is_a_limit_on_working_tokens(db, make) -> None:
    user = make.user("Rowan")
    actor = make.viewer(user)
    for n in range(MAX_ACTIVE_TOKENS):
        do_create_token(db, actor=actor, name=f"token {n}")
    with pytest.raises(Invalid):
        do_create_token(db, actor=actor, name="one too many")
    assert db.scalar(select(func.count(ApiToken.id))) == MAX_ACTIVE_TOKENS


def test_do_revoke_token_raises_not_found_for_others(db, make) -> None:
    owner, other = make.user("Rowan"), make.user("Other")
    token, _ = do_create_token(db, actor=make.viewer(owner), name="mine")
    with pytest.raises(NotFound):
        do_revoke_token(db, actor=make.viewer(other), token_id=token.id)
