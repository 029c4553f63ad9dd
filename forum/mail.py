"""Mail: queued by actions in their own transaction, sent over SMTP by a job.

Actions call :func:`queue_mail`, which writes the message to the outbox table in the
action's transaction: nobody is emailed about a change that did not happen, and nothing is
lost when the mail server is down (:mod:`forum.mail_outbox` sends and retries; the account
mail that must not reveal who has an account has its own outbox, :mod:`forum.accounts.outbox`).
:func:`send_mail` talks SMTP
(``MAIL_SERVER``, ``MAIL_PORT``, STARTTLS when ``MAIL_USE_TLS``). Without a mail server it
only logs that a message would have gone, never the address or the body: account mail can
say who uses a health forum. In development a ``dev_note`` (such as a password-reset link)
is logged so the developer can follow the link.

A failed send is logged, without content, and reported to the caller, which retries.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from urllib.parse import urlsplit

from flask import Flask
from sqlalchemy.orm import Session

from forum.db import utcnow

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
    """Queue ``mail`` in the caller's transaction (a step inside an action; does not
    commit): it is written to the outbox (:mod:`forum.mail_outbox`) and sent by the job
    once, and only if, the transaction commits."""
    from forum.mail_models import OutgoingMail
    from forum.outbox import wake_after_commit

    now = utcnow()
    session.add(OutgoingMail(kind=mail.kind[:40], user_id=mail.user_id, to_address=mail.to,
                             subject=mail.subject, text=mail.text, html=mail.html,
                             headers=dict(mail.headers), created_at=now, next_attempt_at=now,
                             attempts=0, last_error=""))
    wake_after_commit(session)


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
