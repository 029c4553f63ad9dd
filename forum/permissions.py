"""Who may do what: ``can_*`` predicates and ``access_*`` fetchers, used by every adapter.

A :class:`Viewer` is loaded once per request (two small queries) so that every predicate
after that is a pure function. Private boards are NotFound, not Forbidden, to outsiders:
even the existence of a condition board can say something about a person.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, false, select, true, union_all
from sqlalchemy.orm import Session, joinedload

from forum.accounts.models import Role, User, UserStatus
from forum.boards.models import Board, BoardFacilitator, BoardMembership, Visibility
from forum.db import FixedQuery
from forum.errors import DomainError, Forbidden, NotFound, Unauthorised
from forum.threads.models import Post, PostState, Thread


@dataclass
class Viewer:
    """The person making a request, with the board facts every check needs."""

    user: User | None = None
    member_board_ids: set[int] = field(default_factory=set)
    facilitated_board_ids: set[int] = field(default_factory=set)
    # Whether a facilitator's required training is current; asked once, when first needed.
    _training_current: bool | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> int | None:
        return self.user.id if self.user else None

    @property
    def is_authenticated(self) -> bool:
        return self.user is not None

    @property
    def is_active(self) -> bool:
        return self.user is not None and self.user.status == UserStatus.ACTIVE

    @property
    def is_admin(self) -> bool:
        return self.user is not None and self.user.role == Role.ADMIN and self.is_active

    def facilitates(self, board_id: int) -> bool:
        return self.is_admin or (
            self.is_active
            and self.user is not None
            and self.user.role in (Role.FACILITATOR, Role.ADMIN)
            and board_id in self.facilitated_board_ids
        )

    def acts_for(self, board_id: int) -> bool:
        """Facilitates ``board_id`` and may act there (edit or delete others' posts, reply
        in locked conversations, post guidance). Admins always may; a facilitator whose
        required training has lapsed may still read everything they facilitate, but not
        act, as in the review queue (:func:`moderation.access.require_facilitates`)."""
        if not self.facilitates(board_id):
            return False
        if self.is_admin or _training_check is None:
            return True
        if self._training_current is None:
            self._training_current = bool(_training_check(self))
        return self._training_current

    def is_member_of(self, board_id: int) -> bool:
        return board_id in self.member_board_ids


# What a facilitator whose required training has lapsed is told when they try to act.
TRAINING_LAPSED = ("Your facilitator training needs renewing. Until it is renewed you can "
                   "read your boards, but you cannot {doing}. Please ask an administrator "
                   "about renewing it.")


def require_acts_for(viewer: Viewer, board_id: int, *, refused: str, doing: str) -> None:
    """Forbidden (``refused``) unless the viewer facilitates ``board_id``; Forbidden, with a
    plain "please renew" message naming what they tried (``doing``), when they do but their
    required training has lapsed (:meth:`Viewer.acts_for`)."""
    if not viewer.facilitates(board_id):
        raise Forbidden(refused)
    if not viewer.acts_for(board_id):
        raise Forbidden(TRAINING_LAPSED.format(doing=doing))


# Registered by the moderation package at start-up (it owns training records), so that
# ``forum`` never imports moderation's models. Without it every facilitator may act.
TrainingCheck = Callable[[Viewer], bool]
_training_check: TrainingCheck | None = None


def register_training_check(check: TrainingCheck) -> None:
    """Tell :meth:`Viewer.acts_for` whether a facilitator's required training is current."""
    global _training_check
    _training_check = check


ANONYMOUS = Viewer()


def _boards_statement(param: Any) -> Any:
    user_id = param("user_id", Integer())
    return union_all(
        select(BoardMembership.board_id, false()).where(BoardMembership.user_id == user_id),
        select(BoardFacilitator.board_id, true()).where(BoardFacilitator.user_id == user_id))


# Both lists in one statement, straight on the driver's cursor (forum.db.FixedQuery): this
# runs on every signed-in request.
_BOARDS = FixedQuery(_boards_statement)


def load_viewer(session: Session, user: User | None) -> Viewer:
    if user is None:
        return Viewer()
    member_ids: set[int] = set()
    facilitated: set[int] = set()
    for board_id, facilitates in _BOARDS.all(session, user_id=user.id):
        (facilitated if facilitates else member_ids).add(board_id)
    return Viewer(user=user, member_board_ids=member_ids, facilitated_board_ids=facilitated)


# ---- predicates -------------------------------------------------------------------------

def can_see_board(viewer: Viewer, board: Board) -> bool:
    """Whether the board's existence may be shown (listed, or found by its address)."""
    if board.visibility == Visibility.PRIVATE:
        return viewer.is_member_of(board.id) or viewer.facilitates(board.id)
    return True


