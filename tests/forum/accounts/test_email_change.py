"""Changing the email address: the form answers the same whether or not the new address
has an account, and the change is made from a link sent to the new address (through a
real SMTP server on loopback, sent by the account-mail job)."""

from __future__ import annotations

import difflib
import html
import re
import time
from datetime import timedelta

import pytest
from helpers import PASSWORD
from sqlalchemy import func, select

from forum.accounts.email_change import make_email_change_token
from forum.accounts.models import AccountEmail, PendingEmailChange, User
from forum.audit.models import AuditEntry
from forum.db import utcnow

SENT = "We've sent a link to the new address. Your email changes when you open it."
LINK_GONE = "expired or has already been used"
NEW = "rowan.new@example.org"


def _ask(client, email: str = NEW, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/settings/email", data={"email": email, "current_password": password})


def _page(resp) -> str:  # type: ignore[no-untyped-def]
    # The script nonce and CSRF token are new on every page; everything else must match.
    text = re.sub(r'nonce="[^"]*"', "", resp.get_data(as_text=True))
    return re.sub(r'<input[^>]*name="csrf_token"[^>]*>', "", text)


def _link_path(mailbox, address: str) -> str:  # type: ignore[no-untyped-def]
    [msg] = [m for m in mailbox.to(address) if "Confirm your new" in m["Subject"]]
    match = re.search(r"http://localhost(/settings/email/confirm/\S+)", mailbox.body(msg))
    assert match is not None
    return match.group(1)


def _changes(db) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == "user:change_email")))


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture()
def rowan(make):  # type: ignore[no-untyped-def]
    return make.user("Rowan", email="rowan@example.org")


def test_asking_changes_nothing_yet_and_sends_nothing_while_the_page_waits(
        client, db, login, rowan, mailbox) -> None:
    resp = _ask(login(rowan))
    assert resp.status_code == 303 and resp.headers["Location"] == "/settings"
    assert SENT in html.unescape(client.get("/settings").get_data(as_text=True))
    db.refresh(rowan)
    assert rowan.email == "rowan@example.org"
    pending = db.scalar(select(PendingEmailChange))
    assert pending is not None and pending.email == NEW and pending.user_id == rowan.id
    assert _count(db, AccountEmail) == 1
    assert mailbox.messages == []
    assert _changes(db) == []


def test_a_taken_and_a_free_address_get_the_same_answer(client, db, make, login,
                                                       rowan) -> None:
    make.user("Owner", email="owner@example.org")
    login(rowan)
    answers = []
    for address in ("Owner@Example.org", "nobody.yet@example.org"):
        resp = _ask(client, address)
        answers.append((resp.status_code, resp.headers["Location"], _page(resp),
                        _page(client.get("/settings"))))
    assert answers[0][:2] == answers[1][:2] == (303, "/settings")
    for taken, free in zip(answers[0][2:], answers[1][2:], strict=True):
        assert taken == free, "\n".join(difflib.unified_diff(
            taken.splitlines(), free.splitlines(), lineterm="", n=1))
    assert SENT in html.unescape(answers[0][3])
    assert "already" not in answers[0][3] and "cannot be used" not in answers[0][3]


def test_a_taken_and_a_free_address_do_the_same_database_work(
        db, make, login, rowan, statements) -> None:
    make.user("Owner", email="owner@example.org")
    client = login(rowan)
    with statements.record() as taken:
        _ask(client, "owner@example.org")
    with statements.record() as free:
        _ask(client, "nobody.yet@example.org")
    assert taken.recorded == free.recorded
    assert sum(s.startswith("INSERT INTO pending_email_changes") for s in free.recorded) == 1
    assert sum(s.startswith("INSERT INTO account_emails") for s in free.recorded) == 1
    assert not any(s.startswith("UPDATE users") for s in free.recorded)
    # One outbox row per request, whichever the address.
    assert _count(db, AccountEmail) == 2


