"""Who is on duty, and what the forum does when nobody is.

Queries: :func:`watchers` (trained facilitators on duty for a board now),
:func:`out_of_hours` (the board's "nobody is watching" switch), :func:`on_duty_now`,
:func:`list_shifts` (the rota), :func:`coverage` (the coming week's gaps),
:func:`handover_items`.

Actions (check permission, write, audit, emit ``duty.changed``/``handover.added``, commit):
``do_go_on_duty``, ``do_go_off_duty``, ``do_add_shift``, ``do_delete_shift``,
``do_clear_handover``. :func:`add_handover` is a step used by the post hook, the report
action and escalations inside their own transaction (no commit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session, joinedload

from forum.accounts.models import Role, User, UserStatus
from forum.audit.models import record
from forum.boards.models import Board, BoardFacilitator
from forum.db import FixedQuery, UTCDateTime, rolls_back_on_error, utcnow
from forum.errors import Conflict, Forbidden, Invalid, NotFound
from forum.events import queue_event
from forum.permissions import Viewer
from forum.templating import format_date
from moderation.access import require_admin, require_staff, require_staff_or_lead
from moderation.duty_models import HandoverItem, Shift
from moderation.training import require_trained, training_status

MAX_SHIFT_HOURS = 24
COVERAGE_DAYS = 7


def _facilitated(session: Session, user: User) -> set[int] | None:
    """Boards the user facilitates; None means every board (admins)."""
    if user.role == Role.ADMIN:
        return None
    return set(session.scalars(select(BoardFacilitator.board_id).where(
        BoardFacilitator.user_id == user.id)))


def _live_shifts(session: Session, now: datetime) -> list[Shift]:
    return list(session.scalars(select(Shift).where(
        Shift.starts_at <= now, or_(Shift.ends_at.is_(None), Shift.ends_at > now))
        .order_by(Shift.starts_at)))


def _covers(session: Session, shift: Shift, board_id: int) -> bool:
    user = shift.user
    if user.status != UserStatus.ACTIVE or user.role not in (Role.FACILITATOR, Role.ADMIN):
        return False
    facilitated = _facilitated(session, user)
    boards = set(shift.board_ids or [])
    if facilitated is None:
        return not boards or board_id in boards
    return shift.covers(board_id, facilitated)


def watchers(session: Session, board_id: int, now: datetime | None = None) -> list[User]:
    """Trained facilitators on duty for the board right now."""
    now = now or utcnow()
    found: dict[int, User] = {}
    for shift in _live_shifts(session, now):
        if _covers(session, shift, board_id) and training_status(
                session, shift.user_id, now.date()).ok:
            found[shift.user_id] = shift.user
    return list(found.values())


def _anyone_on_duty_statement(param: Any) -> Select[Any]:
    now = param("now", UTCDateTime())
    return select(Shift.id).where(
        Shift.starts_at <= now, or_(Shift.ends_at.is_(None), Shift.ends_at > now)).limit(1)


def anyone_on_duty_column(param: Any) -> Any:
    """Whether any shift is live now, as a column of the thread page's statement
    (forum.threads.page_key.register_page_fact): no live shift, no watcher anywhere."""
    return exists(_anyone_on_duty_statement(param))


# Asked on every board and thread page (the "not being watched" banner): one short
# statement on the driver's cursor (forum.db.FixedQuery) when nobody is on duty at all.
_ANYONE_ON_DUTY = FixedQuery(_anyone_on_duty_statement)


def out_of_hours(session: Session, board_id: int, now: datetime | None = None, *,
                 anyone_known: bool | None = None) -> bool:
    """True when the board should behave as unwatched (``OUT_OF_HOURS_ENABLED`` and no
    trained facilitator on duty). ``anyone_known``: whether anyone at all is on duty, when
    this request has read it already (see :func:`anyone_on_duty`)."""
    if not current_app.config.get("OUT_OF_HOURS_ENABLED", True):
        return False
    now = now or utcnow()
    if not anyone_on_duty(session, now, known=anyone_known):
        return True
    return not watchers(session, board_id, now)


def anyone_on_duty(session: Session, now: datetime, known: bool | None = None) -> bool:
    """Whether any shift is live at ``now``; ``known``: the answer read already, in this
    request, by the thread page's own statement."""
    if known is not None:
        return bool(known)
    return _ANYONE_ON_DUTY.first(session, now=now) is not None