def can_read_board(viewer: Viewer, board: Board) -> bool:
    if board.visibility == Visibility.PUBLIC:
        return True
    if board.visibility == Visibility.MEMBERS:
        return viewer.is_authenticated
    return viewer.is_member_of(board.id) or viewer.facilitates(board.id)


def can_post_in_board(viewer: Viewer, board: Board) -> bool:
    if not viewer.is_active or board.archived:
        return False
    if board.visibility == Visibility.PRIVATE:
        return viewer.is_member_of(board.id) or viewer.facilitates(board.id)
    return True


def can_join_board(viewer: Viewer, board: Board) -> bool:
    # Private boards are joined by invitation only.
    return (viewer.is_active and not board.archived
            and board.visibility != Visibility.PRIVATE and not viewer.is_member_of(board.id))


def can_reply(viewer: Viewer, thread: Thread) -> bool:
    if not can_post_in_board(viewer, thread.board):
        return False
    return not thread.locked or viewer.acts_for(thread.board_id)


def can_see_post(viewer: Viewer, post: Post, board_id: int) -> bool:
    """Held and hidden posts are seen by their author and the board's staff only."""
    if post.state in (PostState.PUBLISHED, PostState.DELETED):
        return True
    if viewer.facilitates(board_id):
        return True
    return viewer.id is not None and post.author_id == viewer.id


def can_edit_post(viewer: Viewer, post: Post, thread: Thread) -> bool:
    if not viewer.is_active or post.state == PostState.DELETED:
        return False
    if viewer.acts_for(thread.board_id):
        return True
    if thread.board.archived or thread.locked:
        return False
    if post.state in (PostState.HIDDEN, PostState.DECLINED):
        return False
    return post.author_id == viewer.id


def can_delete_post(viewer: Viewer, post: Post, thread: Thread) -> bool:
    if not viewer.is_active or post.state == PostState.DELETED:
        return False
    return post.author_id == viewer.id or viewer.acts_for(thread.board_id)


def can_react(viewer: Viewer, post: Post, thread: Thread) -> bool:
    return (can_post_in_board(viewer, thread.board) and post.state == PostState.PUBLISHED)


def can_manage_boards(viewer: Viewer) -> bool:
    return viewer.is_admin


def can_moderate(viewer: Viewer, board_id: int) -> bool:
    return viewer.facilitates(board_id)


# ---- fetch and authorise ---------------------------------------------------------------

def can_view_member_private(viewer: Viewer) -> bool:
    """Members' emails and sign-in addresses: admins only (with a logged reason), never
    facilitators."""
    return viewer.is_admin


def require_user(viewer: Viewer) -> User:
    if viewer.user is None:
        raise Unauthorised()
    if not viewer.is_active:
        raise Forbidden("Your account cannot do that right now.")
    return viewer.user


def access_board(session: Session, viewer: Viewer, slug: str) -> Board:
    board = session.scalar(select(Board).where(Board.slug == slug))
    if board is None or not can_see_board(viewer, board):
        raise NotFound("We could not find that board.")
    if not can_read_board(viewer, board):
        raise Unauthorised("Please sign in to read this board.")
    return board


def thread_refusal(viewer: Viewer, thread: Thread | None) -> DomainError | None:
    """The error :func:`access_thread` raises for ``thread`` (None: the viewer may read it).

    Reads only ``board`` (id, visibility), ``board_id``, ``visible`` and ``author_id``, so
    the thread page's cache (forum/threads/page_key.py) asks it about plain columns too.
    """
    if thread is None or not can_see_board(viewer, thread.board):
        return NotFound("We could not find that conversation.")
    if not can_read_board(viewer, thread.board):
        return Unauthorised("Please sign in to read this conversation.")
    if not thread.visible and not (
        viewer.facilitates(thread.board_id) or (viewer.id and thread.author_id == viewer.id)
    ):
        return NotFound("We could not find that conversation.")
    return None


def access_thread(session: Session, viewer: Viewer, thread_id: int) -> Thread:
    # The board comes in the same statement: every check needs it.
    thread = session.get(Thread, thread_id, options=[joinedload(Thread.board)])
    refusal = thread_refusal(viewer, thread)
    if refusal is not None:
        raise refusal
    assert thread is not None
    return thread


def access_post(session: Session, viewer: Viewer, post_id: int) -> Post:
    post = session.get(Post, post_id)
    if post is None:
        raise NotFound("We could not find that post.")
    thread = access_thread(session, viewer, post.thread_id)
    if not can_see_post(viewer, post, thread.board_id):
        raise NotFound("We could not find that post.")
    return post
