"""The "download my data" document: everything held about one member, as plain data.

Read-only; called by :func:`forum.privacy.actions.do_export_my_data`, which checks the
password, audits and commits. The sections follow :data:`forum.privacy.inventory.EXPORTED`
(a test checks every exported section is present). Never included: password hashes, token
hashes, who else reported a post, which facilitator acted, staff notes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import (
    AccountEmail,
    ApiToken,
    PasswordResetUse,
    PendingEmailChange,
    User,
    UserSession,
)
from forum.audit.models import AuditAction, AuditEntry
from forum.boards.models import Board, BoardFacilitator, BoardMembership
from forum.mail_models import OutgoingMail
from forum.notifications.models import (
    DEFAULT_FREQUENCY,
    EmailJob,
    Notification,
    NotificationPreference,
)
from forum.privacy.models import SignInAddress
from forum.threads.models import Post, PostRevision, Reaction, ReadMarker, Thread, ThreadFollow
from moderation.models import ActionNotice, Appeal, Flag, Sanction

SECTION_TITLES: dict[str, str] = {
    "profile": "Your account",
    "sessions": "Signing in",
    "sign_in_history": "When you signed in and out",
    "staff_work": "Your duty shifts and training (facilitators)",
    "sign_in_addresses": "Network addresses you signed in from",
    "api_tokens": "Personal access tokens",
    "password_resets": "Password reset links you used",
    "account_emails": "Account emails we sent you",
    "other_emails": "Other emails we sent you (notices, alerts, reminders)",
    "email_changes": "Email address changes waiting or just made",
    "board_memberships": "Boards you joined",
    "boards_facilitated": "Boards you facilitate",
    "threads_started": "Conversations you started",
    "posts": "Your posts",
    "reactions": "Your reactions",
    "follows": "Conversations you follow",
    "read_markers": "How far you have read",
    "notifications": "Your notifications",
    "notification_preferences": "Your email choice",
    "emails": "Notification emails",
    "reports_made": "Reports you made",
    "moderation_notices": "Messages from the moderators",
    "appeals": "Your appeals",
    "sanctions": "Warnings, mutes and suspensions",
    "account_activity": "Everything you did that we recorded",
}


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _boards(session: Session, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return dict(session.execute(select(Board.id, Board.name).where(Board.id.in_(ids))).all())


def _posts(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(
        select(Post, Thread.title, Thread.board_id).join(Thread, Thread.id == Post.thread_id)
        .where(Post.author_id == user.id).order_by(Post.id)).all()
    boards = _boards(session, {board_id for _, _, board_id in rows})
    post_ids = [post.id for post, _, _ in rows]
    revisions: dict[int, list[dict[str, Any]]] = {}
    if post_ids:
        for rev in session.scalars(select(PostRevision).where(
                PostRevision.post_id.in_(post_ids)).order_by(PostRevision.id)):
            revisions.setdefault(rev.post_id, []).append({
                "saved_at": _when(rev.created_at),
                "body": rev.body_source,
                # Which facilitator edited is not said, only that it was not the member.
                "changed_by": "you" if rev.editor_id == user.id else "a facilitator",
                "reason": rev.reason,
            })
    return [{
        "id": post.id, "thread_id": post.thread_id, "thread_title": title,
        "board": boards.get(board_id, ""), "state": str(post.state), "body": post.body_source,
        "created_at": _when(post.created_at), "edited_at": _when(post.edited_at),
        "earlier_versions": revisions.get(post.id, []),
    } for post, title, board_id in rows]


def _account(session: Session, user: User) -> dict[str, Any]:
    entries = list(session.scalars(select(AuditEntry).where(
        AuditEntry.actor_id == user.id).order_by(AuditEntry.id)))
    signins = [{"action": "signed in" if e.action == AuditAction.USER_LOGIN else "signed out",
                "at": _when(e.created_at)} for e in entries
               if e.action in (AuditAction.USER_LOGIN, AuditAction.USER_LOGOUT)]
    # Only what was done and to what: reasons and before/after may be about other people.
    activity = [{"action": e.action, "at": _when(e.created_at),
                 "subject_type": e.subject_type, "subject_id": e.subject_id} for e in entries]
    return {
        "sessions": [
            {"browser": row.user_agent, "network": row.ip_network, "remember_me": row.remember,
             "started": _when(row.created_at), "last_seen": _when(row.last_seen_at),
             "ended": _when(row.revoked_at)}
            for row in session.scalars(select(UserSession).where(
                UserSession.user_id == user.id).order_by(UserSession.created_at))],
        "staff_work": _staff_work(session, user),
        "sign_in_history": signins,
        "account_activity": activity,
        "sign_in_addresses": [{"ip": a.ip, "at": _when(a.created_at)} for a in session.scalars(
            select(SignInAddress).where(SignInAddress.user_id == user.id)
            .order_by(SignInAddress.id))],
    }


def _staff_work(session: Session, user: User) -> dict[str, Any]:
    """Facilitators' own duty shifts and training records (empty for members)."""
    from moderation.duty_models import Shift, TrainingRecord

    return {
        "duty_shifts": [{"boards": s.board_ids, "starts": _when(s.starts_at),
                         "ends": _when(s.ends_at)} for s in session.scalars(
            select(Shift).where(Shift.user_id == user.id).order_by(Shift.starts_at))],
        "training": [{"course_id": r.course_id, "completed_on": r.completed_on.isoformat(),
                      "expires_on": r.expires_on.isoformat() if r.expires_on else None}
                     for r in session.scalars(select(TrainingRecord).where(
                         TrainingRecord.user_id == user.id).order_by(TrainingRecord.id))],
    }


