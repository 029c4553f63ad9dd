"""The account actions called directly, as the API and CLI call them."""

from __future__ import annotations

import pytest
from helpers import PASSWORD
from sqlalchemy import func, select

from forum.accounts import actions
from forum.accounts.actions import (
    authenticate,
    do_change_password,
    do_login,
    do_logout,
)
from forum.accounts.email_change import do_request_email_change
from forum.accounts.models import AccountEmail, PendingRegistration, User, UserStatus
from forum.accounts.passwords import dummy_hash
from forum.accounts.registration import do_register
from forum.audit.models import AuditEntry
from forum.errors import Invalid, Unauthorised
from forum.permissions import Viewer


def _audit_count(db) -> int:  # type: ignore[no-untyped-def]
    return int(db.scalar(select(func.count(AuditEntry.id))) or 0)


def test_authenticate_finds_by_username_or_email(db, make) -> None:
    user = make.user("Rowan", email="rowan@example.org")
    assert authenticate(db, "rowan", PASSWORD) == user
    assert authenticate(db, " Rowan@EXAMPLE.org ", PASSWORD) == user
    assert authenticate(db, "Rowan", "wrong password here") is None


def test_authenticate_checks_a_dummy_hash_when_there_is_no_account(db, monkeypatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr(actions, "verify_password",
                        lambda stored, given: seen.append(stored) or False)
    assert authenticate(db, "nobody", PASSWORD) is None
    assert authenticate(db, "", "") is None
    assert seen == [dummy_hash(), dummy_hash()]


def test_authenticate_refuses_suspended_accounts(db, make) -> None:
    make.user("Sleeper", status=UserStatus.SUSPENDED)
    assert authenticate(db, "Sleeper", PASSWORD) is None


def test_refused_sign_in_leaves_no_trace(db, make, captured_events) -> None:
    user = make.user("Rowan")
    before = _audit_count(db)
    with pytest.raises(Invalid):
        do_login(db, login="Rowan", password="not the password")
    db.refresh(user)
    assert user.last_seen_at is None
    assert _audit_count(db) == before
    assert captured_events == []


def test_logout_of_nobody_records_nothing(db) -> None:
    do_logout(db, actor=Viewer())
    assert _audit_count(db) == 0


def test_register_with_a_used_email_creates_and_audits_nothing(db, make) -> None:
    make.user("Owner", email="owner@example.org")
    before = (_audit_count(db), db.scalar(select(func.count(User.id))))
    pending = do_register(db, username="Newcomer", email="owner@example.org",
                          password="kettle marmalade lighthouse", accepted_guidelines=True)
    assert (_audit_count(db), db.scalar(select(func.count(User.id)))) == before
    # The request keeps the sign-up and queues one email, as for any address: which email
    # it is gets decided by the background job.
    assert db.get(PendingRegistration, pending.id) is not None
    [queued] = db.scalars(select(AccountEmail)).all()
    assert (queued.kind, queued.registration_id, queued.user_id) == (
        "registration", pending.id, None)


def test_register_reports_every_problem_at_once(db) -> None:
    with pytest.raises(Invalid) as caught:
        do_register(db, username="Adm1n", email="nope", password="short",
                    accepted_guidelines=False)
    assert set(caught.value.fields) == {"username", "email", "password", "accept_guidelines"}


def test_anonymous_cannot_change_password_or_email(db) -> None:
    with pytest.raises(Unauthorised):
        do_change_password(db, actor=Viewer(), current_password=PASSWORD,
                           new_password="seven green umbrellas upstairs")
    with pytest.raises(Unauthorised):
        do_request_email_change(db, actor=Viewer(), current_password=PASSWORD,
                                new_email="new@example.org")
    assert _audit_count(db) == 0


def test_a_member_loaded_for_a_request_is_clean_and_tracks_changes(app, db, make) -> None:
    """forum.auth puts the row's values straight into the instance, as the ORM's loader
    does: it must read like a queried member, be clean, and save what is changed."""
    from forum.auth import load_user

    member = make.user(username="loaded_member")
    member_id = member.id
    db.expunge_all()
    with app.test_request_context():
        loaded = load_user(db, member_id)
        assert loaded is not None and loaded is load_user(db, member_id)
        fresh = db.scalar(select(User).where(User.id == member_id))
        assert fresh is loaded  # the same identity: no second copy in the session
        assert loaded.username == "loaded_member" and loaded.status == UserStatus.ACTIVE
        assert not db.dirty and not db.new
        loaded.post_count = 41
        assert loaded in db.dirty
        db.commit()
        db.expunge_all()
        assert db.get(User, member_id).post_count == 41
