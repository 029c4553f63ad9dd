"""Who is watching: the rota (shifts), the handover queue, facilitators' training, the
leads alerted at escalation level 2, and the emergency protocol for level 3.

Written only by :mod:`moderation.duty`, :mod:`moderation.training` and
:mod:`moderation.escalations`; read by their query functions.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import Base, UTCDateTime, utcnow


class Shift(Base):
    """A facilitator on duty from ``starts_at`` until ``ends_at`` (open-ended while NULL:
    "on duty now" until they go off duty). ``board_ids`` empty means every board they
    facilitate."""

    __tablename__ = "moderation_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    board_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True, index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def covers(self, board_id: int, facilitated: set[int]) -> bool:
        boards = set(self.board_ids or []) or facilitated
        return board_id in boards and board_id in facilitated


class HandoverItem(Base):
    """Something that happened while nobody trained was on duty for a board, kept for the
    next shift. Content-free: a summary and links, never post text."""

    __tablename__ = "moderation_handover_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"),
                                          index=True)
    kind: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(String(300))
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True)
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL"), nullable=True)
    escalation_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_escalations.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    cleared_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    board: Mapped[Board] = relationship()


class TrainingCourse(Base):
    """A course facilitators take. ``required``: needed to act in the queue.
    ``high_risk``: also needed to handle high-tier escalations."""

    __tablename__ = "moderation_training_courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    high_risk: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class TrainingRecord(Base):
    __tablename__ = "moderation_training_records"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_training_courses.id", ondelete="CASCADE"))
    completed_on: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    recorded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    course: Mapped[TrainingCourse] = relationship()

    def is_current(self, today: date) -> bool:
        return self.expires_on is None or self.expires_on >= today


class StaffLead(Base):
    """A lead facilitator or clinical lead: alerted when an escalation reaches level 2."""

    __tablename__ = "moderation_staff_leads"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         unique=True)
    title: Mapped[str] = mapped_column(String(60), default="Lead facilitator")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship()


class EmergencyProtocol(Base):
    """The deployment's level-3 protocol (one row): what to do, who to call, and the
    addresses alerted by email."""

    __tablename__ = "moderation_emergency_protocol"

    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str] = mapped_column(Text, default="")
    # [{"name": ..., "detail": ...}]: shown to staff on every level-3 escalation.
    contacts: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    alert_emails: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
