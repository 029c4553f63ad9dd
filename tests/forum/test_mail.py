"""Account mail: sent over real SMTP only after commit, dropped on rollback, never logged
with its content, and a failed send never breaks the request."""

from __future__ import annotations

import logging
import socket

import pytest
from sqlalchemy import select

from forum.accounts.models import User
from forum.mail import Mail, queue_mail, send_mail

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


def test_queued_mail_waits_for_the_commit(db, make, mailbox) -> None:
    user = make.user()
    queue_mail(db, Mail(to=user.email, subject="After commit", text=BODY, user_id=user.id))
    assert mailbox.messages == []
    db.commit()
    assert [m["Subject"] for m in mailbox.messages] == ["After commit"]


def test_queued_mail_is_dropped_on_rollback(db, make, mailbox) -> None:
    user = make.user()
    user.username = "changed"
    queue_mail(db, Mail(to=user.email, subject="Never", text=BODY, user_id=user.id))
    db.rollback()
    db.commit()
    assert mailbox.messages == []
    assert db.scalar(select(User.username).where(User.id == user.id)) != "changed"


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
