"""Registration through the page: pseudonymous names, password rules, guidelines, and an
answer that never says whether an email address already has an account."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.accounts.models import User
from forum.audit.models import AuditEntry

GOOD_PASSWORD = "kettle marmalade lighthouse"


def _form(**overrides: str) -> dict[str, str]:
    data = {"username": "QuietHeron", "email": "heron@example.org",
            "password": GOOD_PASSWORD, "accept_guidelines": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _users(db) -> int:  # type: ignore[no-untyped-def]
    return int(db.scalar(select(func.count(User.id))) or 0)


def _flashes(client) -> list[str]:  # type: ignore[no-untyped-def]
    with client.session_transaction() as sess:
        return [message for _category, message in sess.get("_flashes", [])]


def test_register_page_has_the_fields_and_a_link_to_the_guidelines(client) -> None:
    page = client.get("/register").get_data(as_text=True)
    assert 'autocomplete="username"' in page
    assert 'autocomplete="email"' in page
    assert 'autocomplete="new-password"' in page
    assert 'href="/guidelines"' in page


def test_register_creates_the_account_signs_in_and_audits(client, db, signed_in) -> None:
    resp = client.post("/register", data=_form())
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/"
    user = db.scalar(select(User).where(User.username == "QuietHeron"))
    assert user is not None and user.email == "heron@example.org"
    assert user.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in user.password_hash
    assert signed_in(client)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user:register"))
    assert entry is not None and entry.actor_id == user.id and entry.subject_id == user.id


def test_register_sends_a_welcome_email(client, mailbox) -> None:
    client.post("/register", data=_form())
    [msg] = mailbox.to("heron@example.org")
    assert "Welcome" in msg["Subject"]
    assert GOOD_PASSWORD not in mailbox.body(msg)


@pytest.mark.parametrize("name", ["Adm1n", "NHS_team", "moderator", "m0derator", "Staff.Member"])
def test_register_refuses_staff_like_names(client, db, name: str) -> None:
    before = _users(db)
    resp = client.post("/register", data=_form(username=name))
    assert resp.status_code == 422
    assert "kept for the service" in resp.get_data(as_text=True)
    assert _users(db) == before


def test_register_refuses_a_name_that_differs_only_in_case(client, db, make) -> None:
    make.user("Maple")
    resp = client.post("/register", data=_form(username="maple"))
    assert resp.status_code == 422
    assert "That username is taken" in resp.get_data(as_text=True)
    assert db.scalar(select(func.count(User.id)).where(User.username == "maple")) == 0


@pytest.mark.parametrize(("password", "message"), [
    ("short", "at least 10 characters"),
    ("1111111111", "too common"),
    ("Password123", "too common"),
    ("x" * 129, "128 characters or fewer"),
])
def test_register_refuses_weak_passwords_with_a_reason(client, db, password: str,
                                                       message: str) -> None:
    before = _users(db)
    resp = client.post("/register", data=_form(password=password))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: " in page
    assert password not in page  # never echoed back
    assert _users(db) == before


def test_register_accepts_long_passphrases_without_composition_rules(client, db) -> None:
    passphrase = "all lower case words and spaces " * 3  # 96 characters, no digits
    resp = client.post("/register", data=_form(password=passphrase.strip()))
    assert resp.status_code == 303
    assert db.scalar(select(User).where(User.username == "QuietHeron")) is not None


def test_register_requires_accepting_the_guidelines(client, db) -> None:
    before = _users(db)
    resp = client.post("/register", data=_form(accept_guidelines=None))  # type: ignore[arg-type]
    assert resp.status_code == 422
    assert "agree to the community guidelines" in resp.get_data(as_text=True)
    assert _users(db) == before


def test_register_with_a_used_email_looks_the_same_and_tells_the_owner(
        app, client, db, make, mailbox, signed_in) -> None:
    owner = make.user("Owner", email="owner@example.org")
    fresh = app.test_client()
    normal = fresh.post("/register", data=_form(username="FirstTimer",
                                                email="first@example.org"))
    before = _users(db)

    resp = client.post("/register", data=_form(username="Somebody", email="Owner@Example.org"))

    assert (resp.status_code, resp.headers["Location"]) == (
        normal.status_code, normal.headers["Location"])
    assert _flashes(client) == _flashes(fresh)
    assert _users(db) == before
    assert db.scalar(select(User).where(User.username == "Somebody")) is None
    [warning] = mailbox.to(owner.email)
    assert "tried" in warning["Subject"]
    assert "did not create another one" in mailbox.body(warning)
    assert not signed_in(client)


@pytest.mark.parametrize("data", [
    {},
    {"username": "", "email": "", "password": ""},
    {"username": "a" * 5000, "email": "b" * 5000, "password": "c" * 5000,
     "accept_guidelines": "y"},
    {"username": "nul\x00name", "email": "nul\x00@example.org", "password": "p\x00" * 10,
     "accept_guidelines": "y"},
    {"username": "ok_name", "email": "not-an-email", "password": GOOD_PASSWORD,
     "accept_guidelines": "y"},
])
def test_register_bad_input_is_a_clear_4xx(client, db, data: dict[str, str]) -> None:
    before = _users(db)
    resp = client.post("/register", data=data)
    assert resp.status_code == 422
    assert "There is a problem" in resp.get_data(as_text=True)
    assert _users(db) == before
