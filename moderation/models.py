"""Moderation records: flags (with their snapshots), review cases and their timelines,
staff notes, watched words, message templates, the sanction ladder, sanctions, notices to
members about what was done to their content, and appeals. Escalations and their
timelines are in :mod:`moderation.escalation_models` (re-exported here); shifts, training
and the handover queue in :mod:`moderation.duty_models`.

Written only by :mod:`moderation.actions`; read by :mod:`moderation.queries`.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Enum,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import Base, UTCDateTime, utcnow
from forum.threads.models import Post, Thread


def _enum(kind: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(kind, native_enum=False, length=length)


class Severity(enum.StrEnum):
    URGENT = "urgent"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 is most urgent: the queue sorts on it."""
        return list(Severity).index(self)


class FlagReason(enum.StrEnum):
    SELF_HARM = "self_harm"
    RISK_TO_OTHERS = "risk_to_others"
    ABUSE = "abuse"
    MISINFORMATION = "misinformation"
    SPAM = "spam"
    PERSONAL_DETAILS = "personal_details"
    OTHER = "other"
    # Raised by the automatic checks or the posting policy, never chosen by a member.
    SYSTEM = "system"

    @property
    def label(self) -> str:
        return FLAG_REASON_LABELS[self]


FLAG_REASON_LABELS: dict[FlagReason, str] = {
    FlagReason.SELF_HARM: "They may be at risk of harming themselves",
    FlagReason.RISK_TO_OTHERS: "Someone else may be at risk, including a child or "
                               "vulnerable adult",
    FlagReason.ABUSE: "Bullying or abuse",
    FlagReason.MISINFORMATION: "Misleading health information",
    FlagReason.SPAM: "Selling something or spam",
    FlagReason.PERSONAL_DETAILS: "Sharing personal details",
    FlagReason.OTHER: "Something else",
    FlagReason.SYSTEM: "Automatic check",
}

REASON_SEVERITY: dict[FlagReason, Severity] = {
    FlagReason.SELF_HARM: Severity.URGENT,
    FlagReason.RISK_TO_OTHERS: Severity.URGENT,
    FlagReason.ABUSE: Severity.HIGH,
    FlagReason.PERSONAL_DETAILS: Severity.HIGH,
    FlagReason.MISINFORMATION: Severity.MEDIUM,
    FlagReason.SPAM: Severity.MEDIUM,
    FlagReason.OTHER: Severity.MEDIUM,
    FlagReason.SYSTEM: Severity.MEDIUM,
}


