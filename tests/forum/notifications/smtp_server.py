"""A real SMTP server for tests: aiosmtpd on loopback, recording what it receives."""

from __future__ import annotations

import socket
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Mailbox:
    """What the SMTP server received; ``refuse`` makes it answer 451 (try again later)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.recipients: list[list[str]] = []
        self.refuse = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse:
            return "451 Requested action aborted: try again later"
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["To"] == address]


def body(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    return str(part.get_content())
