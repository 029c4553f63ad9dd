"""Threads, posts, their revisions, reactions, follows and read markers."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import (
    BigInteger,
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


class PostState(enum.StrEnum):
    PUBLISHED = "published"
    HELD = "held"  # waiting for a facilitator
    HIDDEN = "hidden"  # hidden by a facilitator or by reports
    # Held, then not approved: never public, so other readers get no placeholder for it.
    DECLINED = "declined"
    DELETED = "deleted"  # deleted by its author; a placeholder stays


class ReactionKind(enum.StrEnum):
    THINKING_OF_YOU = "thinking_of_you"
    THANK_YOU = "thank_you"
    ME_TOO = "me_too"
    HUG = "hug"

    @property
    def label(self) -> str:
        return REACTION_LABELS[self]


REACTION_LABELS = {
    ReactionKind.THINKING_OF_YOU: "Thinking of you",
    ReactionKind.THANK_YOU: "Thank you",
    ReactionKind.ME_TOO: "Me too",
    ReactionKind.HUG: "Sending a hug",
}


class Thread(Base):
    __tablename__ = "threads"
    __table_args__ = (Index("ix_threads_board_activity", "board_id", "last_activity_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    title: Mapped[str] = mapped_column(String(150))
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Published posts only, so counts never reveal held or hidden ones.
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    last_post_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # False while the opening post is held: the thread is invisible to members until then.
    visible: Mapped[bool] = mapped_column(Boolean, default=True)

    board: Mapped[Board] = relationship()
    author: Mapped[User | None] = relationship()


def new_stamp() -> int:
    """A fresh random value for :attr:`Post.stamp` (62 bits: fits every backend's BIGINT)."""
    return secrets.randbits(62)


class Post(Base):
    __tablename__ = "posts"
    __table_args__ = (Index("ix_posts_thread_id_id", "thread_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    state: Mapped[PostState] = mapped_column(
        Enum(PostState, native_enum=False, length=20), default=PostState.PUBLISHED
    )
    # Facilitator guidance is shown distinctly in the thread.
    is_guidance: Mapped[bool] = mapped_column(Boolean, default=False)
    quoted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A new random value whenever the row is written, through the ORM or a Core UPDATE
    # (``onupdate``), whoever writes it: the thread page's cache key
    # (forum/threads/page_key.py) notices any change to a post without a list of the
    # actions that change posts. Random rather than counted, so that a post id that
    # SQLite hands out again never brings back an old key.
    stamp: Mapped[int] = mapped_column(BigInteger, default=new_stamp, onupdate=new_stamp,
                                       server_default="0")

    thread: Mapped[Thread] = relationship()
    author: Mapped[User | None] = relationship()


class PostRevision(Base):
    """Every earlier version of an edited post, kept for staff."""

    __tablename__ = "post_revisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    editor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Reaction(Base):
    __tablename__ = "reactions"
    __table_args__ = (UniqueConstraint("post_id", "user_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[ReactionKind] = mapped_column(Enum(ReactionKind, native_enum=False, length=30))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ThreadFollow(Base):
    __tablename__ = "thread_follows"
    __table_args__ = (UniqueConstraint("thread_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ReadMarker(Base):
    __tablename__ = "read_markers"
    __table_args__ = (UniqueConstraint("user_id", "thread_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("threads.id", ondelete="CASCADE"),
                                           index=True)
    last_read_post_id: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class PostQuote(Base):
    """Which post quotes which author's words, so quotations can be removed on erasure."""

    __tablename__ = "post_quotes"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    quoted_post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="SET NULL"), nullable=True, index=True
    )
    quoted_author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    excerpt: Mapped[str] = mapped_column(Text, default="")