def _community(session: Session, user: User) -> dict[str, Any]:
    uid = user.id
    memberships = list(session.scalars(select(BoardMembership).where(
        BoardMembership.user_id == uid)))
    facilitated = list(session.scalars(select(BoardFacilitator).where(
        BoardFacilitator.user_id == uid)))
    threads = list(session.scalars(select(Thread).where(Thread.author_id == uid)
                                   .order_by(Thread.id)))
    boards = _boards(session, {m.board_id for m in memberships}
                     | {f.board_id for f in facilitated} | {t.board_id for t in threads})
    titles = dict(session.execute(select(Thread.id, Thread.title).where(Thread.id.in_(
        select(ThreadFollow.thread_id).where(ThreadFollow.user_id == uid)))).all())
    return {
        "board_memberships": [{"board": boards.get(m.board_id, ""),
                               "joined_at": _when(m.joined_at)} for m in memberships],
        "boards_facilitated": [{"board": boards.get(f.board_id, ""),
                                "since": _when(f.assigned_at)} for f in facilitated],
        "threads_started": [{"id": t.id, "title": t.title, "board": boards.get(t.board_id, ""),
                             "created_at": _when(t.created_at)} for t in threads],
        "posts": _posts(session, user),
        "reactions": [{"post_id": r.post_id, "reaction": str(r.kind),
                       "at": _when(r.created_at)} for r in session.scalars(
            select(Reaction).where(Reaction.user_id == uid).order_by(Reaction.id))],
        "follows": [{"thread_id": f.thread_id, "thread_title": titles.get(f.thread_id, ""),
                     "since": _when(f.created_at)} for f in session.scalars(
            select(ThreadFollow).where(ThreadFollow.user_id == uid))],
        "read_markers": [{"thread_id": m.thread_id, "last_read_post_id": m.last_read_post_id,
                          "at": _when(m.updated_at)} for m in session.scalars(
            select(ReadMarker).where(ReadMarker.user_id == uid))],
    }


def _notifications(session: Session, user: User) -> dict[str, Any]:
    uid = user.id
    pref = session.get(NotificationPreference, uid)
    return {
        "notifications": [{"kind": str(n.kind), "text": n.text, "link": n.link,
                           "created_at": _when(n.created_at), "read_at": _when(n.read_at)}
                          for n in session.scalars(select(Notification).where(
                              Notification.user_id == uid).order_by(Notification.id))],
        "notification_preferences": {
            "email_frequency": str(pref.email_frequency if pref else DEFAULT_FREQUENCY),
            "chosen": pref is not None,
        },
        "emails": [{"kind": str(j.kind), "period": j.period_key,
                    "created_at": _when(j.created_at), "sent_at": _when(j.sent_at),
                    "cancelled_at": _when(j.cancelled_at)} for j in session.scalars(
            select(EmailJob).where(EmailJob.user_id == uid).order_by(EmailJob.id))],
    }


