"""Members report posts. Who calls: the report page and ``POST /api/v1/moderation/flags``."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.audit.models import record
from forum.db import rolls_back_on_error
from forum.errors import Conflict, Forbidden, Invalid
from forum.events import queue_event
from forum.permissions import Viewer, can_see_post, require_user
from forum.threads.models import Post, PostState
from moderation.actions._common import ModAction, add_event, open_case_for, snapshot_flag
from moderation.duty import add_handover, out_of_hours
from moderation.models import REASON_SEVERITY, CaseKind, Flag, FlagReason

NOTE_MAX = 1000
MEMBER_REASONS = [r for r in FlagReason if r != FlagReason.SYSTEM]
ALREADY_REPORTED = ("You have already reported this post, so it is with the facilitators. "
                    "You do not need to report it again. Thank you for looking out for others.")


class AlreadyReported(Conflict):
    """The member has reported this post before (one report per member per post). The
    page and the API answer it kindly, as the confirmation, rather than as an error."""

    code = "already_reported"
    default_message = ALREADY_REPORTED


def _own_report(session: Session, post_id: int, user_id: int) -> int | None:
    return session.scalar(select(Flag.id).where(Flag.post_id == post_id,
                                                Flag.reporter_id == user_id))


def parse_reason(value: str | None) -> FlagReason:
    try:
        reason = FlagReason(value or "")
    except ValueError:
        reason = None
    if reason is None or reason == FlagReason.SYSTEM:
        raise Invalid(fields={"reason": "Choose why you are reporting this post."})
    return reason


@rolls_back_on_error
def do_report_post(session: Session, *, actor: Viewer, post: Post, reason: str,
                   note: str = "") -> Flag:
    """A member reports a published post, keeping a snapshot of it. Opens (or adds to) the
    post's case; when enough different members have reported it (the board's
    ``report_hide_threshold``) the post is hidden until a facilitator decides (out of
    hours the hide waits for a person and goes to the handover queue instead).
    Audits ``flag:create`` (and ``post:auto_hide``); emits ``case.opened``/``case.updated``
    to the staff room and, on hiding, ``post.deleted`` (state hidden) to the thread."""
    user = require_user(actor)
    thread = post.thread
    if not can_see_post(actor, post, thread.board_id) or post.state != PostState.PUBLISHED:
        raise Forbidden("This post cannot be reported.")
    if post.author_id == user.id:
        raise Forbidden("You cannot report your own post. You can edit or delete it instead.")
    flag_reason = parse_reason(reason)
    note = " ".join((note or "").split())
    if flag_reason == FlagReason.OTHER and not note:
        raise Invalid(fields={"note": "Tell us a little about what is wrong."})
    if len(note) > NOTE_MAX:
        raise Invalid(fields={"note": f"Please keep this to {NOTE_MAX:,} characters or fewer."})
    if _own_report(session, post.id, user.id) is not None:
        raise AlreadyReported()
    severity = REASON_SEVERITY[flag_reason]
    case = open_case_for(session, post, thread, kind=CaseKind.FLAGGED, severity=severity,
                         summary=f"Reported: {flag_reason.label}")
    flag = snapshot_flag(post, case_id=case.id, reporter_id=user.id, reason=flag_reason,
                         note=note, severity=severity)
    if out_of_hours(session, thread.board_id):
        add_handover(session, board=thread.board, kind="report",
                     summary=f"Reported: {flag_reason.label}", case_id=case.id,
                     post_id=post.id, thread_id=thread.id)
    session.flush()  # the case and handover first, so only the flag's insert is caught below
    session.add(flag)
    try:
        session.flush()
    except IntegrityError:
        # The same member's other request (a double click, two tabs) got there first
        # between the check above and this insert: the table allows one report each.
        # rolls_back_on_error rolls back the case and handover written above.
        raise AlreadyReported() from None
    add_event(session, case, None, "flag", flag_reason.label, {"flag_id": flag.id})
    record(session, actor_id=user.id, action=ModAction.FLAG_CREATE, subject_type="post",
           subject_id=post.id, board_id=thread.board_id,
           after={"flag_id": flag.id, "case_id": case.id, "reason": str(flag_reason)})
    reporters = session.scalar(select(func.count(func.distinct(Flag.reporter_id))).where(
        Flag.post_id == post.id, Flag.reporter_id.is_not(None), Flag.reviewed_at.is_(None))) or 0
    threshold = thread.board.report_hide_threshold
    # With nobody trained on duty an automatic hide waits for a person: it goes to the
    # handover queue instead, so a pile-on at 3 a.m. cannot silence someone unseen.
    if threshold > 0 and reporters >= threshold and out_of_hours(session, thread.board_id):
        add_event(session, case, None, "auto_hide_waiting",
                  f"Reports from {reporters} members: waiting for a facilitator to decide.")
        add_handover(session, board=thread.board, kind="auto_hide_waiting",
                     summary=f"Reported by {reporters} members; not hidden until a "
                             "facilitator decides", case_id=case.id, post_id=post.id,
                     thread_id=thread.id)
    elif threshold > 0 and reporters >= threshold:
        post.state = PostState.HIDDEN
        add_event(session, case, None, "auto_hidden",
                  f"Hidden after reports from {reporters} members.")
        record(session, actor_id=None, action=ModAction.POST_AUTO_HIDE, subject_type="post",
               subject_id=post.id, board_id=thread.board_id, reason="member reports",
               before={"state": "published"}, after={"state": "hidden", "reports": reporters})
        queue_event(session, "post.deleted", f"thread:{thread.id}",
                    {"thread_id": thread.id, "post_id": post.id, "state": "hidden"})
    session.commit()
    return flag
