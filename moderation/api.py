"""The moderation JSON API under ``/api/v1/moderation``: the queue, a case and its
actions, flags, notices and appeals, watched words and the audit log (here); escalations,
duty and the rota, training, and the handover queue, unanswered posts and workload
(:mod:`moderation.api_escalations`, :mod:`moderation.api_duty`,
:mod:`moderation.api_training`, :mod:`moderation.api_shift`).

A blueprint of its own, declared through the API's route registry (same input checks,
one error shape, same token/CSRF rules) and added to ``/api/v1/openapi.json``. Members get
403 from every staff endpoint; a facilitator sees only their boards. Views call one
action or query and never commit.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.api import blueprint as core_api
from forum.api.registry import Result
from forum.auth import current_viewer
from forum.boards.models import Board
from forum.db import get_session
from forum.errors import Invalid, NotFound
from forum.permissions import Viewer, access_post
from moderation import actions as A
from moderation.access import access_case
from moderation.actions.flags import ALREADY_REPORTED, AlreadyReported
from moderation.api_base import TAGS, api, board_by_slug, bp
from moderation.api_schemas import (
    AppealIn,
    AppealOut,
    AuditEntryOut,
    AuditOut,
    AuditQuery,
    CaseActionIn,
    CaseDetailOut,
    CaseEventOut,
    DecisionIn,
    FlagDetail,
    FlagIn,
    FlagOut,
    NoticeOut,
    PreviewMatch,
    PreviewOut,
    QueueOut,
    WatchedWordIn,
    WatchedWordOut,
)
from moderation.models import Case, Flag, WatchedWord
from moderation.queries import (
    QueueRow,
    access_appeal,
    access_notice,
    access_watched_word,
    get_case_detail,
    list_audit,
    list_my_notices,
    list_my_reports,
    list_pending_appeals,
    list_queue,
    list_watched_words,
    my_report_of,
    parse_audit_filter,
    preview_watched_word,
)

__all__ = ["bp"]


def _case_out(case: Case, reports: int = 0, claimed: Any = None) -> dict[str, Any]:
    return {"id": case.id, "board": case.board.slug, "kind": str(case.kind),
            "state": str(case.state), "severity": str(case.severity), "summary": case.summary,
            "post_id": case.post_id, "thread_id": case.thread_id,
            "thread_title": case.thread.title if case.thread else None,
            "post_state": str(case.post.state) if case.post else None,
            "author": case.author.username if case.author else None,
            "claimed_by": claimed.username if claimed else None, "escalated": case.escalated,
            "reports": reports, "created_at": case.created_at}


def _row(row: QueueRow) -> dict[str, Any]:
    return _case_out(row.case, row.report_count, row.claimed_by)


@api.route("/queue", methods=["GET"], responses={200: QueueOut}, auth=True, tags=TAGS)
def queue() -> Result:
    """The review queue: open items on your boards, most urgent first, and appeals waiting.
    """
    viewer = current_viewer()
    session = get_session()
    rows = list_queue(session, viewer)
    return {"cases": [_row(r) for r in rows],
            "appeals": [a.id for a in list_pending_appeals(session, viewer)]}


def _detail(session: Session, viewer: Viewer, case_id: int) -> dict[str, Any]:
    d = get_case_detail(session, viewer, case_id)
    out = _case_out(d.case, sum(1 for f in d.flags if f.reporter_id), d.claimed_by)
    out.update({
        "post_html": d.post.body_html if d.post else None,
        "flags": [FlagDetail(id=f.id, reason=str(f.reason), severity=str(f.severity),
                             system=f.is_system,
                             reporter=f.reporter.username if f.reporter else None,
                             note=f.note, rules=f.rules, snapshot_html=f.snapshot_html,
                             snapshot_state=f.snapshot_state, created_at=f.created_at)
                  for f in d.flags],
        "timeline": [CaseEventOut(kind=e.kind, actor=e.actor.username if e.actor else None,
                                  text=e.text, created_at=e.created_at) for e in d.timeline],
        "context_post_ids": [p.id for p in d.context],
        "author_recent_post_ids": [p.id for p in d.author_recent],
        "staff_notes": [n.body for n in d.staff_notes],
        "suggested_step": d.suggested.label if d.suggested else None,
        "templates": {k: t.body for k, t in d.templates.items()},
    })
    return out


@api.route("/cases/<int:case_id>", methods=["GET"], responses={200: CaseDetailOut},
           auth=True, tags=TAGS)
def case(case_id: int) -> Result:
    """One item: the post, every flag with its snapshot, the timeline, staff notes and the
    ready message templates."""
    return _detail(get_session(), current_viewer(), case_id)


def _require(case: Case, attr: str) -> Any:
    value = getattr(case, attr)
    if value is None:
        raise NotFound(f"The {attr} for this item no longer exists.")
    return value


def _perform(session: Session, viewer: Viewer, case: Case, b: CaseActionIn) -> None:
    post = lambda: _require(case, "post")  # noqa: E731
    thread = lambda: _require(case, "thread")  # noqa: E731
    author = lambda: _require(case, "author")  # noqa: E731
    verb = b.action
    if verb == "claim":
        A.do_claim_case(session, actor=viewer, case=case)
    elif verb == "release":
        A.do_release_case(session, actor=viewer, case=case)
    elif verb == "note":
        A.do_add_case_note(session, actor=viewer, case=case, text=b.text)
    elif verb == "close":
        A.do_close_case(session, actor=viewer, case=case, state=b.state, note=b.reason)
    elif verb == "escalate":
        A.do_escalate_case(session, actor=viewer, case=case, reason=b.reason, tier=b.tier)
    elif verb == "approve":
        A.do_approve_post(session, actor=viewer, post=post(), case=case, message=b.message)
    elif verb in ("reject", "hide", "restore"):
        fn = {"reject": A.do_reject_post, "hide": A.do_hide_post,
              "restore": A.do_restore_post}[verb]
        fn(session, actor=viewer, post=post(), case=case, reason=b.reason, message=b.message)
    elif verb == "edit":
        A.do_moderate_edit_post(session, actor=viewer, post=post(), case=case, body=b.body,
                                reason=b.reason, message=b.message)
    elif verb == "guide":
        A.do_guide(session, actor=viewer, thread=thread(), mode=b.mode,
                   message=b.message or "", case=case)
    elif verb in ("lock", "unlock"):
        A.do_lock_thread(session, actor=viewer, thread=thread(), locked=verb == "lock",
                         reason=b.reason, case=case)
    elif verb in ("pin", "unpin"):
        A.do_pin_thread(session, actor=viewer, thread=thread(), pinned=verb == "pin", case=case)
    elif verb == "move":
        board = session.scalar(select(Board).where(Board.slug == b.board))
        if board is None:
            raise Invalid(fields={"board": "Choose a board to move the conversation to."})
        A.do_move_thread(session, actor=viewer, thread=thread(), board=board, reason=b.reason,
                         case=case)
    elif verb == "warn":
        A.do_warn_member(session, actor=viewer, user=author(), board=case.board,
                         reason=b.reason, message=b.message, case=case)
    elif verb == "mute":
        A.do_mute_member(session, actor=viewer, user=author(), board=case.board, days=b.days,
                         reason=b.reason, message=b.message, case=case)
    elif verb == "suspend":
        A.do_suspend_member(session, actor=viewer, user=author(), days=b.days,
                            reason=b.reason, message=b.message, board=case.board, case=case)
    elif verb == "staff_note":
        A.do_add_staff_note(session, actor=viewer, user=author(), body=b.text, case=case)


@api.route("/cases/<int:case_id>/actions", methods=["POST"], body=CaseActionIn,
           responses={200: CaseDetailOut}, auth=True, tags=TAGS)
def case_action(case_id: int, body: CaseActionIn) -> Result:
    """Act on an item: claim, approve, hide, restore, edit, guide, lock, pin, move, warn,
    mute, suspend (admins), escalate, note or close. Returns the item afterwards."""
    viewer = current_viewer()
    session = get_session()
    the_case = access_case(session, viewer, case_id)
    _perform(session, viewer, the_case, body)
    return _detail(session, viewer, case_id)


def _already_reported(flag: Flag) -> Result:
    return {"id": flag.id, "post_id": flag.post_id, "reason": str(flag.reason),
            "reviewed": flag.reviewed_at is not None, "created_at": flag.created_at,
            "message": ALREADY_REPORTED}, 200


@api.route("/flags", methods=["POST"], body=FlagIn, responses={201: FlagOut, 200: FlagOut},
           auth=True, errors=[404], tags=TAGS)
def report(body: FlagIn) -> Result:
    """Report a post. A facilitator will read it; enough reports hide it until then.

    Reporting a post you have already reported (a retry, a double tap) files nothing new:
    the answer is 200 with your existing report and a message saying so."""
    viewer = current_viewer()
    session = get_session()
    # Before the post's access check: the first report may itself have hidden the post.
    already = my_report_of(session, viewer, body.post_id)
    if already is not None:
        return _already_reported(already)
    post = access_post(session, viewer, body.post_id)
    try:
        flag = A.do_report_post(session, actor=viewer, post=post, reason=body.reason,
                                note=body.note)
    except AlreadyReported:  # the same member's other request got there first
        already = my_report_of(session, viewer, body.post_id)
        if already is None:
            raise
        return _already_reported(already)
    return {"id": flag.id, "post_id": flag.post_id, "reason": str(flag.reason),
            "reviewed": False, "created_at": flag.created_at,
            "message": "Thank you. A trained facilitator will look at this post. The author "
                       "will not be told who reported it."}, 201


@api.route("/flags/mine", methods=["GET"], responses={200: {"type": "array"}}, auth=True,
           tags=TAGS)
def my_reports() -> Result:
    """Your reports, and whether a facilitator has looked at each one."""
    rows = list_my_reports(get_session(), current_viewer())
    return [FlagOut(id=r.flag.id, post_id=r.flag.post_id, reason=str(r.flag.reason),
                    reviewed=r.reviewed, created_at=r.flag.created_at).model_dump(mode="json")
            for r in rows]


@api.route("/notices", methods=["GET"], responses={200: {"type": "array"}}, auth=True,
           tags=TAGS)
def my_notices() -> Result:
    """What facilitators did about your posts or account, and why."""
    return [NoticeOut(id=n.id, kind=n.kind, title=n.title, message=n.message,
                      post_id=n.post_id, thread_id=n.thread_id, appealable=n.appealable,
                      appeal_state=str(n.appeal.state) if n.appeal else None,
                      created_at=n.created_at).model_dump(mode="json")
            for n in list_my_notices(get_session(), current_viewer())]


@api.route("/notices/<int:notice_id>/appeal", methods=["POST"], body=AppealIn,
           responses={201: AppealOut}, auth=True, tags=TAGS)
def appeal(notice_id: int, body: AppealIn) -> Result:
    """Appeal a decision, once. Another facilitator decides."""
    viewer = current_viewer()
    session = get_session()
    notice = access_notice(session, viewer, notice_id)
    made = A.do_appeal(session, actor=viewer, notice=notice, text=body.text)
    return {"id": made.id, "notice_id": notice.id, "state": str(made.state)}, 201


@api.route("/appeals/<int:appeal_id>/decision", methods=["POST"], body=DecisionIn,
           responses={200: AppealOut}, auth=True, tags=TAGS)
def decide(appeal_id: int, body: DecisionIn) -> Result:
    """Decide an appeal (not the facilitator who made the original decision)."""
    viewer = current_viewer()
    session = get_session()
    the_appeal = access_appeal(session, viewer, appeal_id)
    A.do_decide_appeal(session, actor=viewer, appeal=the_appeal, outcome=body.outcome,
                       note=body.note, message=body.message)
    return {"id": the_appeal.id, "notice_id": the_appeal.notice_id,
            "state": str(the_appeal.state)}


def _word(w: WatchedWord) -> dict[str, Any]:
    return {"id": w.id, "pattern": w.pattern, "action": str(w.action),
            "board": w.board.slug if w.board else None, "whole_word": w.whole_word,
            "replacement": w.replacement, "message": w.message}


@api.route("/watched-words", methods=["GET"], responses={200: {"type": "array"}}, auth=True,
           tags=TAGS)
def watched_words() -> Result:
    """Every watched word (administrators)."""
    return [WatchedWordOut(**_word(w)).model_dump()
            for w in list_watched_words(get_session(), current_viewer())]


@api.route("/watched-words", methods=["POST"], body=WatchedWordIn,
           responses={201: WatchedWordOut}, auth=True, tags=TAGS)
def add_watched_word(body: WatchedWordIn) -> Result:
    """Add a watched word, site-wide or for one board (administrators)."""
    session = get_session()
    word = A.do_save_watched_word(session, actor=current_viewer(), pattern=body.pattern,
                                  action=body.action, board=board_by_slug(session, body.board),
                                  replacement=body.replacement, message=body.message,
                                  whole_word=body.whole_word)
    return _word(word), 201


@api.route("/watched-words/<int:word_id>", methods=["PUT"], body=WatchedWordIn,
           responses={200: WatchedWordOut}, auth=True, tags=TAGS)
def change_watched_word(word_id: int, body: WatchedWordIn) -> Result:
    """Change a watched word (administrators)."""
    viewer = current_viewer()
    session = get_session()
    word = access_watched_word(session, viewer, word_id)
    A.do_save_watched_word(session, actor=viewer, word=word, pattern=body.pattern,
                           action=body.action, board=board_by_slug(session, body.board),
                           replacement=body.replacement, message=body.message,
                           whole_word=body.whole_word)
    return _word(word)


@api.route("/watched-words/<int:word_id>", methods=["DELETE"], responses={204: None},
           auth=True, tags=TAGS)
def delete_watched_word(word_id: int) -> Result:
    """Remove a watched word (administrators)."""
    viewer = current_viewer()
    session = get_session()
    A.do_delete_watched_word(session, actor=viewer,
                             word=access_watched_word(session, viewer, word_id))
    return None, 204


@api.route("/watched-words/preview", methods=["POST"], body=WatchedWordIn,
           responses={200: PreviewOut}, auth=True, tags=TAGS)
def preview(body: WatchedWordIn) -> Result:
    """Try a rule on recent posts before saving it; saves nothing (administrators)."""
    session = get_session()
    rows = preview_watched_word(session, current_viewer(), pattern=body.pattern,
                                action=body.action, board=board_by_slug(session, body.board),
                                whole_word=body.whole_word, replacement=body.replacement)
    return {"count": len(rows), "posts": [PreviewMatch(
        post_id=r.post.id, thread_id=r.post.thread_id, matches=r.matches,
        result_text=r.result_text) for r in rows]}


@api.route("/audit", methods=["GET"], query=AuditQuery, responses={200: AuditOut},
           auth=True, tags=TAGS)
def audit(query: AuditQuery) -> Result:
    """The audit log, newest first, filtered by action, actor, board and dates (admins)."""
    filters = parse_audit_filter(query.model_dump())
    rows, total = list_audit(get_session(), current_viewer(), filters, query.page, 100)
    return {"total": total, "entries": [AuditEntryOut(
        id=e.id, created_at=e.created_at, actor=u.username if u else None, action=e.action,
        board=b.slug if b else None, subject_type=e.subject_type, subject_id=e.subject_id,
        reason=e.reason, before=e.before, after=e.after) for e, u, b in rows]}


# Escalations, duty and the rota, and training declare their routes in modules of their
# own (on the same blueprint); importing them here registers those routes before the
# document is built.
from moderation import api_duty, api_escalations, api_shift, api_training  # noqa: E402,F401

# Describe these routes in /api/v1/openapi.json alongside the rest of the API.
core_api.api.routes.extend(replace(r, rule="/moderation" + r.rule) for r in api.routes)
