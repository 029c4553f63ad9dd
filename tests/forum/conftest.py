"""Fixtures for tests under tests/forum: a real SMTP server on loopback for mail."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask


class MailBox:
    """Collects what the SMTP server receives."""

    def __init__(self, app: Flask) -> None:
        self.messages: list[EmailMessage] = []
        self.port = 0
        self._app = app

    def deliver(self) -> MailBox:
        """Run the mail jobs once, as the scheduler's next tick would: what actions queued
        (account mail, then ready-written mail such as alerts) reaches this box."""
        from forum.accounts.jobs import send_account_emails
        from forum.mail_outbox import send_outgoing_mail

        send_account_emails(self._app)
        send_outgoing_mail(self._app)
        return self

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        msg = message_from_bytes(raw, policy=policy.default)
        self.messages.append(msg)  # type: ignore[arg-type]
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]

    @staticmethod
    def body(msg: EmailMessage) -> str:
        part = msg.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture()
def mailbox(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[MailBox]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1; the app sends account mail to it."""
    box = MailBox(app)
    port = box.port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    try:
        yield box
    finally:
        controller.stop()
