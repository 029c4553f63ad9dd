"""Ready-written mail waiting to be sent (:mod:`forum.mail_outbox`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base
from forum.outbox import OutboxColumns


class OutgoingMail(OutboxColumns, Base):
    """One message an action queued (a notice that a password changed, an escalation
    alert, a training reminder), written to the database in the action's own transaction
    so that a mail server that is down or slow loses nothing and delays no page.

    The address and the words are blanked once the message is sent or given up: the
    table does not keep a copy of who was told what."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        Index("ix_outgoing_mail_due", "sent_at", "cancelled_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # What sort of mail, for log lines (never the address).
    kind: Mapped[str] = mapped_column(String(40), default="mail")
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    to_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str | None] = mapped_column(Text, nullable=True)
    headers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