@dataclass
class OnDuty:
    user: User
    boards: list[str]  # names, for pages
    until: datetime | None
    board_slugs: list[str] = field(default_factory=list)  # addresses, for the API


def on_duty_now(session: Session, viewer: Viewer, now: datetime | None = None) -> list[OnDuty]:
    """Who is on duty now (names and boards), for staff and leads."""
    require_staff_or_lead(session, viewer)
    now = now or utcnow()
    boards = list(session.scalars(select(Board).where(Board.archived.is_(False))
                                  .order_by(Board.name)))
    rows: dict[int, OnDuty] = {}
    for shift in _live_shifts(session, now):
        covered = [b for b in boards if _covers(session, shift, b.id)]
        row = rows.setdefault(shift.user_id, OnDuty(shift.user, [], shift.ends_at))
        row.boards = sorted(set(row.boards) | {b.name for b in covered})
        row.board_slugs = sorted(set(row.board_slugs) | {b.slug for b in covered})
    return list(rows.values())


def current_shift(session: Session, user_id: int, now: datetime | None = None) -> Shift | None:
    return next((s for s in _live_shifts(session, now or utcnow()) if s.user_id == user_id),
                None)


def _duty_event(session: Session, shift: Shift, on: bool) -> None:
    payload = {"user_id": shift.user_id, "username": shift.user.username, "on_duty": on}
    boards = session.scalars(select(Board).where(Board.archived.is_(False)))
    for board in boards:
        if _covers(session, shift, board.id):
            queue_event(session, "duty.changed", f"staff:{board.slug}", payload)
    queue_event(session, "duty.changed", "staff:leads", payload)


def _clean_boards(session: Session, viewer: Viewer, board_ids: list[int] | None) -> list[int]:
    ids = sorted(set(board_ids or []))
    for board_id in ids:
        if session.get(Board, board_id) is None or not viewer.facilitates(board_id):
            raise Invalid(fields={"boards": "Choose only boards you facilitate."})
    return ids


@rolls_back_on_error
def do_go_on_duty(session: Session, *, actor: Viewer, hours: int | None = None,
                  board_ids: list[int] | None = None) -> Shift:
    """Start a shift now (open-ended, or for ``hours``). Audits ``shift:start``; emits
    ``duty.changed`` to the covered boards' staff rooms and ``staff:leads``. Refused
    (Forbidden, "please renew") while the actor's required training has lapsed: going on
    duty is acting, and a lapsed facilitator would not count as watching anyway
    (:func:`watchers`). Going off duty is never refused."""
    require_staff(actor)
    require_trained(actor)
    assert actor.user is not None
    now = utcnow()
    if current_shift(session, actor.user.id, now) is not None:
        raise Conflict("You are already on duty.")
    if hours is not None and not 1 <= hours <= MAX_SHIFT_HOURS:
        raise Invalid(fields={"hours": f"Enter a number of hours from 1 to {MAX_SHIFT_HOURS}."})
    shift = Shift(user_id=actor.user.id, user=actor.user,
                  board_ids=_clean_boards(session, actor, board_ids), starts_at=now,
                  ends_at=now + timedelta(hours=hours) if hours else None,
                  created_by_id=actor.user.id, created_at=now)
    session.add(shift)
    session.flush()
    record(session, actor_id=actor.id, action="shift:start", subject_type="shift",
           subject_id=shift.id, after={"boards": shift.board_ids, "hours": hours})
    _duty_event(session, shift, True)
    session.commit()
    return shift


@rolls_back_on_error
def do_go_off_duty(session: Session, *, actor: Viewer) -> Shift:
    """End the actor's current shift now. Audits ``shift:end``; emits ``duty.changed``."""
    require_staff(actor)
    assert actor.user is not None
    now = utcnow()
    shift = current_shift(session, actor.user.id, now)
    if shift is None:
        raise Conflict("You are not on duty.")
    shift.ends_at = now
    record(session, actor_id=actor.id, action="shift:end", subject_type="shift",
           subject_id=shift.id, after={"ended_at": now.isoformat()})
    _duty_event(session, shift, False)
    session.commit()
    return shift


SHIFT_DAYS_AHEAD = 730  # two years


