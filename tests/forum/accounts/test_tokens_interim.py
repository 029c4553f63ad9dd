"""Interim token module (forum/accounts/tokens.py): drop with it once branch accounts lands."""

from __future__ import annotations

import pytest
from helpers import PASSWORD
from sqlalchemy import select

from forum.accounts.models import ApiToken, UserStatus
from forum.accounts.tokens import authenticate, do_create_token, do_revoke_token
from forum.audit.models import AuditEntry
from forum.auth import hash_token
from forum.errors import Forbidden, Invalid, Unauthorised
from forum.permissions import Viewer


def test_authenticate_accepts_username_or_email_with_the_right_password(db, make):
    user = make.user("riverwalker")
    assert authenticate(db, "RiverWalker", PASSWORD) is user
    assert authenticate(db, "riverwalker@example.org", PASSWORD) is user
    assert authenticate(db, "riverwalker", PASSWORD + "x") is None
    assert authenticate(db, "nobody-here", PASSWORD) is None
    assert authenticate(db, "", PASSWORD) is None


def test_authenticate_refuses_a_suspended_account(db, make):
    user = make.user(status=UserStatus.SUSPENDED)
    assert authenticate(db, user.username, PASSWORD) is None


def test_create_token_stores_only_a_hash_and_audits(db, make, captured_events):
    user = make.user()
    token, secret = do_create_token(db, actor=make.viewer(user), name="  my   phone ")
    assert secret.startswith("alo_") and len(secret) > 40
    assert token.token_hash == hash_token(secret) and secret not in token.token_hash
    assert token.name == "my phone" and token.prefix == secret[:12]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "token:create"))
    assert entry.actor_id == user.id and entry.subject_id == token.id
    assert secret not in str(entry.after)
    assert captured_events == []


def test_create_token_refuses_anonymous_and_long_names_leaving_no_trace(db, make):
    user = make.user()
    with pytest.raises(Unauthorised):
        do_create_token(db, actor=Viewer(), name="x")
    with pytest.raises(Invalid) as exc:
        do_create_token(db, actor=make.viewer(user), name="x" * 81)
    assert "name" in exc.value.fields
    db.rollback()
    assert db.scalar(select(ApiToken.id)) is None
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "token:create")) is None


def test_revoke_token_marks_it_revoked_and_audits_once(db, make):
    user = make.user()
    token, _secret = do_create_token(db, actor=make.viewer(user), name="t")
    do_revoke_token(db, actor=make.viewer(user), token_id=token.id)
    first = token.revoked_at
    do_revoke_token(db, actor=make.viewer(user), token_id=token.id)
    assert first is not None and token.revoked_at == first
    assert len(db.scalars(select(AuditEntry).where(
        AuditEntry.action == "token:revoke")).all()) == 1


def test_revoke_token_of_someone_else_is_refused_without_trace(db, make):
    owner, other = make.user(), make.user()
    token, _secret = do_create_token(db, actor=make.viewer(owner), name="t")
    with pytest.raises(Forbidden):
        do_revoke_token(db, actor=make.viewer(other), token_id=token.id)
    db.rollback()
    assert db.get(ApiToken, token.id).revoked_at is None
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "token:revoke")) is None