def test_the_link_makes_the_change_once_and_tells_the_old_address(
        app, client, db, login, rowan, mailbox, deliver) -> None:
    _ask(login(rowan), "Rowan.New@Example.org")
    deliver()
    [msg] = mailbox.to("Rowan.New@example.org")
    body = mailbox.body(msg)
    assert "works once" in body and PASSWORD not in body
    path = _link_path(mailbox, "Rowan.New@example.org")
    assert mailbox.to("rowan@example.org") == []

    page = client.get(path)
    assert page.status_code == 200
    assert "Rowan.New@example.org" in page.get_data(as_text=True)
    assert page.headers["Referrer-Policy"] == "no-referrer"
    db.refresh(rowan)
    assert rowan.email == "rowan@example.org"  # opening it (as a mail scanner might) is not enough

    done = client.post(path)
    assert done.status_code == 303 and done.headers["Location"] == "/settings"
    assert "has been changed" in client.get("/settings").get_data(as_text=True)
    db.refresh(rowan)
    assert (rowan.email, rowan.email_key) == ("Rowan.New@example.org", "rowan.new@example.org")
    [entry] = _changes(db)
    assert (entry.actor_id, entry.subject_type, entry.subject_id) == (rowan.id, "user", rowan.id)
    assert "example.org" not in repr((entry.before, entry.after, entry.reason))

    again = app.test_client()
    for resp in (again.get(path), again.post(path), client.post(path)):
        assert resp.status_code == 400
        assert LINK_GONE in resp.get_data(as_text=True)
    assert len(_changes(db)) == 1

    deliver()
    [notice] = mailbox.to("rowan@example.org")
    assert "email address has been changed" in notice["Subject"]
    assert "Rowan.New" not in mailbox.body(notice)
    assert len(mailbox.to("Rowan.New@example.org")) == 1  # no second mail to the new one
    # The old address is forgotten once it has been told.
    assert _count(db, PendingEmailChange) == 0
    assert db.scalar(select(User.id).where(User.email_key == "rowan@example.org")) is None


def test_a_taken_address_gets_a_note_to_its_owner_and_no_link(
        db, make, login, rowan, mailbox, deliver) -> None:
    owner = make.user("Owner", email="owner@example.org")
    _ask(login(rowan), "owner@example.org")
    assert mailbox.messages == []
    deliver()
    [note] = mailbox.messages
    assert note["To"] == "owner@example.org"
    assert "tried to use your email address" in note["Subject"]
    body = mailbox.body(note)
    assert "did not change anything" in body
    assert "/settings/email/confirm/" not in body and "Rowan" not in body
    db.refresh(rowan)
    db.refresh(owner)
    assert (rowan.email, owner.email) == ("rowan@example.org", "owner@example.org")
    # The request ends once the owner has been told.
    assert _count(db, PendingEmailChange) == 0
    assert _changes(db) == []


@pytest.mark.parametrize("token", ["not-a-link", "x" * 2000, "eyJjIjoxfQ.bad.sig"])
def test_a_broken_link_is_a_calm_400(client, db, login, rowan, token: str) -> None:
    _ask(login(rowan))
    for resp in (client.get(f"/settings/email/confirm/{token}"),
                 client.post(f"/settings/email/confirm/{token}")):
        assert resp.status_code == 400
        page = resp.get_data(as_text=True)
        assert LINK_GONE in page and "Traceback" not in page
    db.refresh(rowan)
    assert rowan.email == "rowan@example.org"


def test_a_tampered_link_is_a_calm_400(client, db, login, rowan) -> None:
    _ask(login(rowan))
    pending = db.scalar(select(PendingEmailChange))
    real = make_email_change_token(pending)
    payload, _, signature = real.partition(".")
    forged = payload + "." + ("A" if signature[0] != "A" else "B") + signature[1:]
    pending.nonce, kept = "somethingelse", pending.nonce
    other_nonce = make_email_change_token(pending)
    pending.nonce = kept
    db.commit()
    for token in (forged, other_nonce):
        assert client.post(f"/settings/email/confirm/{token}").status_code == 400
    db.refresh(rowan)
    assert rowan.email == "rowan@example.org" and _changes(db) == []


def test_an_expired_link_is_a_calm_400(app, client, db, login, rowan) -> None:
    _ask(login(rowan))
    pending = db.scalar(select(PendingEmailChange))
    max_age = app.config["EMAIL_CHANGE_LINK_MAX_AGE"]
    old = make_email_change_token(pending, clock=lambda: time.time() - max_age - 60)
    resp = client.get(f"/settings/email/confirm/{old}")
    assert resp.status_code == 400 and LINK_GONE in resp.get_data(as_text=True)
    # A fresh signature cannot stretch it either: the request itself is too old.
    pending.created_at = utcnow() - timedelta(seconds=max_age + 60)
    db.commit()
    assert client.post(f"/settings/email/confirm/{make_email_change_token(pending)}"
                       ).status_code == 400
    db.refresh(rowan)
    assert rowan.email == "rowan@example.org" and _changes(db) == []


