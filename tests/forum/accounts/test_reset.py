"""Password reset by emailed link, end to end through a real SMTP server on loopback."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import pytest
from helpers import PASSWORD
from sqlalchemy import select

from forum.accounts.actions import do_change_password
from forum.accounts.models import AccountEmail
from forum.accounts.reset import (
    check_reset_token,
    do_request_password_reset,
    make_reset_token,
)
from forum.audit.models import AuditEntry
from forum.db import utcnow
from forum.errors import Invalid
from forum.notifications.jobs import run_tick

NEW_PASSWORD = "seven green umbrellas upstairs"
SENT = "If an account uses that address, we've sent a link"
LINK_GONE = "expired or has already been used"


def _link_path(mailbox, address: str) -> str:  # type: ignore[no-untyped-def]
    [msg] = mailbox.to(address)
    match = re.search(r"http://localhost(/reset-password/\S+)", mailbox.body(msg))
    assert match is not None
    return match.group(1)


def _page(resp) -> str:  # type: ignore[no-untyped-def]
    # The script nonce is new on every page; everything else must match.
    return re.sub(r'nonce="[^"]*"', "", resp.get_data(as_text=True))


def _actions(db, user_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditEntry.action).where(AuditEntry.subject_id == user_id)))


def test_reset_end_to_end_link_works_once(app, client, db, make, mailbox, deliver, sign_in,
                                           signed_in) -> None:
    user = make.user("Rowan", email="rowan@example.org")
    elsewhere = app.test_client()
    sign_in(elsewhere, "Rowan")

    resp = client.post("/reset-password", data={"email": "Rowan@Example.org"})
    assert resp.status_code == 200 and SENT in resp.get_data(as_text=True)
    assert mailbox.messages == []  # queued, not sent while the page waited
    deliver()
    path = _link_path(mailbox, "rowan@example.org")
    [request_mail] = mailbox.messages
    assert "works once" in mailbox.body(request_mail)

    form = client.get(path)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"

    done = client.post(path, data={"password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/sign-in"

    assert sign_in(client, "Rowan", PASSWORD).status_code == 422
    assert sign_in(client, "Rowan", NEW_PASSWORD).status_code == 303
    assert not signed_in(elsewhere)  # every other session ended
    assert "user:request_password_reset" in _actions(db, user.id)
    assert "user:reset_password" in _actions(db, user.id)
    assert any("password has been changed" in m["Subject"]
               for m in mailbox.deliver().to(user.email))

    again = app.test_client()
    assert again.get(path).status_code == 400
    second = again.post(path, data={"password": "another long passphrase here"})
    assert second.status_code == 400 and LINK_GONE in second.get_data(as_text=True)
    assert sign_in(again, "Rowan", NEW_PASSWORD).status_code == 303


def test_reset_request_never_says_whether_an_account_exists(client, db, make,
                                                            mailbox, deliver) -> None:
    make.user("Rowan", email="rowan@example.org")
    known = client.post("/reset-password", data={"email": "rowan@example.org"})
    unknown = client.post("/reset-password", data={"email": "stranger@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert _page(known) == _page(unknown)
    assert SENT in unknown.get_data(as_text=True)
    run = deliver()
    assert (run.sent, run.cancelled) == (1, 1)
    assert mailbox.to("stranger@example.org") == []
    assert len(mailbox.to("rowan@example.org")) == 1


def test_reset_request_does_the_same_work_whether_or_not_an_account_exists(
        client, db, make, mailbox, statements) -> None:
    """The same SQL statements, in the same order, and exactly one outbox row each; no
    mail server is contacted while the page waits (a timing difference is not measured
    here: ``make bench`` measures speed, tests assert the work done)."""
    make.user("Rowan", email="rowan@example.org")
    with statements.record() as known:
        client.post("/reset-password", data={"email": "rowan@example.org"})
    with statements.record() as unknown:
        client.post("/reset-password", data={"email": "stranger@example.org"})
    assert known.recorded == unknown.recorded
    assert [s for s in known.recorded if not s.startswith("SELECT")] == [
        s for s in known.recorded if s.startswith(("INSERT", "SAVEPOINT", "RELEASE"))]
    assert sum(s.startswith("INSERT INTO account_emails") for s in known.recorded) == 1
    rows = db.scalars(select(AccountEmail).order_by(AccountEmail.id)).all()
    assert [(r.kind, r.user_id is not None) for r in rows] == [
        ("password_reset", True), ("password_reset", False)]
    assert mailbox.messages == []


def test_a_tick_of_the_jobs_scheduler_delivers_the_queued_link(app, db, make,
                                                               mailbox) -> None:
    """The real tick (what the in-process scheduler and ``forum jobs run`` call) sends the
    queued mail to the SMTP server, audits it and closes the row."""
    user = make.user("Rowan", email="rowan@example.org")
    do_request_password_reset(db, email="rowan@example.org")
    assert mailbox.messages == []
    run_tick(app)
    [msg] = mailbox.to("rowan@example.org")
    assert "/reset-password/" in mailbox.body(msg)
    row = db.scalar(select(AccountEmail))
    db.refresh(row)
    assert row.sent_at is not None and row.attempts == 1
    entry = db.scalar(select(AuditEntry).where(
        AuditEntry.action == "user:request_password_reset"))
    assert entry is not None and entry.subject_id == user.id and entry.actor_id is None
    run_tick(app)  # sent once only
    assert len(mailbox.to("rowan@example.org")) == 1


def test_a_failed_send_is_retried_later(app, db, make, mailbox, monkeypatch) -> None:
    from forum.accounts.jobs import send_account_emails

    make.user("Rowan", email="rowan@example.org")
    do_request_password_reset(db, email="rowan@example.org")
    monkeypatch.setitem(app.config, "MAIL_PORT", 9)  # nothing listens there
    assert send_account_emails(app).failed == 1
    monkeypatch.setitem(app.config, "MAIL_PORT", mailbox.port)
    assert send_account_emails(app).sent == 0  # not due yet
    assert send_account_emails(app, utcnow() + timedelta(minutes=2)).sent == 1
    assert len(mailbox.to("rowan@example.org")) == 1


def test_reset_link_expires(app, client, make) -> None:
    user = make.user("Rowan")
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    old = make_reset_token(user, clock=lambda: time.time() - max_age - 60)
    resp = client.get(f"/reset-password/{old}")
    assert resp.status_code == 400 and LINK_GONE in resp.get_data(as_text=True)
    assert client.post(f"/reset-password/{old}",
                       data={"password": NEW_PASSWORD}).status_code == 400


def test_reset_link_is_good_until_its_age_runs_out(app, db, make) -> None:
    user = make.user("Rowan")
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    token = make_reset_token(user)
    assert check_reset_token(db, token, clock=lambda: time.time() + max_age - 60)[0] == user
    with pytest.raises(Invalid):
        check_reset_token(db, token, clock=lambda: time.time() + max_age + 60)


def test_reset_link_dies_when_the_password_changes_another_way(client, db, make) -> None:
    user = make.user("Rowan")
    token = make_reset_token(user)
    assert client.get(f"/reset-password/{token}").status_code == 200
    do_change_password(db, actor=make.viewer(user), current_password=PASSWORD,
                       new_password=NEW_PASSWORD)
    assert client.get(f"/reset-password/{token}").status_code == 400


def test_reset_with_a_weak_password_keeps_the_link_usable(client, make) -> None:
    user = make.user("Rowan")
    token = make_reset_token(user)
    weak = client.post(f"/reset-password/{token}", data={"password": "short"})
    assert weak.status_code == 422
    assert "at least 10 characters" in weak.get_data(as_text=True)
    ok = client.post(f"/reset-password/{token}", data={"password": NEW_PASSWORD})
    assert ok.status_code == 303


@pytest.mark.parametrize("token", [
    "nonsense", "a" * 5000, "eyJ1IjoxfQ.aaaa.bbbb", "%00", "..%2F..%2Fetc",
])
def test_reset_with_a_broken_link_is_a_calm_400(client, token: str) -> None:
    resp = client.get(f"/reset-password/{token}")
    assert resp.status_code in (400, 404)
    assert "Ask for a new link" in resp.get_data(as_text=True) or resp.status_code == 404


def test_reset_with_a_tampered_link_fails(client, make) -> None:
    user = make.user("Rowan")
    token = make_reset_token(user)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/reset-password/{tampered}").status_code == 400


@pytest.mark.parametrize("email", ["", "not-an-email", "x" * 1000, "nul\x00@example.org"])
def test_reset_request_bad_input_is_a_clear_4xx(client, db, email: str) -> None:
    resp = client.post("/reset-password", data={"email": email})
    assert resp.status_code == 422
    assert "There is a problem" in resp.get_data(as_text=True)
    assert db.scalar(select(AccountEmail)) is None
