"""Escalations: a case that needs more than the queue, with its tier, state, level,
deadlines and timeline. Written only by :mod:`moderation.escalations`."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.boards.models import Board
from forum.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:  # no import at run time: moderation.models re-exports this module
    from moderation.models import Case


def _enum(kind: type[enum.Enum], length: int = 30) -> Enum:
    return Enum(kind, native_enum=False, length=length)


class EscalationTier(enum.StrEnum):
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"

    @property
    def label(self) -> str:
        return {"high": "High risk", "medium": "Medium risk", "low": "Low risk"}[self.value]


class EscalationState(enum.StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    HANDED_OVER = "handed_over"
    RESOLVED = "resolved"

    @property
    def label(self) -> str:
        return {"open": "Open, not yet acknowledged", "acknowledged": "Acknowledged",
                "in_progress": "In progress", "handed_over": "Handed over",
                "resolved": "Resolved"}[self.value]


class EscalationOutcome(enum.StrEnum):
    SIGNPOSTED = "signposted"
    PEER_SUPPORTED = "peer_supported"
    CLINICAL_LEAD = "clinical_lead"
    EMERGENCY_SERVICES = "emergency_services"
    NO_FURTHER_ACTION = "no_further_action"

    @property
    def label(self) -> str:
        return ESCALATION_OUTCOME_LABELS[self]


ESCALATION_OUTCOME_LABELS: dict[EscalationOutcome, str] = {
    EscalationOutcome.SIGNPOSTED: "Signposted to support services",
    EscalationOutcome.PEER_SUPPORTED: "Supported by a peer facilitator",
    EscalationOutcome.CLINICAL_LEAD: "Referred to the clinical lead",
    EscalationOutcome.EMERGENCY_SERVICES: "Emergency services contacted",
    EscalationOutcome.NO_FURTHER_ACTION: "No further action needed",
}

# 1: the board's facilitators; 2: the lead facilitator or clinical lead; 3: the
# deployment's emergency protocol.
LEVEL_LABELS = {1: "Board facilitators", 2: "Lead facilitator or clinical lead",
                3: "Emergency protocol"}
MAX_LEVEL = 3
# The level at which the leads are alerted, and from which they see an escalation.
LEAD_LEVEL = 2


class Escalation(Base):
    """A case that needs more than the queue: a risk with a clock. Its deadlines are
    columns, so a restart loses none; :func:`moderation.escalations.check_escalation_deadlines`
    moves it up a level when one passes unmet."""

    __tablename__ = "moderation_escalations"
    __table_args__ = (Index("ix_moderation_escalations_due", "state", "next_due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("moderation_cases.id", ondelete="SET NULL"), nullable=True, index=True)
    board_id: Mapped[int | None] = mapped_column(
        ForeignKey("boards.id", ondelete="SET NULL"), nullable=True, index=True)
    raised_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    # "queue" (a facilitator's judgement) or "risk_check" (the automatic check).
    source: Mapped[str] = mapped_column(String(20), default="queue")
    reason: Mapped[str] = mapped_column(Text, default="")
    tier: Mapped[EscalationTier] = mapped_column(_enum(EscalationTier, 10),
                                                 default=EscalationTier.MEDIUM)
    state: Mapped[EscalationState] = mapped_column(_enum(EscalationState, 20),
                                                   default=EscalationState.OPEN)
    level: Mapped[int] = mapped_column(Integer, default=1)
    outcome: Mapped[EscalationOutcome | None] = mapped_column(
        _enum(EscalationOutcome, 30), nullable=True)
    ack_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    act_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The earlier of the two, so the job finds due rows with one indexed comparison.
    next_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    acknowledged_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    acted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    resolved_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    case: Mapped[Case | None] = relationship()
    board: Mapped[Board | None] = relationship()
    acknowledged_by: Mapped[User | None] = relationship(foreign_keys=[acknowledged_by_id])

    def set_due(self) -> None:
        dues = [d for d in (self.ack_due_at, self.act_due_at) if d is not None]
        self.next_due_at = min(dues) if dues else None

    @property
    def is_open(self) -> bool:
        return self.state != EscalationState.RESOLVED

    @property
    def level_label(self) -> str:
        return LEVEL_LABELS.get(self.level, str(self.level))


class EscalationEvent(Base):
    """The escalation's timeline: who saw it, what was done, alerts sent, handover notes."""

    __tablename__ = "moderation_escalation_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    escalation_id: Mapped[int] = mapped_column(
        ForeignKey("moderation_escalations.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    actor: Mapped[User | None] = relationship()
