"""Account mail: queued by actions on the session, sent over SMTP after the commit.

Actions call :func:`queue_mail`; an ``after_commit`` listener sends what was queued and an
``after_rollback`` listener drops it, so nobody is emailed about a change that did not
happen (the same pattern as :mod:`forum.events`). :func:`send_mail` talks SMTP
(``MAIL_SERVER``, ``MAIL_PORT``, STARTTLS when ``MAIL_USE_TLS``). Without a mail server it
only logs that a message would have gone, never the address or the body: account mail can
say who uses a health forum. In development a ``dev_note`` (such as a password-reset link)
is logged so the developer can follow the link.

A failed send is logged, without content, and swallowed: the change is already committed.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

SMTP_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class Mail:
    """One message waiting for its transaction to commit."""

    to: str
    subject: str
    text: str
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    # For log lines: which account and what sort of mail, never the address.
    user_id: int | None = None
    kind: str = "mail"
    # Logged only in development when no mail server is set (e.g. the reset link).
    dev_note: str | None = None


def queue_mail(session: Session, mail: Mail) -> None:
    """Queue ``mail`` to be sent when ``session`` commits (called by actions only)."""
    session.info.setdefault("mail_outbox", []).append(mail)


def build_message(app: Flask, to: str, subject: str, text: str, html: str | None = None,
                  headers: dict[str, str] | None = None) -> EmailMessage:
    """The MIME message for one mail; raises ValueError for a header with a line break."""
    sender = app.config["MAIL_DEFAULT_SENDER"]
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = formatdate(usegmt=True)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "alongside.invalid"
    msg["Message-ID"] = make_msgid(domain=domain)
    # Tells mail servers and out-of-office robots not to reply to account mail.
    msg["Auto-Submitted"] = "auto-generated"
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(text)
    if html is not None:
        msg.add_alternative(html, subtype="html")
    return msg


def send_mail(app: Flask, to: str, subject: str, text: str, html: str | None = None,
              headers: dict[str, str] | None = None, *, user_id: int | None = None,
              kind: str = "mail", dev_note: str | None = None) -> bool:
    """Send one message now; True when the server took it (or there is no server to use).

    Called by the after-commit listener here, and by anything outside a transaction that
    needs to send straight away. Never raises for a delivery problem.
    """
    server = app.config.get("MAIL_SERVER") or ""
    who = f"user id {user_id}" if user_id is not None else "an address"
    if not server:
        log.info("mail (%s) for %s not sent: MAIL_SERVER is empty", kind, who)
        if dev_note and app.config.get("FORUM_ENV") == "development":
            log.info("%s", dev_note)
        return True
    try:
        msg = build_message(app, to, subject, text, html, headers)
        # Greet the server with the site's own name: smtplib's default looks it up in DNS
        # on every connection, which can take a noticeable time.
        helo = urlsplit(str(app.config.get("BASE_URL") or "")).hostname or "localhost"
        with smtplib.SMTP(server, int(app.config.get("MAIL_PORT") or 25),
                          local_hostname=helo, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
            if app.config.get("MAIL_USE_TLS"):
                smtp.starttls(context=ssl.create_default_context())
            if app.config.get("MAIL_USERNAME"):
                smtp.login(app.config["MAIL_USERNAME"], app.config.get("MAIL_PASSWORD") or "")
            smtp.send_message(msg)
    except (smtplib.SMTPException, OSError, ValueError) as exc:
        # The exception text can hold the address; its type is enough to start looking.
        log.warning("mail (%s) for %s could not be sent: %s", kind, who, type(exc).__name__)
        return False
    log.info("mail (%s) for %s sent", kind, who)
    return True


@event.listens_for(Session, "after_commit")
def _send_outbox(session: Session) -> None:
    outbox: list[Mail] = session.info.get("mail_outbox") or []
    session.info["mail_outbox"] = []
    app: Flask | None = session.info.get("app")
    if app is None or not outbox:
        return
    for mail in outbox:
        send_mail(app, mail.to, mail.subject, mail.text, mail.html, mail.headers,
                  user_id=mail.user_id, kind=mail.kind, dev_note=mail.dev_note)


@event.listens_for(Session, "after_soft_rollback")
def _drop_outbox(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        session.info["mail_outbox"] = []
