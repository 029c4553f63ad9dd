"""Notifications, each member's email choice, and the email outbox.

A notification never stores post content: only ids and a short text that is safe to show
anywhere (thread titles only from public boards). Email is planned into ``EmailJob`` rows
by the background job; each job is claimed by one worker, sent, and marked sent in the
same transaction right after the SMTP server accepts it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base, UTCDateTime, utcnow
from forum.outbox import OutboxColumns


class NotificationKind(enum.StrEnum):
    REPLY = "reply"  # a reply in a thread I started or follow
    MENTION = "mention"  # someone wrote @my-username
    REACTION = "reaction"  # someone reacted to my post
    NOTICE = "notice"  # about my own content (held, approved, hidden...): from moderation


class EmailFrequency(enum.StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"

    @property
    def label(self) -> str:
        return FREQUENCY_LABELS[self]


FREQUENCY_LABELS = {
    EmailFrequency.IMMEDIATE: "Straight away, one email for each notification",
    EmailFrequency.DAILY: "Once a day, in one summary email",
    EmailFrequency.WEEKLY: "Once a week, in one summary email (on Mondays)",
    EmailFrequency.NEVER: "Never",
}

DEFAULT_FREQUENCY = EmailFrequency.DAILY


class EmailJobKind(enum.StrEnum):
    IMMEDIATE = "immediate"
    DIGEST = "digest"


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # The bell's count and the list: a member's unread notifications, newest first.
        Index("ix_notifications_user_read", "user_id", "read_at", "id"),
        # The email planner: notifications not yet given to an email job.
        Index("ix_notifications_unplanned", "email_job_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(
        Enum(NotificationKind, native_enum=False, length=20))
    # Who caused it; None for notices (a report must never name the reporter).
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), nullable=True, index=True)
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="CASCADE"), nullable=True)
    # Safe, content-free text: "Sam replied in “Mornings”" or, off public boards,
    # "Sam replied in a conversation you follow".
    text: Mapped[str] = mapped_column(String(300))
    # Notices may point anywhere on the site (a relative path); others use the post.
    link: Mapped[str | None] = mapped_column(String(500), nullable=True)
    # Reactions to one post are gathered into one unread notification.
    count: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    email_job_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_jobs.id", ondelete="SET NULL"), nullable=True)
    emailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class NotificationPreference(Base):
    """A member's email choice. No row means the default (a daily summary)."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email_frequency: Mapped[EmailFrequency] = mapped_column(
        Enum(EmailFrequency, native_enum=False, length=20), default=DEFAULT_FREQUENCY)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EmailJob(OutboxColumns, Base):
    """One email to send: a single notification (at once) or a member's summary.

    ``period_key`` is unique per member ("n:<notification id>", "daily:2026-11-26",
    "weekly:2026-11-23"), so however many workers plan at once, each notification gets one
    email and each member one summary per period.
    """

    __tablename__ = "email_jobs"
    __table_args__ = (
        UniqueConstraint("user_id", "period_key"),
        Index("ix_email_jobs_due", "sent_at", "cancelled_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[EmailJobKind] = mapped_column(Enum(EmailJobKind, native_enum=False, length=20))
    period_key: Mapped[str] = mapped_column(String(40))
