"""Condition boards, who belongs to them, and who facilitates them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.accounts.models import User
from forum.db import Base, UTCDateTime, utcnow


class Visibility(enum.StrEnum):
    PUBLIC = "public"  # anyone may read; members post
    MEMBERS = "members"  # signed-in members may read
    PRIVATE = "private"  # invited members only; 404 to everyone else


class PostingPolicy(enum.StrEnum):
    OPEN = "open"
    NEW_MEMBERS_HELD = "new_members_held"
    ALL_HELD = "all_held"


class RiskPolicy(enum.StrEnum):
    PUBLISH_AND_FLAG = "publish_and_flag"
    HOLD_AND_FLAG = "hold_and_flag"


# The dimensions a peer-support service is described by in the evidence review; each board
# fills in what applies, so commissioners can compare like with like.
SUPPORT_MODEL_FIELDS: dict[str, str] = {
    "who_for": "Who it is for",
    "set_up_by": "Who set it up",
    "supporters": "Who gives support",
    "training": "How supporters are trained",
    "paid_or_voluntary": "Whether supporters are paid or volunteers",
    "activities": "Activities and type of support",
    "why": "Why it is offered",
    "delivery": "How it is delivered, and to how many",
    "where": "Where",
    "frequency": "How often",
    "duration": "For how long",
}


class Board(Base):
    __tablename__ = "boards"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    condition: Mapped[str] = mapped_column(String(160), default="")
    guidelines: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[Visibility] = mapped_column(
        Enum(Visibility, native_enum=False, length=20), default=Visibility.PUBLIC
    )
    posting_policy: Mapped[PostingPolicy] = mapped_column(
        Enum(PostingPolicy, native_enum=False, length=30), default=PostingPolicy.OPEN
    )
    # With NEW_MEMBERS_HELD: how many of a member's first posts wait for a facilitator.
    held_first_posts: Mapped[int] = mapped_column(Integer, default=3)
    risk_policy: Mapped[RiskPolicy] = mapped_column(
        Enum(RiskPolicy, native_enum=False, length=30), default=RiskPolicy.PUBLISH_AND_FLAG
    )
    # How many members' reports hide a post until a facilitator decides.
    report_hide_threshold: Mapped[int] = mapped_column(Integer, default=3)
    support_model: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Denormalised for the board list: kept up to date by the thread actions.
    thread_count: Mapped[int] = mapped_column(Integer, default=0)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    last_activity_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    facilitators: Mapped[list[BoardFacilitator]] = relationship(
        back_populates="board", cascade="all, delete-orphan"
    )


class BoardMembership(Base):
    __tablename__ = "board_memberships"
    __table_args__ = (UniqueConstraint("board_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Private boards: a member is invited by staff before they can see the board.
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )


class BoardFacilitator(Base):
    __tablename__ = "board_facilitators"
    __table_args__ = (UniqueConstraint("board_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    board: Mapped[Board] = relationship(back_populates="facilitators")
    user: Mapped[User] = relationship()
