"""Sending email over SMTP, from the MAIL_* settings.

Called by background jobs and actions' adapters, never inside a database transaction that
must not wait. With ``MAIL_SERVER`` empty (development) the message is not sent: a line
is logged instead, naming neither the recipient nor the content (they may be health data).
A failure raises, so that the caller can keep the email and retry it later.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr

from flask import Flask

log = logging.getLogger(__name__)


def build_message(app: Flask, to: str, subject: str, text: str, html: str | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    """The message as it would be sent (plain text, with an HTML alternative if given)."""
    sender = app.config.get("MAIL_DEFAULT_SENDER") or "no-reply@localhost"
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(text)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message


def send_mail(app: Flask, to: str, subject: str, text: str, html: str | None = None,
              headers: dict[str, str] | None = None) -> None:
    """Send one email; raises ``smtplib.SMTPException`` or ``OSError`` when it fails."""
    message = build_message(app, to, subject, text, html, headers)
    server = app.config.get("MAIL_SERVER") or ""
    if not server:
        log.info("mail not sent (MAIL_SERVER is empty): %d characters",
                 len(text))
        return
    port = int(app.config.get("MAIL_PORT") or 25)
    with smtplib.SMTP(server, port, timeout=30) as smtp:
        if app.config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if app.config.get("MAIL_USERNAME"):
            smtp.login(app.config["MAIL_USERNAME"], app.config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)
