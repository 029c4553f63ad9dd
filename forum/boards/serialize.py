"""Plain-JSON shape of a board, shared by the API and any real-time payload about boards."""

from __future__ import annotations

from typing import Any

from forum.boards.models import Board
from forum.threads.serialize import absolute_url


def board_url(board: Board) -> str:
    return absolute_url("boards.show", slug=board.slug)


def board_json(board: Board, *, is_member: bool = False,
               unread_threads: int | None = None) -> dict[str, Any]:
    """A board as anyone allowed to see it may see it (no moderation settings)."""
    return {
        "slug": board.slug,
        "name": board.name,
        "description": board.description,
        "condition": board.condition,
        "guidelines": board.guidelines,
        "visibility": str(board.visibility),
        "posting_policy": str(board.posting_policy),
        "support_model": dict(board.support_model or {}),
        "archived": board.archived,
        "thread_count": board.thread_count,
        "post_count": board.post_count,
        "last_activity_at": (board.last_activity_at.isoformat()
                             if board.last_activity_at else None),
        "is_member": is_member,
        "unread_threads": unread_threads,
        "url": board_url(board),
    }