class CaseState(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"  # a facilitator acted (or approved)
    REJECTED = "rejected"  # looked at: nothing needed doing

    @property
    def label(self) -> str:
        return {"open": "Open", "in_progress": "In progress", "resolved": "Resolved",
                "rejected": "No action needed"}[self.value]


OPEN_STATES = (CaseState.OPEN, CaseState.IN_PROGRESS)


class CaseKind(enum.StrEnum):
    FLAGGED = "flagged"
    HELD = "held"


class Case(Base):
    """One item in the review queue: a post that was flagged or is waiting for approval."""

    __tablename__ = "moderation_cases"
    __table_args__ = (Index("ix_moderation_cases_queue", "state", "severity_rank", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL"), nullable=True)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True, index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    kind: Mapped[CaseKind] = mapped_column(_enum(CaseKind), default=CaseKind.FLAGGED)
    state: Mapped[CaseState] = mapped_column(_enum(CaseState), default=CaseState.OPEN)
    severity: Mapped[Severity] = mapped_column(_enum(Severity), default=Severity.MEDIUM)
    severity_rank: Mapped[int] = mapped_column(Integer, default=2)
    # A short, content-free summary for the queue ("3 reports: bullying or abuse").
    summary: Mapped[str] = mapped_column(String(300), default="")
    claimed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    closed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    board: Mapped[Board] = relationship()
    thread: Mapped[Thread | None] = relationship()
    post: Mapped[Post | None] = relationship()
    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    claimed_by: Mapped[User | None] = relationship(foreign_keys=[claimed_by_id])

    def set_severity(self, severity: Severity) -> None:
        self.severity = severity
        self.severity_rank = severity.rank

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


class CaseEvent(Base):
    """The case timeline: everything done, and notes between facilitators. Staff only."""

    __tablename__ = "moderation_case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("moderation_cases.id", ondelete="CASCADE"),
                                         index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()


class Flag(Base):
    """A report by a member, or a system flag, with the post as it was at that moment."""

    __tablename__ = "moderation_flags"
    # One report per member per post; system flags (reporter NULL) are not limited.
    __table_args__ = (UniqueConstraint("post_id", "reporter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True, index=True)
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True, index=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True)
    reason: Mapped[FlagReason] = mapped_column(_enum(FlagReason))
    note: Mapped[str] = mapped_column(String(1000), default="")
    severity: Mapped[Severity] = mapped_column(_enum(Severity), default=Severity.MEDIUM)
    # System flags: rule names, labels, kinds and spans; never a copy of the text.
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    snapshot_source: Mapped[str] = mapped_column(Text, default="")
    snapshot_html: Mapped[str] = mapped_column(Text, default="")
    snapshot_state: Mapped[str] = mapped_column(String(20), default="")
    snapshot_author_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    case: Mapped[Case | None] = relationship()
    post: Mapped[Post | None] = relationship()
    reporter: Mapped[User | None] = relationship()

    @property
    def is_system(self) -> bool:
        return self.reason == FlagReason.SYSTEM


class StaffNote(Base):
    """A note about a member, seen only by staff."""

    __tablename__ = "moderation_staff_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                            index=True)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id])
    board: Mapped[Board | None] = relationship()


class WatchedAction(enum.StrEnum):
    BLOCK = "block"
    HOLD = "hold"
    FLAG = "flag"
    REPLACE = "replace"


class WatchedWord(Base):
    """An admin's watched word or phrase, site-wide (no board) or for one board."""

    __tablename__ = "moderation_watched_words"

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), nullable=True, index=True)
    pattern: Mapped[str] = mapped_column(String(200))
    action: Mapped[WatchedAction] = mapped_column(_enum(WatchedAction, 20))
    whole_word: Mapped[bool] = mapped_column(Boolean, default=True)
    replacement: Mapped[str] = mapped_column(String(200), default="")
    # Shown to the author when the rule blocks a post.
    message: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    board: Mapped[Board | None] = relationship()


class MessageTemplate(Base):
    """A ready, kind message for one kind of action; admins edit them, facilitators adjust
    each one before sending."""

    __tablename__ = "moderation_message_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    updated_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SanctionKind(enum.StrEnum):
    WARNING = "warning"
    MUTE = "mute"
    SUSPENSION = "suspension"


class LadderStep(Base):
    """One rung of the admin-configured ladder (warning → 2 weeks → 1 month → permanent)."""

    __tablename__ = "moderation_ladder_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    kind: Mapped[SanctionKind] = mapped_column(_enum(SanctionKind, 20))
    # None with a suspension means permanent; ignored for warnings.
    days: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Sanction(Base):
    __tablename__ = "moderation_sanctions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[SanctionKind] = mapped_column(_enum(SanctionKind, 20))
    # Mutes are per board; suspensions and warnings may name the board they arose on.
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="CASCADE"), nullable=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Undone on appeal: it no longer counts towards the next step of the ladder.
    overturned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    user: Mapped[User] = relationship(foreign_keys=[user_id])


class ActionNotice(Base):
    """What a member is told about a facilitator's action on their content or account:
    what was done, why, which content; the thing they may appeal (once)."""

    __tablename__ = "moderation_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True)
    thread_id: Mapped[int | None] = mapped_column(
        ForeignKey("threads.id", ondelete="SET NULL"), nullable=True)
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="SET NULL"), nullable=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True)
    sanction_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_sanctions.id", ondelete="SET NULL"), nullable=True)
    appealable: Mapped[bool] = mapped_column(Boolean, default=False)
    acted_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    thread: Mapped[Thread | None] = relationship()
    board: Mapped[Board | None] = relationship()
    appeal: Mapped[Appeal | None] = relationship(back_populates="notice", uselist=False)


class AppealState(enum.StrEnum):
    PENDING = "pending"
    UPHELD = "upheld"  # the original decision stands
    OVERTURNED = "overturned"


class Appeal(Base):
    __tablename__ = "moderation_appeals"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique: each action can be appealed once.
    notice_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_notices.id", ondelete="CASCADE"), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="SET NULL"), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    state: Mapped[AppealState] = mapped_column(_enum(AppealState, 20),
                                               default=AppealState.PENDING)
    decided_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    decision_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    notice: Mapped[ActionNotice] = relationship(back_populates="appeal")
    user: Mapped[User] = relationship(foreign_keys=[user_id])


# Escalations live in their own module (this one was getting long); re-exported here so
# ``from moderation.models import Escalation`` keeps working.
from moderation.escalation_models import (  # noqa: E402
    ESCALATION_OUTCOME_LABELS,
    LEAD_LEVEL,
    LEVEL_LABELS,
    MAX_LEVEL,
    Escalation,
    EscalationEvent,
    EscalationOutcome,
    EscalationState,
    EscalationTier,
)

__all__ = [
    "ESCALATION_OUTCOME_LABELS", "LEAD_LEVEL", "LEVEL_LABELS", "MAX_LEVEL", "OPEN_STATES",
    "REASON_SEVERITY", "ActionNotice", "Appeal", "AppealState", "Case", "CaseEvent",
    "CaseKind", "CaseState", "Escalation", "EscalationEvent", "EscalationOutcome",
    "EscalationState", "EscalationTier", "Flag", "FlagReason", "LadderStep",
    "MessageTemplate", "Sanction", "SanctionKind", "Severity", "StaffNote", "WatchedAction",
    "WatchedWord",
]
