"""Mail: queued in the action's transaction and sent over real SMTP by the job, dropped on
rollback, retried when the server is down (never lost, never sent twice), forgotten once
sent, never logged with its content, and a failed send never breaks the request."""

from __future__ import annotations

import logging
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.accounts.models import User
from forum.db import job_session, utcnow
from forum.mail import Mail, queue_mail, send_mail
from forum.mail_models import OutgoingMail
from forum.mail_outbox import do_claim_outgoing_mail, send_outgoing_mail

BODY = "A private sentence that must never reach a log."


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # nothing listens once the socket closes


def test_send_mail_delivers_over_smtp(app, mailbox) -> None:
    assert send_mail(app, "someone@example.org", "Hello", BODY, html="<p>Hello</p>",
                     headers={"X-Alongside-Kind": "test"})
    [msg] = mailbox.messages
    assert msg["To"] == "someone@example.org" and msg["Subject"] == "Hello"
    assert msg["From"] == app.config["MAIL_DEFAULT_SENDER"]
    assert msg["X-Alongside-Kind"] == "test" and msg["Auto-Submitted"] == "auto-generated"
    assert mailbox.body(msg).strip() == BODY
    html = msg.get_body(preferencelist=("html",))
    assert html is not None and "<p>Hello</p>" in str(html.get_content())


def _rows(db) -> list[OutgoingMail]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(OutgoingMail).order_by(OutgoingMail.id)
                           .execution_options(populate_existing=True)))


def test_queued_mail_is_written_with_the_commit_and_sent_by_the_job(app, db, make,
                                                                    mailbox) -> None:
    user = make.user()
    queue_mail(db, Mail(to=user.email, subject="After commit", text=BODY, user_id=user.id,
                        kind="test"))
    assert mailbox.deliver().messages == []  # nothing is due before the commit
    db.commit()
    assert mailbox.messages == []  # no SMTP while the action's caller waits
    run = send_outgoing_mail(app)
    assert (run.sent, run.failed) == (1, 0)
    [msg] = mailbox.messages
    assert msg["Subject"] == "After commit" and msg["To"] == user.email
    assert mailbox.body(msg).strip() == BODY
    # Sent once: the next tick sends nothing; the row forgets what it said.
    assert send_outgoing_mail(app).sent == 0 and len(mailbox.messages) == 1
    [row] = _rows(db)
    assert row.sent_at is not None and row.kind == "test" and row.user_id == user.id
    assert (row.to_address, row.subject, row.text) == ("", "", "")


def test_queued_mail_is_dropped_on_rollback(db, make, mailbox) -> None:
    user = make.user()
    user.username = "changed"
    queue_mail(db, Mail(to=user.email, subject="Never", text=BODY, user_id=user.id))
    db.rollback()
    db.commit()
    assert mailbox.deliver().messages == [] and _rows(db) == []
    assert db.scalar(select(User.username).where(User.id == user.id)) != "changed"


def test_mail_is_kept_and_retried_while_the_server_is_down(app, db, make, mailbox,
                                                          monkeypatch) -> None:
    user = make.user()
    queue_mail(db, Mail(to=user.email, subject="Escalation", text=BODY, user_id=user.id))
    db.commit()
    working_port = app.config["MAIL_PORT"]
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    now = utcnow()
    assert send_outgoing_mail(app, now).failed == 1
    [row] = _rows(db)
    assert row.sent_at is None and row.attempts == 1 and row.to_address == user.email
    assert row.next_attempt_at > now and row.last_error == "SMTP send failed"
    # Not due yet: the job waits instead of hammering a server that is down.
    assert send_outgoing_mail(app, now + timedelta(seconds=5)).failed == 0
    monkeypatch.setitem(app.config, "MAIL_PORT", working_port)
    assert send_outgoing_mail(app, now + timedelta(minutes=2)).sent == 1
    assert [m["Subject"] for m in mailbox.messages] == ["Escalation"]
    assert send_outgoing_mail(app, now + timedelta(hours=2)).sent == 0
    assert len(mailbox.messages) == 1


def test_two_workers_never_send_one_message_twice(app, db, make, mailbox) -> None:
    user = make.user()
    for number in range(3):
        queue_mail(db, Mail(to=user.email, subject=f"Notice {number}", text=BODY,
                            user_id=user.id))
    db.commit()
    now = utcnow()
    with app.app_context(), job_session(app) as first, job_session(app) as second:
        token_a, mine = do_claim_outgoing_mail(first, now=now)
        token_b, theirs = do_claim_outgoing_mail(second, now=now)
    assert len(mine) == 3 and theirs == [] and token_a != token_b


def test_without_a_mail_server_only_the_fact_is_logged(app, caplog, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    with caplog.at_level(logging.INFO, logger="forum.mail"):
        assert send_mail(app, "private@example.org", "Subject", BODY, user_id=7, kind="test",
                         dev_note="password reset link for user id 7: http://x/reset")
    assert "user id 7" in caplog.text
    assert BODY not in caplog.text and "private@example.org" not in caplog.text
    assert "http://x/reset" not in caplog.text  # only in development


def test_in_development_the_reset_link_is_logged(app, caplog, monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "")
    monkeypatch.setitem(app.config, "FORUM_ENV", "development")
    with caplog.at_level(logging.INFO, logger="forum.mail"):
        send_mail(app, "private@example.org", "Subject", BODY, user_id=7,
                  dev_note="password reset link for user id 7: http://x/reset")
    assert "password reset link for user id 7: http://x/reset" in caplog.text
    assert BODY not in caplog.text and "private@example.org" not in caplog.text


def test_a_failed_send_is_logged_without_content_and_returns_false(app, caplog,
                                                                   monkeypatch) -> None:
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    with caplog.at_level(logging.INFO, logger="forum.mail"):
        assert not send_mail(app, "private@example.org", "Subject", BODY, user_id=3)
    assert "could not be sent" in caplog.text and "user id 3" in caplog.text
    assert BODY not in caplog.text and "private@example.org" not in caplog.text


def test_a_failed_send_does_not_break_the_request(app, client, make, monkeypatch) -> None:
    make.user("Rowan", email="rowan@example.org")
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", _closed_port())
    resp = client.post("/reset-password", data={"email": "rowan@example.org"})
    assert resp.status_code == 200


def test_starttls_is_required_when_configured(app, mailbox, monkeypatch) -> None:
    # The test server offers no STARTTLS: the mail must not go out in the clear.
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)
    assert not send_mail(app, "someone@example.org", "Hello", BODY)
    assert mailbox.messages == []


@pytest.mark.parametrize("subject", ["Line\nBcc: victim@example.org", "Line\r\nX: y"])
def test_header_injection_is_refused(app, mailbox, subject: str) -> None:
    assert not send_mail(app, "someone@example.org", subject, BODY)
    assert mailbox.messages == []