def test_only_the_newest_request_works(client, db, login, rowan, mailbox, deliver) -> None:
    login(rowan)
    _ask(client, "typo@exmaple.org")
    first = db.scalar(select(PendingEmailChange))
    first_token = make_email_change_token(first)
    _ask(client, NEW)
    deliver()
    assert mailbox.to("typo@exmaple.org") == []  # replaced before the job ran
    assert client.post(f"/settings/email/confirm/{first_token}").status_code == 400
    assert client.post(_link_path(mailbox, NEW)).status_code == 303
    db.refresh(rowan)
    assert rowan.email == NEW


def test_the_link_stops_working_when_the_password_changes(
        client, db, login, rowan, mailbox, deliver) -> None:
    """Someone who knew the password asks to move the account to their address; the owner
    notices and changes the password: the link in the other person's inbox dies with it."""
    _ask(login(rowan))
    deliver()
    path = _link_path(mailbox, NEW)
    assert client.post("/settings/password", data={
        "current_password": PASSWORD,
        "new_password": "seven green umbrellas upstairs"}).status_code == 303
    assert client.post(path).status_code == 400
    db.refresh(rowan)
    assert rowan.email == "rowan@example.org"


def test_signing_out_everywhere_else_stops_a_waiting_link(
        app, client, db, login, rowan, mailbox, deliver) -> None:
    """Someone else signed in asked to move the account to their address; the owner signs
    out everywhere else: the link in the other person's inbox stops working too."""
    _ask(login(rowan))
    deliver()
    path = _link_path(mailbox, NEW)
    resp = client.post("/settings/sessions/end-others", follow_redirects=True)
    assert resp.status_code == 200
    assert "change of email address that was waiting for confirmation has been cancelled" in (
        html.unescape(resp.get_data(as_text=True)))
    assert _count(db, PendingEmailChange) == 0
    assert app.test_client().post(path).status_code == 400
    db.refresh(rowan)
    assert rowan.email == "rowan@example.org" and _changes(db) == []
    [entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "session:end_others"))
    assert entry.after["email_changes_cancelled"] == 1


def test_an_address_taken_meanwhile_is_a_calm_400(
        client, db, make, login, rowan, mailbox, deliver) -> None:
    _ask(login(rowan))
    deliver()
    path = _link_path(mailbox, NEW)
    make.user("Quick", email=NEW)
    resp = client.post(path)
    assert resp.status_code == 400
    assert "used by another account" in resp.get_data(as_text=True)
    db.refresh(rowan)
    assert rowan.email == "rowan@example.org" and _changes(db) == []


def test_the_link_works_when_signed_out(app, db, login, rowan, mailbox, deliver) -> None:
    _ask(login(rowan))
    deliver()
    path = _link_path(mailbox, NEW)
    phone = app.test_client()  # the mail opened on another device, not signed in
    assert phone.get(path).status_code == 200
    done = phone.post(path)
    assert done.status_code == 303 and done.headers["Location"] == "/sign-in"
    assert "has been changed" in phone.get("/sign-in").get_data(as_text=True)
    db.refresh(rowan)
    assert rowan.email == NEW


def test_the_job_forgets_expired_requests_and_old_addresses(
        app, db, login, rowan, deliver) -> None:
    _ask(login(rowan))
    pending = db.scalar(select(PendingEmailChange))
    pending.created_at = utcnow() - timedelta(seconds=app.config["EMAIL_CHANGE_LINK_MAX_AGE"] + 1)
    done = PendingEmailChange(user_id=rowan.id, email="x@example.org",
                              email_key="x@example.org", nonce="n", session_version=1,
                              created_at=utcnow() - timedelta(days=3),
                              changed_at=utcnow() - timedelta(days=2),
                              old_email="older@example.org")
    recent = PendingEmailChange(user_id=rowan.id, email="y@example.org",
                                email_key="y@example.org", nonce="m", session_version=1,
                                created_at=utcnow() - timedelta(days=3), changed_at=utcnow(),
                                old_email="old@example.org")
    db.add_all([done, recent])
    db.commit()
    run = deliver()
    assert run.expired_email_changes == 2
    assert [p.email for p in db.scalars(select(PendingEmailChange))] == ["y@example.org"]
