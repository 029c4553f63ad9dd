"""Facilitators and admins act on a member: warn, mute on a board, suspend (admins), lift
expired sanctions, and keep staff-only notes. Each follows the admin's ladder as a
suggestion (see :func:`suggest_step`). Who calls: the case page, the API, the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import Role, User, UserStatus
from forum.accounts.sessions import end_all_sessions
from forum.audit.models import record
from forum.boards.models import Board
from forum.db import utcnow
from forum.errors import Forbidden, Invalid
from forum.permissions import Viewer
from moderation.access import require_admin, require_facilitates, require_staff
from moderation.actions._common import (
    ModAction,
    add_event,
    case_updated,
    clean_message,
    clean_reason,
)
from moderation.actions.posts import template_values
from moderation.messages import filled
from moderation.models import Case, LadderStep, Sanction, SanctionKind, StaffNote
from moderation.notices import tell_member

NOTE_MAX = 5000
MAX_DAYS = 3650


@dataclass(frozen=True)
class Step:
    kind: SanctionKind
    days: int | None

    @property
    def label(self) -> str:
        if self.kind == SanctionKind.WARNING:
            return "A warning"
        length = "permanently" if self.days is None else f"for {self.days} days"
        return f"{'Mute' if self.kind == SanctionKind.MUTE else 'Suspend'} {length}"


DEFAULT_LADDER = (Step(SanctionKind.WARNING, None), Step(SanctionKind.MUTE, 14),
                  Step(SanctionKind.SUSPENSION, 30), Step(SanctionKind.SUSPENSION, None))


def get_ladder(session: Session) -> list[Step]:
    rows = list(session.scalars(select(LadderStep).order_by(LadderStep.position)))
    return [Step(r.kind, r.days) for r in rows] or list(DEFAULT_LADDER)


def suggest_step(session: Session, user_id: int) -> Step:
    """The next rung for this member: one step further for each sanction that stands."""
    count = session.scalar(select(func.count(Sanction.id)).where(
        Sanction.user_id == user_id, Sanction.overturned.is_(False))) or 0
    ladder = get_ladder(session)
    return ladder[min(count, len(ladder) - 1)]


def _check_target(actor: Viewer, user: User) -> None:
    if user.id == actor.id:
        raise Forbidden("You cannot do this to your own account.")
    if user.role == Role.ADMIN:
        raise Forbidden("Administrators cannot be sanctioned here.")


def _days(days: int | str | None, *, allow_permanent: bool) -> int | None:
    if days in (None, "", "permanent"):
        if allow_permanent:
            return None
        raise Invalid(fields={"days": "Enter how many days, from 1 to 3,650."})
    try:
        number = int(days)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise Invalid(fields={"days": "Enter a whole number of days."}) from None
    if not 1 <= number <= MAX_DAYS:
        raise Invalid(fields={"days": "Enter how many days, from 1 to 3,650."})
    return number


def _sanction(session: Session, *, actor: Viewer, user: User, board: Board | None,
              kind: SanctionKind, days: int | None, reason: str, message: str | None,
              key: str, action: ModAction, case: Case | None) -> Sanction:
    now = utcnow()
    ends = now + timedelta(days=days) if days else None
    until = f"{ends:%d %B %Y}" if ends else "further notice"
    t = filled(session, key, **template_values(user.username, board.name if board else "Alongside",
                                               until=until))
    text = clean_message(message if message is not None else t.body)
    sanction = Sanction(user_id=user.id, kind=kind, board_id=board.id if board else None,
                        case_id=case.id if case else None, reason=reason, starts_at=now,
                        ends_at=ends if kind != SanctionKind.WARNING else None,
                        created_by_id=actor.id)
    session.add(sanction)
    session.flush()
    before = {"status": str(user.status)}
    if kind == SanctionKind.SUSPENSION:
        user.status = UserStatus.SUSPENDED
        # Ends every session, remember-me cookie and live connection at once.
        end_all_sessions(session, user)
    tell_member(session, user_id=user.id, kind=str(kind), title=t.title,
                message=f"{text}\n\nReason: {reason}",
                post_id=case.post_id if case else None,
                thread_id=case.thread_id if case else None,
                board_id=board.id if board else None, case_id=case.id if case else None,
                sanction_id=sanction.id, appealable=True, acted_by_id=actor.id)
    record(session, actor_id=actor.id, action=action, subject_type="user", subject_id=user.id,
           board_id=board.id if board else None, reason=reason, before=before,
           after={"sanction_id": sanction.id, "kind": str(kind), "days": days,
                  "status": str(user.status)})
    if case is not None:
        add_event(session, case, actor, str(kind), reason, {"sanction_id": sanction.id,
                                                            "days": days})
        case_updated(session, case)
    session.commit()
    return sanction


def do_warn_member(session: Session, *, actor: Viewer, user: User, board: Board, reason: str,
                   message: str | None = None, case: Case | None = None) -> Sanction:
    """A facilitator of ``board`` warns a member. Audits ``user:warn``; emits
    ``moderation.notice`` to the member."""
    require_facilitates(actor, board.id)
    _check_target(actor, user)
    return _sanction(session, actor=actor, user=user, board=board, kind=SanctionKind.WARNING,
                     days=None, reason=clean_reason(reason, required=True), message=message,
                     key="warn", action=ModAction.USER_WARN, case=case)


def do_mute_member(session: Session, *, actor: Viewer, user: User, board: Board,
                   days: int | str | None, reason: str, message: str | None = None,
                   case: Case | None = None) -> Sanction:
    """A facilitator stops a member posting on ``board`` for some days (the post hook
    enforces it). Audits ``user:mute``; emits ``moderation.notice``."""
    require_facilitates(actor, board.id)
    _check_target(actor, user)
    return _sanction(session, actor=actor, user=user, board=board, kind=SanctionKind.MUTE,
                     days=_days(days, allow_permanent=False),
                     reason=clean_reason(reason, required=True), message=message, key="mute",
                     action=ModAction.USER_MUTE, case=case)


def do_suspend_member(session: Session, *, actor: Viewer, user: User, days: int | str | None,
                      reason: str, message: str | None = None, board: Board | None = None,
                      case: Case | None = None) -> Sanction:
    """An admin suspends an account for some days or permanently (``days=None``): status
    SUSPENDED and every session ended. Audits ``user:suspend``; emits
    ``moderation.notice``."""
    require_admin(actor)
    _check_target(actor, user)
    return _sanction(session, actor=actor, user=user, board=board,
                     kind=SanctionKind.SUSPENSION, days=_days(days, allow_permanent=True),
                     reason=clean_reason(reason, required=True), message=message,
                     key="suspend", action=ModAction.USER_SUSPEND, case=case)


def lift(session: Session, sanction: Sanction, actor_id: int | None, why: str) -> None:
    """Lift one sanction (shared with appeals); does not commit."""
    sanction.lifted_at = utcnow()
    user = sanction.user
    if sanction.kind == SanctionKind.SUSPENSION and user.status == UserStatus.SUSPENDED:
        others = session.scalar(select(func.count(Sanction.id)).where(
            Sanction.user_id == user.id, Sanction.id != sanction.id,
            Sanction.kind == SanctionKind.SUSPENSION, Sanction.lifted_at.is_(None)))
        if not others:
            user.status = UserStatus.ACTIVE
    record(session, actor_id=actor_id, action=ModAction.SANCTION_LIFT, subject_type="user",
           subject_id=user.id, board_id=sanction.board_id, reason=why,
           before={"sanction_id": sanction.id}, after={"status": str(user.status)})


def do_lift_expired_sanctions(session: Session) -> int:
    """Lift mutes and suspensions whose time is up (run by ``forum moderation
    lift-expired`` on a schedule). Audits ``sanction:lift`` for each."""
    now = utcnow()
    due = list(session.scalars(select(Sanction).where(
        Sanction.lifted_at.is_(None), Sanction.ends_at.is_not(None), Sanction.ends_at <= now)))
    for sanction in due:
        lift(session, sanction, None, "time is up")
    session.commit()
    return len(due)


def do_add_staff_note(session: Session, *, actor: Viewer, user: User, body: str,
                      board: Board | None = None, case: Case | None = None) -> StaffNote:
    """A staff-only note about a member. Audits ``staff_note:create`` (never the text).
    Writing one is moderation work: refused while required training has lapsed."""
    from moderation.training import require_trained

    require_staff(actor)
    require_trained(actor)
    if board is not None:
        require_facilitates(actor, board.id)
    body = (body or "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid(fields={"body": "Enter your note."})
    if len(body) > NOTE_MAX:
        raise Invalid(fields={"body": f"The note must be {NOTE_MAX:,} characters or fewer."})
    note = StaffNote(subject_id=user.id, author_id=actor.id,
                     board_id=board.id if board else None, body=body, created_at=utcnow())
    session.add(note)
    session.flush()
    record(session, actor_id=actor.id, action=ModAction.STAFF_NOTE_CREATE, subject_type="user",
           subject_id=user.id, board_id=board.id if board else None,
           after={"note_id": note.id})
    if case is not None:
        add_event(session, case, actor, "staff_note", "", {"note_id": note.id})
    session.commit()
    return note
