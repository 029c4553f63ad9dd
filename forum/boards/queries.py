"""Read-only queries about boards."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.accounts.usernames import username_key
from forum.boards.models import Board, BoardFacilitator
from forum.permissions import Viewer, can_see_board
from forum.threads.models import ReadMarker, Thread


@dataclass
class BoardSummary:
    board: Board
    is_member: bool
    unread_threads: int


def list_boards(session: Session, viewer: Viewer, *, include_archived: bool = False
                ) -> list[BoardSummary]:
    """Boards the viewer may see, ordered by position then name, with unread counts."""
    query = select(Board).order_by(Board.archived, Board.position, Board.name)
    if not include_archived:
        query = query.where(Board.archived.is_(False))
    boards = [b for b in session.scalars(query) if can_see_board(viewer, b)]
    unread = unread_counts_by_board(session, viewer, [b.id for b in boards])
    return [BoardSummary(board=b, is_member=viewer.is_member_of(b.id),
                         unread_threads=unread.get(b.id, 0)) for b in boards]


def unread_counts_by_board(session: Session, viewer: Viewer, board_ids: list[int]
                           ) -> dict[int, int]:
    """Threads with posts the member has not read, per board (members' boards only)."""
    if viewer.user is None or not board_ids:
        return {}
    member_boards = [b for b in board_ids if viewer.is_member_of(b)]
    if not member_boards:
        return {}
    marker = (select(ReadMarker.thread_id, ReadMarker.last_read_post_id)
              .where(ReadMarker.user_id == viewer.user.id).subquery())
    rows = session.execute(
        select(Thread.board_id, func.count(Thread.id))
        .outerjoin(marker, marker.c.thread_id == Thread.id)
        .where(Thread.board_id.in_(member_boards), Thread.visible.is_(True),
               Thread.last_post_id.is_not(None),
               or_(marker.c.last_read_post_id.is_(None),
                   and_(marker.c.last_read_post_id < Thread.last_post_id)))
        .group_by(Thread.board_id))
    return {board_id: count for board_id, count in rows}


def list_board_facilitators(session: Session, board: Board) -> list[User]:
    """The board's facilitators by name, in one query (for "About this board")."""
    return list(session.scalars(
        select(User).join(BoardFacilitator, BoardFacilitator.user_id == User.id)
        .where(BoardFacilitator.board_id == board.id).order_by(User.username_key)))


def find_user_by_username(session: Session, username: str) -> User | None:
    """The member called ``username`` (ignoring case and look-alikes), or None."""
    key = username_key((username or "").strip())
    if not key:
        return None
    return session.scalar(select(User).where(User.username_key == key))
