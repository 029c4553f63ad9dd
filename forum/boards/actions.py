"""Changes to boards: creation and settings by admins, joining and leaving by members,
facilitator assignment and invitations to private boards."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import Role, User
from forum.accounts.sessions import end_all_sessions
from forum.audit.models import AuditAction, record
from forum.boards.models import (
    SUPPORT_MODEL_FIELDS,
    Board,
    BoardFacilitator,
    BoardMembership,
    PostingPolicy,
    RiskPolicy,
    Visibility,
)
from forum.db import rolls_back_on_error
from forum.errors import Forbidden, Invalid
from forum.events import queue_event
from forum.permissions import (
    Viewer,
    can_join_board,
    can_manage_boards,
    require_acts_for,
    require_user,
)
from forum.plain_text import one_line, shows_nothing
from forum.session_sockets import board_readers_room, queue_rooms_reset

INVITE_REFUSED = "Only the board's facilitators can invite members."
INVITE_DOING = "invite members"
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
EDITABLE_FIELDS = ("name", "description", "condition", "guidelines", "visibility",
                   "posting_policy", "held_first_posts", "risk_policy", "report_hide_threshold",
                   "support_model", "position")
TEXT_LIMITS = {"name": 120, "description": 2000, "condition": 160, "guidelines": 20000}


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64].strip("-")


def _clean_board_fields(values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        if key not in EDITABLE_FIELDS:
            continue
        if key in TEXT_LIMITS:
            text = str(value or "").strip()
            if key in ("name", "condition"):
                # Shown as one line in lists and titles, like a conversation's title.
                text = one_line(text)
            if key == "name" and shows_nothing(text):
                errors[key] = "Enter a name for the board."
            elif len(text) > TEXT_LIMITS[key]:
                errors[key] = f"This must be {TEXT_LIMITS[key]:,} characters or fewer."
            clean[key] = text
        elif key in ("visibility", "posting_policy", "risk_policy"):
            enum_type = {"visibility": Visibility, "posting_policy": PostingPolicy,
                         "risk_policy": RiskPolicy}[key]
            try:
                clean[key] = enum_type(value)
            except ValueError:
                errors[key] = "Choose one of: " + ", ".join(e.value for e in enum_type)
        elif key in ("held_first_posts", "report_hide_threshold", "position"):
            try:
                number = int(value)
            except (TypeError, ValueError):
                errors[key] = "Enter a whole number."
                continue
            if not 0 <= number <= 1000:
                errors[key] = "Enter a number from 0 to 1,000."
            clean[key] = number
        elif key == "support_model":
            if not isinstance(value, dict):
                errors[key] = "Describe the support model as named fields."
                continue
            unknown = set(value) - set(SUPPORT_MODEL_FIELDS)
            if unknown:
                errors[key] = "Unknown support-model fields: " + ", ".join(sorted(unknown))
            clean[key] = {k: str(v).strip()[:1000] for k, v in value.items()
                          if k in SUPPORT_MODEL_FIELDS and str(v or "").strip()}
    if errors:
        raise Invalid(fields=errors)
    return clean


@rolls_back_on_error
def do_create_board(session: Session, *, actor: Viewer | None, name: str, slug: str = "",
                    **fields: Any) -> Board:
    """An admin (or the CLI, ``actor=None``) creates a board. Audits ``board:create``."""
    if actor is not None and not can_manage_boards(actor):
        raise Forbidden("Only administrators can create boards.")
    slug = (slug or slugify(name)).strip().lower()
    clean = _clean_board_fields({"name": name, **fields})
    if not slug or not SLUG_PATTERN.fullmatch(slug) or len(slug) > 64:
        raise Invalid(fields={"slug": "Use lower-case letters, numbers and single dashes, "
                                      "like type-2-diabetes."})
    if session.scalar(select(Board.id).where(Board.slug == slug)) is not None:
        raise Invalid(fields={"slug": "Another board already uses that address."})
    board = Board(slug=slug, **clean)
    session.add(board)
    session.flush()
    record(session, actor_id=actor.id if actor else None, action=AuditAction.BOARD_CREATE,
           subject_type="board", subject_id=board.id, board_id=board.id,
           after={"slug": slug, "visibility": str(board.visibility)})
    session.commit()
    return board


@rolls_back_on_error
def do_update_board(session: Session, *, actor: Viewer, board: Board, **fields: Any) -> Board:
    """An admin changes a board's settings. Audits ``board:update`` with changed field names."""
    if not can_manage_boards(actor):
        raise Forbidden("Only administrators can change boards.")
    clean = _clean_board_fields(fields)
    changed = {k: v for k, v in clean.items() if getattr(board, k) != v}
    before = {k: _plain(getattr(board, k)) for k in changed}
    for key, value in changed.items():
        setattr(board, key, value)
    if "visibility" in changed:
        # Readers who may not read it now must stop hearing it.
        queue_rooms_reset(session, board_readers_room(board.id))
    if changed:
        record(session, actor_id=actor.id, action=AuditAction.BOARD_UPDATE,
               subject_type="board", subject_id=board.id, board_id=board.id,
               before=before, after={k: _plain(v) for k, v in changed.items()})
    session.commit()
    return board


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, (Visibility, PostingPolicy, RiskPolicy)) else value


