"""Shared set-up for moderation tests: a board with a facilitator, another board's
facilitator, an admin, a member, and a reported post with its case."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.boards.models import Board
from forum.threads.models import Post, Thread
from moderation.actions import do_report_post
from moderation.models import Case


@dataclass
class Scene:
    board: Board
    other_board: Board
    guide: User
    guide2: User
    other_guide: User
    admin: User
    member: User
    author: User
    thread: Thread
    post: Post

    def case(self, db: Session) -> Case:
        case = db.scalar(select(Case).where(Case.post_id == self.post.id))
        assert case is not None
        return case


def build_scene(db: Session, make, *, reported: bool = True, **board_fields) -> Scene:  # type: ignore[no-untyped-def]
    board = make.board(**board_fields)
    other = make.board()
    guide = make.facilitator(board)
    guide2 = make.facilitator(board)
    other_guide = make.facilitator(other)
    admin = make.admin()
    member = make.user()
    author = make.user()
    outcome = make.thread(board, author, body="Something that upset people.")
    scene = Scene(board, other, guide, guide2, other_guide, admin, member, author,
                  outcome.thread, outcome.post)
    if reported:
        do_report_post(db, actor=make.viewer(member), post=outcome.post, reason="abuse",
                       note="Felt unkind")
    return scene