def _shift_start_problem(starts_at: datetime, now: datetime) -> str | None:
    """Why a shift cannot start then: before the year before the site launched (a mistyped
    year, such as 0001, once went on the rota), or more than two years ahead (where
    9999-12-31 also overflowed working out the shift's end)."""
    earliest_year = int(current_app.config.get("SITE_LAUNCH_YEAR", 2026)) - 1
    if starts_at.year < earliest_year:
        return f"Enter a start date from {earliest_year} onwards. Check the year."
    latest = now + timedelta(days=SHIFT_DAYS_AHEAD)
    if starts_at > latest:
        return (f"A shift can start at most two years ahead, by {format_date(latest)}. "
                "Check the year.")
    return None


@rolls_back_on_error
def do_add_shift(session: Session, *, actor: Viewer, user: User | None, starts_at: datetime | None,
                 ends_at: datetime | None, board_ids: list[int] | None = None) -> Shift:
    """An admin puts a facilitator on the rota. Audits ``shift:create``. Emits nothing
    (the shift is in the future). Refused for a facilitator whose required training will
    not be current when the shift starts: they could not act in the queue, and the board
    would show as watched by nobody anyway (:func:`watchers`)."""
    require_admin(actor)
    if user is None or user.role not in (Role.FACILITATOR, Role.ADMIN):
        raise Invalid(fields={"user": "Choose a facilitator."})
    if starts_at is None:
        raise Invalid(fields={"starts_at": "Enter when the shift starts."})
    problem = _shift_start_problem(starts_at, utcnow())
    if problem is not None:
        raise Invalid(fields={"starts_at": problem})
    if ends_at is None or ends_at <= starts_at:
        raise Invalid(fields={"ends_at": "The shift must end after it starts."})
    if ends_at - starts_at > timedelta(hours=MAX_SHIFT_HOURS):
        raise Invalid(fields={"ends_at": f"A shift can be at most {MAX_SHIFT_HOURS} hours."})
    if user.role == Role.FACILITATOR:
        status = training_status(session, user.id, starts_at.date())
        if not status.ok:
            courses = ", ".join(status.expired + status.missing)
            raise Invalid(fields={"user": f"{user.username}'s required training ({courses}) "
                                          "will not be current then. Record their renewal "
                                          "first: until then they cannot act in the queue."})
    ids = sorted(set(board_ids or []))
    facilitated = _facilitated(session, user)
    if facilitated is not None and not set(ids) <= facilitated:
        raise Invalid(fields={"boards": f"{user.username} does not facilitate every board "
                                        "chosen."})
    shift = Shift(user_id=user.id, user=user, board_ids=ids, starts_at=starts_at,
                  ends_at=ends_at, created_by_id=actor.id, created_at=utcnow())
    session.add(shift)
    session.flush()
    record(session, actor_id=actor.id, action="shift:create", subject_type="shift",
           subject_id=shift.id, after={"user_id": user.id, "boards": ids,
                                       "starts_at": starts_at.isoformat(),
                                       "ends_at": ends_at.isoformat()})
    session.commit()
    return shift


@rolls_back_on_error
def do_delete_shift(session: Session, *, actor: Viewer, shift_id: int) -> None:
    """Take a shift off the rota. Audits ``shift:delete``. Emits nothing."""
    require_admin(actor)
    shift = session.get(Shift, shift_id)
    if shift is None:
        raise NotFound("We could not find that shift.")
    record(session, actor_id=actor.id, action="shift:delete", subject_type="shift",
           subject_id=shift.id, before={"user_id": shift.user_id,
                                        "starts_at": shift.starts_at.isoformat()})
    session.delete(shift)
    session.commit()


# ---- the handover queue ---------------------------------------------------------------

def add_handover(session: Session, *, board: Board, kind: str, summary: str,
                 case_id: int | None = None, post_id: int | None = None,
                 thread_id: int | None = None, escalation_id: int | None = None) -> HandoverItem:
    """Keep something for the next shift (no commit). Emits ``handover.added``."""
    item = HandoverItem(board_id=board.id, kind=kind, summary=summary[:300], case_id=case_id,
                        post_id=post_id, thread_id=thread_id, escalation_id=escalation_id,
                        created_at=utcnow())
    session.add(item)
    session.flush()
    queue_event(session, "handover.added", f"staff:{board.slug}",
                {"item_id": item.id, "kind": kind, "board": board.slug})
    return item


