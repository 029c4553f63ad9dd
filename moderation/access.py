"""Who may moderate what. Built on :class:`forum.permissions.Viewer` (its ``facilitates``):
staff see the boards they facilitate, admins see every board, members get 403 from every
moderation page and endpoint, and a case on a board you do not facilitate is 404.

Leads (a lead facilitator or clinical lead, :class:`moderation.duty_models.StaffLead`) are
the second level of every escalation, so they need not facilitate a board: they see the
escalations that reached level 2 and above (and any they were alerted about), can act on
those, and can read the review item behind them. Nothing else opens to them.

Used by every moderation adapter and action.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import Role
from forum.errors import Forbidden, NotFound
from forum.permissions import Viewer, require_user
from moderation.duty_models import StaffLead
from moderation.models import LEAD_LEVEL, Case, Escalation, EscalationEvent


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


# ---- leads -------------------------------------------------------------------------------

def is_lead(session: Session, viewer: Viewer) -> bool:
    """A named lead with an active staff account (one indexed lookup). The role matters:
    staff must sign in with two steps, and a lead reads members' posts. Naming a lead
    makes a member a facilitator (:func:`moderation.protocol.do_add_lead`); one whose
    role was later taken back to member is no longer let in."""
    user = viewer.user
    return (viewer.is_active and user is not None
            and user.role in (Role.FACILITATOR, Role.ADMIN)
            and session.scalar(select(StaffLead.id).where(StaffLead.user_id == user.id))
            is not None)


def require_staff_or_lead(session: Session, viewer: Viewer) -> None:
    """403 unless the viewer is staff (as :func:`require_staff`) or a lead."""
    require_user(viewer)
    if not is_staff(viewer) and not is_lead(session, viewer):
        raise Forbidden("Only facilitators can see this.")


def alerted_users(session: Session, escalation_ids: Iterable[int]) -> dict[int, set[int]]:
    """Per escalation, everyone its "alerted" timeline entries say were told."""
    ids = set(escalation_ids)
    found: dict[int, set[int]] = {i: set() for i in ids}
    if not ids:
        return found
    for esc_id, data in session.execute(select(
            EscalationEvent.escalation_id, EscalationEvent.data).where(
            EscalationEvent.escalation_id.in_(ids), EscalationEvent.kind == "alerted")):
        found[esc_id].update(u for u in (data or {}).get("users", []) if isinstance(u, int))
    return found


def can_handle_escalation(session: Session, viewer: Viewer, esc: Escalation, *,
                          lead: bool | None = None) -> bool:
    """Admins; the board's facilitators; leads once it reached level 2 or when they were
    alerted about it. ``lead`` saves the lookup when the caller already knows."""
    if not viewer.is_active:
        return False
    if viewer.is_admin or (esc.board_id is not None and viewer.facilitates(esc.board_id)):
        return True
    if not (is_lead(session, viewer) if lead is None else lead):
        return False
    return esc.level >= LEAD_LEVEL or viewer.id in alerted_users(session, [esc.id])[esc.id]


def access_escalation(session: Session, viewer: Viewer, escalation_id: int) -> Escalation:
    """An escalation the viewer may handle: 403 for members, 404 when it is not theirs."""
    require_staff_or_lead(session, viewer)
    esc = session.get(Escalation, escalation_id)
    if esc is None or not can_handle_escalation(session, viewer, esc):
        raise NotFound("We could not find that escalation.")
    return esc


# ---- cases -------------------------------------------------------------------------------

def access_case(session: Session, viewer: Viewer, case_id: int, *,
                reading: bool = False) -> Case:
    """A case the viewer may handle: 403 for members, 404 for other boards' staff.

    ``reading`` (the case page and the case API's GET): a lead may also read the item
    behind an escalation that reached them. Every action on the item still needs a
    facilitator of its board (:func:`require_facilitates`)."""
    if not reading:
        require_staff(viewer)
    else:
        require_staff_or_lead(session, viewer)
    case = session.get(Case, case_id)
    if case is not None and viewer.facilitates(case.board_id):
        return case
    if case is not None and reading and is_lead(session, viewer):
        escalations = session.scalars(select(Escalation).where(Escalation.case_id == case.id))
        if any(can_handle_escalation(session, viewer, e, lead=True) for e in escalations):
            return case
    raise NotFound("We could not find that item.")
