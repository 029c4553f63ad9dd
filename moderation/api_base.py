"""The moderation API's blueprint and route registry, shared by its modules
(:mod:`moderation.api` for the queue, cases, flags, notices, appeals, watched words and
audit; :mod:`moderation.api_escalations`; :mod:`moderation.api_duty`;
:mod:`moderation.api_training`; :mod:`moderation.api_shift`), and the small look-ups their
views share.

Routes are declared through the API's route registry (same input checks, one error
shape, same token/CSRF rules); :mod:`moderation.api` adds them all to
``/api/v1/openapi.json`` once every module has declared its own.
"""

from __future__ import annotations

from flask import Blueprint
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import User
from forum.api import blueprint as core_api
from forum.api.registry import ApiRegistry
from forum.boards.models import Board
from forum.errors import Invalid
from forum.extensions import csrf

bp = Blueprint("moderation_api", __name__, url_prefix="/api/v1/moderation")
api = ApiRegistry(bp)
csrf.exempt(bp)
# The same sign-in, token and CSRF rules and headers as the rest of the API.
bp.before_request(core_api._authenticate_and_protect)  # noqa: SLF001
bp.after_request(core_api._headers)  # noqa: SLF001
TAGS = ["moderation"]


def board_by_slug(session: Session, slug: str | None, *, field: str = "board") -> Board | None:
    """The board at an address given in a body (none for an empty one), or 422."""
    if not slug:
        return None
    board = session.scalar(select(Board).where(Board.slug == slug))
    if board is None:
        raise Invalid(fields={field: "There is no board with that address."})
    return board


def board_ids(session: Session, slugs: list[str], *, field: str = "boards") -> list[int]:
    """Board ids for a list of addresses, or 422 naming the first unknown one."""
    ids = []
    for slug in slugs:
        board = session.scalar(select(Board).where(Board.slug == slug))
        if board is None:
            raise Invalid(fields={field: f"There is no board called \u201c{slug}\u201d."})
        ids.append(board.id)
    return ids


def user_by_name(session: Session, username: str, *, field: str = "user") -> User:
    """The account with that user name, or 422."""
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise Invalid(fields={field: "There is no account with that user name."})
    return user
