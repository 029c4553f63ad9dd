"""The retention purge: delete what has been kept as long as the settings allow.

Called by the background jobs (:func:`forum.notifications.jobs.run_tick`, at most every
``PURGE_INTERVAL_SECONDS``) and by ``forum privacy purge``. Deletes by age only, so it is
safe to run again or from several processes at once. This is the one place allowed to
delete audit entries (see :data:`forum.audit.models.PURGE_FLAG`); it records what it did as
a ``retention:purge`` entry with counts, and emits nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from forum.accounts.models import AccountEmail, UserSession
from forum.audit.models import PURGE_FLAG, AuditAction, AuditEntry, record
from forum.db import rolls_back_on_error
from forum.mail_models import OutgoingMail
from forum.notifications.models import EmailJob, Notification
from forum.privacy.models import SignInAddress
from forum.threads.models import Post, PostRevision, PostState
from moderation.duty_models import HandoverItem
from moderation.escalation_models import Escalation, EscalationState
from moderation.models import (
    ActionNotice,
    Appeal,
    AppealState,
    Case,
    Flag,
    Sanction,
    StaffNote,
)


@dataclass(frozen=True)
class Retention:
    """How many days each kind of record is kept (see README "Settings" for why)."""

    audit_days: int = 730
    moderation_days: int = 1095
    safeguarding_days: int = 2190
    ip_days: int = 30
    deleted_content_days: int = 90
    read_notification_days: int = 90
    email_job_days: int = 30

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Retention:
        return cls(
            audit_days=int(config["AUDIT_RETENTION_DAYS"]),
            moderation_days=int(config["MODERATION_RETENTION_DAYS"]),
            safeguarding_days=int(config["SAFEGUARDING_RETENTION_DAYS"]),
            ip_days=int(config["IP_RETENTION_DAYS"]),
            deleted_content_days=int(config["DELETED_CONTENT_RETENTION_DAYS"]),
            read_notification_days=int(config["READ_NOTIFICATION_RETENTION_DAYS"]),
            email_job_days=int(config["EMAIL_JOB_RETENTION_DAYS"]),
        )


@dataclass
class PurgeCounts:
    audit_entries: int = 0
    sign_in_addresses: int = 0
    session_networks: int = 0
    ended_sessions: int = 0
    notifications: int = 0
    email_jobs: int = 0
    account_emails: int = 0
    outgoing_mail: int = 0
    deleted_post_revisions: int = 0
    flag_snapshots: int = 0
    cases: int = 0
    escalations: int = 0
    handover_items: int = 0
    staff_notes: int = 0
    notices: int = 0
    sanctions: int = 0

    @property
    def total(self) -> int:
        return sum(asdict(self).values())


@contextmanager
def _audit_purge(session: Session) -> Iterator[None]:
    session.info[PURGE_FLAG] = True
    try:
        yield
    finally:
        session.info.pop(PURGE_FLAG, None)


def _count(session: Session, statement: Any) -> int:
    return int(session.execute(statement, execution_options={
        "synchronize_session": False}).rowcount or 0)


def _purge_content(session: Session, counts: PurgeCounts, now: datetime, keep: Retention
                   ) -> None:
    cutoff = now - timedelta(days=keep.deleted_content_days)
    deleted_posts = select(Post.id).where(Post.state == PostState.DELETED,
                                          Post.edited_at < cutoff)
    counts.deleted_post_revisions = _count(session, delete(PostRevision).where(
        PostRevision.post_id.in_(deleted_posts)))
    # The copy of a reported post kept with its case: gone once the case has been closed
    # long enough for an appeal, unless the case was escalated (safeguarding keeps longer).
    closed = select(Case.id).where(Case.closed_at < cutoff, Case.escalated.is_(False))
    counts.flag_snapshots = _count(session, update(Flag).where(
        Flag.case_id.in_(closed), or_(Flag.snapshot_source != "", Flag.snapshot_html != ""))
        .values(snapshot_source="", snapshot_html=""))


def _purge_moderation(session: Session, counts: PurgeCounts, now: datetime, keep: Retention
                      ) -> None:
    cutoff = now - timedelta(days=keep.moderation_days)
    safeguarding_cutoff = now - timedelta(days=keep.safeguarding_days)
    old_cases = select(Case.id).where(or_(
        and_(Case.escalated.is_(False), Case.closed_at < cutoff),
        and_(Case.escalated.is_(True), Case.closed_at < safeguarding_cutoff)))
    # Escalations (and their timelines, ON DELETE CASCADE) are kept for the safeguarding
    # time after they were resolved; one still open is live work and always stays. They
    # outlive their case otherwise (case_id is SET NULL), so they need their own rule.
    counts.escalations = _count(session, delete(Escalation).where(
        Escalation.state == EscalationState.RESOLVED,
        Escalation.resolved_at < safeguarding_cutoff))
    case_ids = list(session.scalars(old_cases))
    if case_ids:
        session.execute(delete(Flag).where(Flag.case_id.in_(case_ids)),
                        execution_options={"synchronize_session": False})
        # Case events go with their case (ON DELETE CASCADE); escalations: see above.
        counts.cases = _count(session, delete(Case).where(Case.id.in_(case_ids)))
    # Handover notes summarise a case (sometimes in the member's words): cleared ones go
    # with the moderation time, or the safeguarding time for an escalation's.
    about_risk = or_(HandoverItem.escalation_id.is_not(None), HandoverItem.kind == "escalation")
    counts.handover_items = _count(session, delete(HandoverItem).where(or_(
        and_(~about_risk, HandoverItem.cleared_at < cutoff),
        HandoverItem.cleared_at < safeguarding_cutoff)))
    counts.staff_notes = _count(session, delete(StaffNote).where(StaffNote.created_at < cutoff))
    # A notice with an appeal still waiting for a decision stays until it is decided.
    pending = select(Appeal.notice_id).where(Appeal.state == AppealState.PENDING)
    counts.notices = _count(session, delete(ActionNotice).where(
        ActionNotice.created_at < cutoff, ActionNotice.id.not_in(pending)))
    # Permanent suspensions (no end, not lifted) are never purged: they still apply.
    counts.sanctions = _count(session, delete(Sanction).where(or_(
        Sanction.lifted_at < cutoff,
        and_(Sanction.lifted_at.is_(None), Sanction.ends_at < cutoff))))


@rolls_back_on_error
def do_purge_expired(session: Session, *, now: datetime,
                     retention: Retention | None = None) -> PurgeCounts:
    """Delete everything older than its retention period (see :class:`Retention`).

    Records ``retention:purge`` with the counts (only when something was deleted, so a
    quiet hourly job does not fill the log); commits."""
    keep = retention or Retention()
    counts = PurgeCounts()
    ip_cutoff = now - timedelta(days=keep.ip_days)
    counts.sign_in_addresses = _count(session, delete(SignInAddress).where(
        SignInAddress.created_at < ip_cutoff))
    # The rough network a session began from is an address too: ended sessions go, and a
    # session still going forgets where it began.
    counts.ended_sessions = _count(session, delete(UserSession).where(
        UserSession.revoked_at < ip_cutoff))
    counts.session_networks = _count(session, update(UserSession).where(
        UserSession.created_at < ip_cutoff, UserSession.ip_network != "")
        .values(ip_network=""))
    counts.notifications = _count(session, delete(Notification).where(
        Notification.read_at < now - timedelta(days=keep.read_notification_days)))
    email_cutoff = now - timedelta(days=keep.email_job_days)
    # Notifications keep their row; only the link to a finished email job is cleared.
    finished = or_(EmailJob.sent_at < email_cutoff, EmailJob.cancelled_at < email_cutoff)
    session.execute(update(Notification).where(Notification.email_job_id.in_(
        select(EmailJob.id).where(finished))).values(email_job_id=None),
        execution_options={"synchronize_session": False})
    counts.email_jobs = _count(session, delete(EmailJob).where(finished))
    # Account emails (sign-up and reset links, welcome) keep the same time: the rows hold
    # no address or link, only that a mail of that kind went.
    counts.account_emails = _count(session, delete(AccountEmail).where(or_(
        AccountEmail.sent_at < email_cutoff, AccountEmail.cancelled_at < email_cutoff)))
    # Other mail (alerts, notices) was blanked when it went; its row goes the same way.
    counts.outgoing_mail = _count(session, delete(OutgoingMail).where(or_(
        OutgoingMail.sent_at < email_cutoff, OutgoingMail.cancelled_at < email_cutoff)))
    _purge_content(session, counts, now, keep)
    _purge_moderation(session, counts, now, keep)
    with _audit_purge(session):
        counts.audit_entries = _count(session, delete(AuditEntry).where(
            AuditEntry.created_at < now - timedelta(days=keep.audit_days)))
    if counts.total:
        record(session, actor_id=None, action=AuditAction.RETENTION_PURGE,
               subject_type="retention", after=asdict(counts))
    session.commit()
    return counts
