"""Admins' view of each facilitator's load: open cases they hold, open escalations they
acknowledged, the median time they took to acknowledge, and high-risk escalations handled
per shift. Read-only; called by the workload page.
"""

from __future__ import annotations

from dataclasses import dataclass
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
    EscalationState,
    EscalationTier,
)

WINDOW_DAYS = 30


@dataclass
class Workload:
    user: User
    open_cases: int
    open_escalations: int
    median_ack_minutes: float | None
    shifts: int
    high_risk_handled: int

    @property
    def high_risk_per_shift(self) -> float | None:
        return round(self.high_risk_handled / self.shifts, 1) if self.shifts else None


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
    acks: dict[int, list[float]] = {}
    high: dict[int, int] = {}
    for esc in session.scalars(select(Escalation).where(
            Escalation.acknowledged_by_id.is_not(None), Escalation.created_at >= since)):
        assert esc.acknowledged_by_id is not None and esc.acknowledged_at is not None
        acks.setdefault(esc.acknowledged_by_id, []).append(
            (esc.acknowledged_at - esc.created_at).total_seconds() / 60)
        if esc.tier == EscalationTier.HIGH:
            high[esc.acknowledged_by_id] = high.get(esc.acknowledged_by_id, 0) + 1
    shifts = dict(session.execute(select(Shift.user_id, func.count()).where(
        Shift.starts_at >= since, Shift.starts_at <= now).group_by(Shift.user_id)).all())
    rows = [Workload(u, open_cases.get(u.id, 0), open_escs.get(u.id, 0),
                     round(median(acks[u.id]), 1) if acks.get(u.id) else None,
                     shifts.get(u.id, 0), high.get(u.id, 0)) for u in users]
    return sorted(rows, key=lambda r: (-(r.open_cases + r.open_escalations), r.user.username))
