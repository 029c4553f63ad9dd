"""Registration: pseudonymous names, password rules, guidelines, an answer that never says
whether an email address already has an account, and the emailed link that creates the
account (through a real SMTP server on loopback)."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.accounts.models import AccountEmail, PendingRegistration, User
from forum.accounts.registration import make_registration_token
from forum.audit.models import AuditEntry
from forum.db import utcnow
from forum.privacy.models import SignInAddress

GOOD_PASSWORD = "kettle marmalade lighthouse"
SENT = "We've sent a link to finish creating your account"
LINK_GONE = "expired or has already been used"


def _form(**overrides: str) -> dict[str, str]:
    data = {"username": "QuietHeron", "email": "heron@example.org",
            "password": GOOD_PASSWORD, "accept_guidelines": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _users(db) -> int:  # type: ignore[no-untyped-def]
    return int(db.scalar(select(func.count(User.id))) or 0)


def _page(resp) -> str:  # type: ignore[no-untyped-def]
    # The script nonce and CSRF token are new on every page; everything else must match.
    text = re.sub(r'nonce="[^"]*"', "", resp.get_data(as_text=True))
    return re.sub(r'name="csrf_token" type="hidden" value="[^"]*"', "", text)


def _link_path(mailbox, address: str) -> str:  # type: ignore[no-untyped-def]
    [msg] = [m for m in mailbox.to(address) if "Finish creating" in m["Subject"]]
    match = re.search(r"http://localhost(/register/finish/\S+)", mailbox.body(msg))
    assert match is not None
    return match.group(1)


def _register_and_get_link(client, mailbox, deliver, **form: str) -> str:  # type: ignore[no-untyped-def]
    resp = client.post("/register", data=_form(**form))
    assert resp.status_code == 200
    deliver()
    return _link_path(mailbox, _form(**form)["email"])


def test_register_page_has_the_fields_and_a_link_to_the_guidelines(client) -> None:
    page = client.get("/register").get_data(as_text=True)
    assert 'autocomplete="username"' in page
    assert 'autocomplete="email"' in page
    assert 'autocomplete="new-password"' in page
    assert 'href="/guidelines"' in page


def test_register_says_check_your_email_and_makes_no_account_yet(
        client, db, mailbox, signed_in) -> None:
    resp = client.post("/register", data=_form())
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Check your email" in page and SENT in page
    assert _users(db) == 0
    assert not signed_in(client)
    pending = db.scalar(select(PendingRegistration))
    assert pending is not None and pending.email == "heron@example.org"
    assert pending.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in pending.password_hash
    # Nothing was sent while the page waited: the mail is in the outbox for the job.
    assert mailbox.messages == []
    assert db.scalar(select(func.count(AccountEmail.id))) == 1


def test_the_emailed_link_creates_the_account_and_signs_in(
        app, client, db, mailbox, deliver, signed_in) -> None:
    path = _register_and_get_link(client, mailbox, deliver)
    [msg] = mailbox.to("heron@example.org")
    assert "works once" in mailbox.body(msg)
    assert GOOD_PASSWORD not in mailbox.body(msg)

    page = client.get(path)
    assert page.status_code == 200
    assert "QuietHeron" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert _users(db) == 0  # opening the link (as a mail scanner might) creates nothing

    done = client.post(path)
    assert done.status_code == 303 and done.headers["Location"] == "/"
    assert signed_in(client)
    user = db.scalar(select(User).where(User.username == "QuietHeron"))
    assert user is not None and user.email == "heron@example.org"
    assert user.password_hash.startswith("$argon2id$")
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user:register"))
    assert entry is not None and entry.actor_id == user.id and entry.subject_id == user.id
    assert db.scalar(select(SignInAddress.ip).where(SignInAddress.user_id == user.id))
    assert db.scalar(select(PendingRegistration)) is None

    deliver()
    welcome = [m for m in mailbox.to("heron@example.org") if "ready" in mailbox.body(m)]
    assert len(welcome) == 1


def test_the_link_works_once(app, client, db, mailbox, deliver) -> None:
    path = _register_and_get_link(client, mailbox, deliver)
    assert client.post(path).status_code == 303
    again = app.test_client()
    for resp in (again.get(path), again.post(path)):
        assert resp.status_code == 400
        assert LINK_GONE in resp.get_data(as_text=True)
    assert _users(db) == 1


def test_the_link_expires(app, client, db) -> None:
    client.post("/register", data=_form())
    pending = db.scalar(select(PendingRegistration))
    max_age = app.config["REGISTRATION_LINK_MAX_AGE"]
    old = make_registration_token(pending, clock=lambda: time.time() - max_age - 60)
    resp = client.get(f"/register/finish/{old}")
    assert resp.status_code == 400 and LINK_GONE in resp.get_data(as_text=True)
    # A fresh signature cannot stretch it either: the sign-up itself is too old.
    pending.created_at = utcnow() - timedelta(seconds=max_age + 60)
    db.commit()
    fresh = make_registration_token(pending)
    assert client.post(f"/register/finish/{fresh}").status_code == 400
    assert _users(db) == 0


@pytest.mark.parametrize("token", ["not-a-link", "x" * 2000, "eyJyIjoxfQ.bad.sig"])
def test_a_broken_link_is_a_calm_400(client, token: str) -> None:
    resp = client.get(f"/register/finish/{token}")
    assert resp.status_code == 400
    assert LINK_GONE in resp.get_data(as_text=True)


def test_a_link_with_another_nonce_fails(client, db) -> None:
    client.post("/register", data=_form())
    pending = db.scalar(select(PendingRegistration))
    real = pending.nonce
    pending.nonce = "somethingelse"
    forged = make_registration_token(pending)
    pending.nonce = real
    assert client.post(f"/register/finish/{forged}").status_code == 400
    assert _users(db) == 0


def test_expired_sign_ups_are_forgotten_by_the_job(app, client, db, deliver) -> None:
    client.post("/register", data=_form())
    pending = db.scalar(select(PendingRegistration))
    pending.created_at = utcnow() - timedelta(
        seconds=app.config["REGISTRATION_LINK_MAX_AGE"] + 1)
    db.commit()
    run = deliver()
    assert run.expired_registrations == 1
    assert db.scalar(select(PendingRegistration)) is None


def test_a_name_taken_meanwhile_is_asked_for_again(client, db, make, mailbox,
                                                   deliver) -> None:
    path = _register_and_get_link(client, mailbox, deliver)
    make.user("quietheron")  # someone else, before the link is used
    page = client.get(path)
    assert page.status_code == 200 and "Choose another username" in page.get_data(as_text=True)
    refused = client.post(path, data={"username": "QuietHeron"})
    assert refused.status_code == 422
    assert "That username is taken" in refused.get_data(as_text=True)
    assert client.post(path, data={"username": "StillHeron"}).status_code == 303
    user = db.scalar(select(User).where(User.email == "heron@example.org"))
    assert user is not None and user.username == "StillHeron"


def test_two_sign_ups_for_one_address_make_one_account(client, db, mailbox, deliver) -> None:
    client.post("/register", data=_form())
    client.post("/register", data=_form(username="OtherHeron"))
    deliver()
    first, second = (re.search(r"http://localhost(/register/finish/\S+)",
                               mailbox.body(m)).group(1)  # type: ignore[union-attr]
                     for m in mailbox.to("heron@example.org"))
    assert client.post(first).status_code == 303
    assert _users(db) == 1
    other = client.application.test_client()
    resp = other.post(second)
    assert resp.status_code == 400
    assert LINK_GONE in resp.get_data(as_text=True)  # the other sign-up was forgotten
    assert db.scalar(select(PendingRegistration)) is None


def test_a_signed_in_visitor_is_not_switched_to_a_new_account(
        client, db, make, login, mailbox, deliver) -> None:
    path = _register_and_get_link(client, mailbox, deliver)
    login(make.user("Already"))
    resp = client.post(path)
    assert resp.status_code == 303
    assert db.scalar(select(User).where(User.username == "QuietHeron")) is None


@pytest.mark.parametrize("name", ["Adm1n", "NHS_team", "moderator", "m0derator", "Staff.Member"])
def test_register_refuses_staff_like_names(client, db, name: str) -> None:
    resp = client.post("/register", data=_form(username=name))
    assert resp.status_code == 422
    assert "kept for the service" in resp.get_data(as_text=True)
    assert db.scalar(select(PendingRegistration)) is None


def test_register_refuses_a_name_that_differs_only_in_case(client, db, make) -> None:
    make.user("Maple")
    resp = client.post("/register", data=_form(username="maple"))
    assert resp.status_code == 422
    assert "That username is taken" in resp.get_data(as_text=True)
    assert db.scalar(select(PendingRegistration)) is None


@pytest.mark.parametrize(("password", "message"), [
    ("short", "at least 10 characters"),
    ("1111111111", "too common"),
    ("Password123", "too common"),
    ("x" * 129, "128 characters or fewer"),
])
def test_register_refuses_weak_passwords_with_a_reason(client, db, password: str,
                                                       message: str) -> None:
    resp = client.post("/register", data=_form(password=password))
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page
    assert page.startswith("<!DOCTYPE html>") and "<title>Error: " in page
    assert password not in page  # never echoed back
    assert db.scalar(select(PendingRegistration)) is None


def test_register_accepts_long_passphrases_without_composition_rules(client, db) -> None:
    passphrase = "all lower case words and spaces " * 3  # 96 characters, no digits
    resp = client.post("/register", data=_form(password=passphrase.strip()))
    assert resp.status_code == 200
    assert db.scalar(select(PendingRegistration)) is not None


def test_register_requires_accepting_the_guidelines(client, db) -> None:
    resp = client.post("/register", data=_form(accept_guidelines=None))  # type: ignore[arg-type]
    assert resp.status_code == 422
    assert "agree to the community guidelines" in resp.get_data(as_text=True)
    assert db.scalar(select(PendingRegistration)) is None


def test_register_with_a_used_email_looks_the_same_and_tells_the_owner(
        app, client, db, make, mailbox, deliver, signed_in) -> None:
    owner = make.user("Owner", email="owner@example.org")
    fresh = app.test_client()
    normal = fresh.post("/register", data=_form(username="FirstTimer",
                                                email="first@example.org"))
    before = _users(db)

    resp = client.post("/register", data=_form(username="Somebody", email="Owner@Example.org"))

    assert resp.status_code == normal.status_code == 200
    assert _page(resp) == _page(normal)
    assert resp.headers.get("Location") is None and normal.headers.get("Location") is None
    assert not signed_in(client) and not signed_in(fresh)
    assert mailbox.messages == []  # nothing sent inline, for either

    deliver()
    assert _users(db) == before
    assert db.scalar(select(User).where(User.username == "Somebody")) is None
    [warning] = mailbox.to(owner.email)
    body = mailbox.body(warning)
    assert "tried" in warning["Subject"]
    assert "did not create another one" in body
    assert "/sign-in" in body and "/reset-password" in body
    assert "/register/finish/" not in body
    assert "/register/finish/" in mailbox.body(mailbox.to("first@example.org")[0])
    # The attempt's name and password hash are not kept once the owner has been told.
    assert db.scalar(select(PendingRegistration).where(
        PendingRegistration.email_key == "owner@example.org")) is None


def test_register_does_the_same_work_for_a_used_and_a_new_address(
        client, db, make, statements) -> None:
    make.user("Owner", email="owner@example.org")
    with statements.record() as used:
        client.post("/register", data=_form(username="Somebody", email="owner@example.org"))
    with statements.record() as new:
        client.post("/register", data=_form(username="Newcomer", email="new@example.org"))
    assert used.recorded == new.recorded
    assert sum(s.startswith("INSERT INTO account_emails") for s in new.recorded) == 1
    assert not any(s.startswith("INSERT INTO users") for s in new.recorded)


@pytest.mark.parametrize("data", [
    {},
    {"username": "", "email": "", "password": ""},
    {"username": "a" * 5000, "email": "b" * 5000, "password": "c" * 5000,
     "accept_guidelines": "y"},
    {"username": "ok_name", "email": "not-an-email", "password": GOOD_PASSWORD,
     "accept_guidelines": "y"},
])
def test_register_bad_input_is_a_clear_4xx(client, db, data: dict[str, str]) -> None:
    resp = client.post("/register", data=data)
    assert resp.status_code == 422
    assert "There is a problem" in resp.get_data(as_text=True)
    assert db.scalar(select(PendingRegistration)) is None


def test_register_with_a_nul_character_is_a_calm_422(client, db) -> None:
    resp = client.post("/register", data={
        "username": "nul\x00name", "email": "nul\x00@example.org", "password": "p\x00" * 10,
        "accept_guidelines": "y"})
    assert resp.status_code == 422
    assert "Enter an email address in the correct format" in resp.get_data(as_text=True)
    assert db.scalar(select(PendingRegistration)) is None


def test_a_name_taken_at_the_same_moment_is_a_calm_try_again(
        client, db, make, mailbox, deliver, monkeypatch) -> None:
    """Two people finishing with one name at once: the unique index decides, the loser is
    asked to open the link again, and their sign-up is still there for it."""
    from forum.accounts import registration, views

    path = _register_and_get_link(client, mailbox, deliver)
    make.user("QuietHeron")
    # As if the other person's account appeared between the check and the write.
    for module in (registration, views):
        monkeypatch.setattr(module, "username_free", lambda _session, _name: True)
    resp = client.post(path)
    assert resp.status_code == 400
    assert "open the link in your email again" in resp.get_data(as_text=True)
    assert db.scalar(select(PendingRegistration)) is not None
    assert db.scalar(select(User).where(User.email == "heron@example.org")) is None