def _moderation(session: Session, user: User) -> dict[str, Any]:
    uid = user.id
    notices = list(session.scalars(select(ActionNotice).where(ActionNotice.user_id == uid)
                                   .order_by(ActionNotice.id)))
    return {
        # The member's own reports: their reason and note, never anyone else's report.
        "reports_made": [{"post_id": f.post_id, "reason": str(f.reason), "note": f.note,
                          "at": _when(f.created_at)} for f in session.scalars(
            select(Flag).where(Flag.reporter_id == uid).order_by(Flag.id))],
        "moderation_notices": [{"title": n.title, "message": n.message, "kind": n.kind,
                                "post_id": n.post_id, "thread_id": n.thread_id,
                                "at": _when(n.created_at), "read_at": _when(n.read_at)}
                               for n in notices],
        "appeals": [{"notice_title": a.notice.title, "text": a.text, "state": str(a.state),
                     "decision_note": a.decision_note, "at": _when(a.created_at),
                     "decided_at": _when(a.decided_at)} for a in session.scalars(
            select(Appeal).where(Appeal.user_id == uid).order_by(Appeal.id))],
        "sanctions": [{"kind": str(s.kind), "reason": s.reason, "starts_at": _when(s.starts_at),
                       "ends_at": _when(s.ends_at), "lifted_at": _when(s.lifted_at),
                       "overturned": s.overturned} for s in session.scalars(
            select(Sanction).where(Sanction.user_id == uid).order_by(Sanction.id))],
    }


def build_export(session: Session, user: User, *, now: datetime, service_name: str,
                 remember_days: int | None = None) -> dict[str, Any]:
    """Everything held about ``user``, section by section (see :data:`SECTION_TITLES`)."""
    data: dict[str, Any] = {
        "service": service_name,
        "generated_at": _when(now),
        "profile": {
            "id": user.id, "username": user.username, "email": user.email,
            "role": str(user.role), "status": str(user.status),
            "created_at": _when(user.created_at), "last_seen_at": _when(user.last_seen_at),
            "accepted_guidelines_at": _when(user.accepted_guidelines_at),
            "post_count": user.post_count,
        },
        # Names, prefixes and dates only: the secret was shown once and only its hash is kept.
        "api_tokens": [{"name": t.name, "starts_with": t.prefix,
                        "created_at": _when(t.created_at), "last_used_at": _when(t.last_used_at),
                        "revoked_at": _when(t.revoked_at)} for t in session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))],
        "password_resets": [{"used_at": _when(r.used_at)} for r in session.scalars(
            select(PasswordResetUse).where(PasswordResetUse.user_id == user.id))],
        # Which account emails went (reset links, welcome), never the links themselves.
        "account_emails": [{"kind": str(m.kind), "created_at": _when(m.created_at),
                            "sent_at": _when(m.sent_at), "cancelled_at": _when(m.cancelled_at)}
                           for m in session.scalars(select(AccountEmail).where(
                               AccountEmail.user_id == user.id).order_by(AccountEmail.id))],
        # What each said is forgotten once it went; until then it is shown as it will go.
        "other_emails": [{"kind": m.kind, "subject": m.subject, "text": m.text,
                          "created_at": _when(m.created_at), "sent_at": _when(m.sent_at),
                          "cancelled_at": _when(m.cancelled_at)}
                         for m in session.scalars(select(OutgoingMail).where(
                             OutgoingMail.user_id == user.id).order_by(OutgoingMail.id))],
        # Kept only until the link is used or runs out, and the old address told.
        "email_changes": [{"new_email": c.email, "asked_at": _when(c.created_at),
                           "changed_at": _when(c.changed_at), "old_email": c.old_email}
                          for c in session.scalars(select(PendingEmailChange).where(
                              PendingEmailChange.user_id == user.id)
                              .order_by(PendingEmailChange.id))],
    }
    data.update(_account(session, user))
    data["profile"]["remember_me_days"] = remember_days
    data.update(_community(session, user))
    data.update(_notifications(session, user))
    data.update(_moderation(session, user))
    return data