@rolls_back_on_error
def do_archive_board(session: Session, *, actor: Viewer, board: Board, archived: bool = True
                     ) -> Board:
    """Archive (read-only) or restore a board. Audits ``board:archive``/``board:unarchive``."""
    if not can_manage_boards(actor):
        raise Forbidden("Only administrators can archive boards.")
    if board.archived != archived:
        board.archived = archived
        record(session, actor_id=actor.id,
               action=AuditAction.BOARD_ARCHIVE if archived else AuditAction.BOARD_UNARCHIVE,
               subject_type="board", subject_id=board.id, board_id=board.id)
    session.commit()
    return board


@rolls_back_on_error
def do_join_board(session: Session, *, actor: Viewer, board: Board) -> BoardMembership:
    """A member joins a public or members-only board. Audits ``board:join``."""
    user = require_user(actor)
    existing = session.scalar(select(BoardMembership).where(
        BoardMembership.board_id == board.id, BoardMembership.user_id == user.id))
    if existing is not None:
        return existing
    if not can_join_board(actor, board):
        raise Forbidden("This board is joined by invitation only."
                        if board.visibility == Visibility.PRIVATE
                        else "You cannot join this board.")
    membership = BoardMembership(board_id=board.id, user_id=user.id)
    session.add(membership)
    record(session, actor_id=user.id, action=AuditAction.BOARD_JOIN, subject_type="board",
           subject_id=board.id, board_id=board.id)
    session.commit()
    actor.member_board_ids.add(board.id)
    return membership


@rolls_back_on_error
def do_leave_board(session: Session, *, actor: Viewer, board: Board) -> None:
    """A member leaves a board. Audits ``board:leave``."""
    user = require_user(actor)
    membership = session.scalar(select(BoardMembership).where(
        BoardMembership.board_id == board.id, BoardMembership.user_id == user.id))
    if membership is None:
        return
    session.delete(membership)
    record(session, actor_id=user.id, action=AuditAction.BOARD_LEAVE, subject_type="board",
           subject_id=board.id, board_id=board.id)
    if board.visibility == Visibility.PRIVATE:
        # Their open pages must stop hearing a board they can no longer read.
        queue_rooms_reset(session, f"user:{user.id}")
    session.commit()
    actor.member_board_ids.discard(board.id)


@rolls_back_on_error
def do_invite_member(session: Session, *, actor: Viewer, board: Board, user: User
                     ) -> BoardMembership:
    """Staff add a member to a (private) board. Audits ``board:invite``; tells the member.
    Refused (Forbidden) to anyone who does not facilitate the board, and to a facilitator
    whose required training has lapsed (they may read, not act)."""
    require_acts_for(actor, board.id, refused=INVITE_REFUSED, doing=INVITE_DOING)
    existing = session.scalar(select(BoardMembership).where(
        BoardMembership.board_id == board.id, BoardMembership.user_id == user.id))
    if existing is not None:
        return existing
    membership = BoardMembership(board_id=board.id, user_id=user.id, invited_by_id=actor.id)
    session.add(membership)
    record(session, actor_id=actor.id, action=AuditAction.BOARD_INVITE, subject_type="user",
           subject_id=user.id, board_id=board.id)
    queue_event(session, "board.invited", f"user:{user.id}", {"board": board.slug})
    session.commit()
    return membership


@rolls_back_on_error
def do_assign_facilitator(session: Session, *, actor: Viewer | None, board: Board, user: User,
                          assign: bool = True) -> None:
    """An admin makes ``user`` a facilitator of ``board`` (or removes them). Members become
    facilitators by role too. Audits ``board:assign_facilitator``/``unassign``."""
    if actor is not None and not can_manage_boards(actor):
        raise Forbidden("Only administrators can assign facilitators.")
    existing = session.scalar(select(BoardFacilitator).where(
        BoardFacilitator.board_id == board.id, BoardFacilitator.user_id == user.id))
    if assign and existing is None:
        if user.role == Role.MEMBER:
            user.role = Role.FACILITATOR
            end_all_sessions(session, user)
        session.add(BoardFacilitator(board_id=board.id, user_id=user.id))
        if session.scalar(select(BoardMembership.id).where(
                BoardMembership.board_id == board.id,
                BoardMembership.user_id == user.id)) is None:
            session.add(BoardMembership(board_id=board.id, user_id=user.id))
        record(session, actor_id=actor.id if actor else None,
               action=AuditAction.BOARD_ASSIGN_FACILITATOR, subject_type="user",
               subject_id=user.id, board_id=board.id)
    elif not assign and existing is not None:
        session.delete(existing)
        record(session, actor_id=actor.id if actor else None,
               action=AuditAction.BOARD_UNASSIGN_FACILITATOR, subject_type="user",
               subject_id=user.id, board_id=board.id)
        # Out of the board's staff room (held posts, the queue) at once.
        queue_rooms_reset(session, f"user:{user.id}")
    session.commit()