def _staff_board_filter(viewer: Viewer) -> set[int] | None:
    return None if viewer.is_admin else {b for b in viewer.facilitated_board_ids
                                         if viewer.facilitates(b)}


def handover_items(session: Session, viewer: Viewer, *, include_cleared: bool = False
                   ) -> list[HandoverItem]:
    """The handover queue for the viewer's boards, oldest first."""
    require_staff(viewer)
    query = select(HandoverItem).order_by(HandoverItem.created_at, HandoverItem.id)
    boards = _staff_board_filter(viewer)
    if boards is not None:
        query = query.where(HandoverItem.board_id.in_(boards or {-1}))
    if not include_cleared:
        query = query.where(HandoverItem.cleared_at.is_(None))
    return list(session.scalars(query))


@rolls_back_on_error
def do_clear_handover(session: Session, *, actor: Viewer, item_ids: list[int]) -> int:
    """Mark handover items as read by the new shift. Audits ``handover:clear``. Emits
    ``handover.cleared`` to each board's staff room."""
    require_staff(actor)
    if not item_ids:
        raise Invalid(fields={"items": "Choose at least one item."})
    items = list(session.scalars(select(HandoverItem).where(HandoverItem.id.in_(item_ids))))
    if len(items) != len(set(item_ids)) or any(not actor.facilitates(i.board_id) for i in items):
        raise Forbidden("You can clear only items on boards you facilitate.")
    now = utcnow()
    for item in items:
        if item.cleared_at is None:
            item.cleared_at, item.cleared_by_id = now, actor.id
    record(session, actor_id=actor.id, action="handover:clear", subject_type="handover",
           after={"items": sorted(item_ids)})
    for slug in sorted({i.board.slug for i in items}):
        queue_event(session, "handover.cleared", f"staff:{slug}", {"items": sorted(item_ids)})
    session.commit()
    return len(items)


# ---- the rota and coverage for the coming week ----------------------------------------

def _shifts_between(session: Session, start: datetime, end: datetime) -> list[Shift]:
    """Shifts overlapping [start, end), open-ended ones included, earliest first."""
    return list(session.scalars(select(Shift).options(joinedload(Shift.user)).where(
        Shift.starts_at < end, or_(Shift.ends_at.is_(None), Shift.ends_at > start))
        .order_by(Shift.starts_at, Shift.id)))


def list_shifts(session: Session, viewer: Viewer, now: datetime | None = None,
                days: int = COVERAGE_DAYS) -> list[Shift]:
    """The rota (admins): every shift running now or starting in the coming ``days``."""
    require_admin(viewer)
    now = now or utcnow()
    return _shifts_between(session, now, now + timedelta(days=days))


def board_slugs(session: Session) -> dict[int, str]:
    """Board id → address, to name the boards a shift lists by id."""
    return {board_id: slug for board_id, slug in session.execute(select(Board.id, Board.slug))}


@dataclass
class BoardCoverage:
    board: Board
    gaps: list[tuple[datetime, datetime]]
    shifts: list[Shift]


def coverage(session: Session, viewer: Viewer, now: datetime | None = None,
             days: int = COVERAGE_DAYS) -> list[BoardCoverage]:
    """Per board: the rota's shifts in the coming ``days`` and the gaps between them.
    Open-ended "on duty now" shifts count only for the present hour: they are not a plan."""
    require_admin(viewer)
    now = now or utcnow()
    end = now + timedelta(days=days)
    shifts = _shifts_between(session, now, end)
    result = []
    for board in session.scalars(select(Board).where(Board.archived.is_(False))
                                 .order_by(Board.name)):
        mine = [s for s in shifts if _covers(session, s, board.id)
                and training_status(session, s.user_id, now.date()).ok]
        spans = sorted((max(s.starts_at, now),
                        min(s.ends_at or now + timedelta(hours=1), end)) for s in mine)
        gaps, cursor = [], now
        for start, stop in spans:
            if start > cursor:
                gaps.append((cursor, start))
            cursor = max(cursor, stop)
        if cursor < end:
            gaps.append((cursor, end))
        result.append(BoardCoverage(board, gaps, mine))
    return result
