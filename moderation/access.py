"""Who may moderate what. Built on :class:`forum.permissions.Viewer` (its ``facilitates``):
staff see the boards they facilitate, admins see every board, members get 403 from every
moderation page and endpoint, and a case on a board you do not facilitate is 404.

Used by every moderation adapter and action.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.errors import Forbidden, NotFound
from forum.permissions import Viewer, require_user
from moderation.models import Case


def is_staff(viewer: Viewer) -> bool:
    """Admins, and active facilitators with at least one board."""
    return viewer.is_admin or any(viewer.facilitates(b) for b in viewer.facilitated_board_ids)


def require_staff(viewer: Viewer) -> None:
    require_user(viewer)
    if not is_staff(viewer):
        raise Forbidden("Only facilitators can see this.")


def require_admin(viewer: Viewer) -> None:
    require_user(viewer)
    if not viewer.is_admin:
        raise Forbidden("Only administrators can do this.")


def require_facilitates(viewer: Viewer, board_id: int) -> None:
    """A staff member acting on a board that is not theirs is refused (403), and so is a
    facilitator whose required training is not current (they can still read)."""
    from moderation.training import require_trained

    require_staff(viewer)
    if not viewer.facilitates(board_id):
        raise Forbidden("You are not a facilitator of that board.")
    require_trained(viewer)


def staff_board_ids(viewer: Viewer) -> set[int] | None:
    """The boards whose cases the viewer sees; ``None`` means all of them (admins)."""
    if viewer.is_admin:
        return None
    return {b for b in viewer.facilitated_board_ids if viewer.facilitates(b)}


def access_case(session: Session, viewer: Viewer, case_id: int) -> Case:
    """A case the viewer may handle: 403 for members, 404 for other boards' staff."""
    require_staff(viewer)
    case = session.get(Case, case_id)
    if case is None or not viewer.facilitates(case.board_id):
        raise NotFound("We could not find that item.")
    return case
