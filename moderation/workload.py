"""Admins' view of each facilitator's load, so nobody is left carrying too much: open
cases they hold, open escalations they acknowledged, their response times (how long
escalations they acknowledged waited for it; how long ones they first acted on waited
for action), and how many high-risk escalations they handled in each shift of the last
``WINDOW_DAYS``. Read-only; called by the workload page.

"Handled" means they did something on the escalation's timeline (acknowledged, started,
handed over, resolved, wrote a note, sent a message or acted on its item), not only
opened it; a case counts in a shift when they handled it between the shift's start and
end (a shift still running ends now).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import Role, User
from forum.db import utcnow
from forum.permissions import Viewer
from moderation.access import require_admin
from moderation.duty_models import Shift
from moderation.models import (
    OPEN_STATES,
    Case,
    Escalation,
    EscalationEvent,
    EscalationState,
    EscalationTier,
)

WINDOW_DAYS = 30
# Timeline entries that are someone doing something (seeing it is not handling it).
HANDLING = ("acknowledged", "in_progress", "handover", "resolved", "note", "message_sent",
            "item_action")
# The entries that end the wait for action.
ACTING = ("in_progress", "resolved")


@dataclass
class ShiftLoad:
    """One shift and the high-risk escalations its facilitator handled during it."""

    user: User
    starts_at: datetime
    ends_at: datetime | None
    high_risk: int


@dataclass
class Workload:
    user: User
    open_cases: int
    open_escalations: int
    median_ack_minutes: float | None
    median_act_minutes: float | None
    shifts: list[ShiftLoad] = field(default_factory=list)
    high_risk_handled: int = 0  # in the window, on shift or not

    @property
    def shift_count(self) -> int:
        return len(self.shifts)

    @property
    def most_in_a_shift(self) -> int | None:
        return max(s.high_risk for s in self.shifts) if self.shifts else None

    @property
    def high_risk_per_shift(self) -> float | None:
        if not self.shifts:
            return None
        return round(sum(s.high_risk for s in self.shifts) / len(self.shifts), 1)


def _minutes(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 60


def workload(session: Session, viewer: Viewer, now: datetime | None = None) -> list[Workload]:
    """One row per facilitator, heaviest first, over the last ``WINDOW_DAYS``."""
    require_admin(viewer)
    now = now or utcnow()
    since = now - timedelta(days=WINDOW_DAYS)
    users = list(session.scalars(select(User).where(
        User.role.in_([Role.FACILITATOR, Role.ADMIN])).order_by(User.username)))
    open_cases = dict(session.execute(select(Case.claimed_by_id, func.count()).where(
        Case.state.in_(OPEN_STATES), Case.claimed_by_id.is_not(None))
        .group_by(Case.claimed_by_id)).all())
    open_escs = dict(session.execute(select(Escalation.acknowledged_by_id, func.count()).where(
        Escalation.state != EscalationState.RESOLVED, Escalation.acknowledged_by_id.is_not(None))
        .group_by(Escalation.acknowledged_by_id)).all())

    # Response times: to acknowledge (who acknowledged), to act (who acted first).
    acks: dict[int, list[float]] = {}
    for by, at, opened in session.execute(select(
            Escalation.acknowledged_by_id, Escalation.acknowledged_at, Escalation.created_at)
            .where(Escalation.acknowledged_by_id.is_not(None),
                   Escalation.acknowledged_at.is_not(None), Escalation.created_at >= since)):
        acks.setdefault(by, []).append(_minutes(at, opened))
    # Every handling entry in the window, oldest first, with its escalation's tier.
    handled = list(session.execute(select(
        EscalationEvent.escalation_id, EscalationEvent.actor_id, EscalationEvent.kind,
        EscalationEvent.created_at, Escalation.tier, Escalation.created_at)
        .join(Escalation, Escalation.id == EscalationEvent.escalation_id)
        .where(EscalationEvent.actor_id.is_not(None), EscalationEvent.kind.in_(HANDLING),
               EscalationEvent.created_at >= since)
        .order_by(EscalationEvent.created_at, EscalationEvent.id)))
    acts: dict[int, list[float]] = {}
    first_act: set[int] = set()
    high: dict[int, list[tuple[int, datetime]]] = {}
    for esc_id, actor_id, kind, at, tier, opened in handled:
        if kind in ACTING and esc_id not in first_act:
            first_act.add(esc_id)
            acts.setdefault(actor_id, []).append(_minutes(at, opened))
        if tier == EscalationTier.HIGH:
            high.setdefault(actor_id, []).append((esc_id, at))

    shifts: dict[int, list[ShiftLoad]] = {}
    for shift in session.scalars(select(Shift).where(
            Shift.starts_at >= since, Shift.starts_at <= now)
            .order_by(Shift.starts_at.desc(), Shift.id.desc())):
        end = min(shift.ends_at or now, now)
        during = {esc_id for esc_id, at in high.get(shift.user_id, [])
                  if shift.starts_at <= at <= end}
        shifts.setdefault(shift.user_id, []).append(
            ShiftLoad(shift.user, shift.starts_at, shift.ends_at, len(during)))

    rows = [Workload(u, open_cases.get(u.id, 0), open_escs.get(u.id, 0),
                     round(median(acks[u.id]), 1) if acks.get(u.id) else None,
                     round(median(acts[u.id]), 1) if acts.get(u.id) else None,
                     shifts.get(u.id, []),
                     len({esc_id for esc_id, _ in high.get(u.id, [])}))
            for u in users]
    return sorted(rows, key=lambda r: (-(r.open_cases + r.open_escalations), r.user.username))


def shift_loads(rows: list[Workload]) -> list[ShiftLoad]:
    """Every shift in the window, newest first, for the page's per-shift table."""
    return sorted((s for r in rows for s in r.shifts), key=lambda s: s.starts_at,
                  reverse=True)
