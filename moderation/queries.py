"""Read-only moderation queries: the review queue, one case with its context, a member's
reports and notices, the audit log, watched words and the rule preview.

Each checks who is asking (via :mod:`moderation.access`) and runs a fixed number of
statements however many rows it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, joinedload

from forum.accounts.models import User
from forum.audit.models import AuditEntry
from forum.boards.models import Board
from forum.db import utcnow
from forum.errors import Invalid, NotFound
from forum.permissions import Viewer, require_user
from forum.threads.models import Post, PostRevision, PostState, Thread
from moderation.access import (
    access_case,
    require_admin,
    require_staff,
    require_staff_or_lead,
    staff_board_ids,
)
from moderation.actions._common import claim_is_live
from moderation.actions.members import Step, suggest_step
from moderation.actions.settings import clean_watched_word
from moderation.messages import Template, filled
from moderation.models import (
    OPEN_STATES,
    ActionNotice,
    Appeal,
    AppealState,
    Case,
    CaseEvent,
    Escalation,
    Flag,
    FlagReason,
    StaffNote,
    WatchedWord,
)

CONTEXT_POSTS = 5
RECENT_POSTS = 10


@dataclass
class QueueRow:
    case: Case
    flag_count: int
    report_count: int
    reasons: list[str]
    claimed_by: User | None


def _board_filter(viewer: Viewer, column: Any) -> Any:
    ids = staff_board_ids(viewer)
    return None if ids is None else column.in_(ids or {-1})


def list_queue(session: Session, viewer: Viewer, board_slug: str | None = None
               ) -> list[QueueRow]:
    """Open and in-progress cases on the viewer's boards, most urgent first, oldest first
    within a severity. A lead who facilitates no board may open the queue (for its
    escalations) and finds no items."""
    require_staff_or_lead(session, viewer)
    query = (select(Case).options(joinedload(Case.board), joinedload(Case.thread),
                                  joinedload(Case.post).joinedload(Post.author),
                                  joinedload(Case.claimed_by))
             .where(Case.state.in_(OPEN_STATES))
             .order_by(Case.severity_rank, Case.created_at, Case.id).limit(500))
    scope = _board_filter(viewer, Case.board_id)
    if scope is not None:
        query = query.where(scope)
    if board_slug:
        query = query.join(Board, Board.id == Case.board_id).where(Board.slug == board_slug)
    cases = list(session.scalars(query).unique())
    counts: dict[int, list[Any]] = {}
    if cases:
        for case_id, reason, reporter in session.execute(
                select(Flag.case_id, Flag.reason, Flag.reporter_id)
                .where(Flag.case_id.in_([c.id for c in cases]))):
            counts.setdefault(case_id, []).append((reason, reporter))
    rows = []
    now = utcnow()
    for case in cases:
        flags = counts.get(case.id, [])
        reasons = sorted({FlagReason(r).label for r, _ in flags})
        rows.append(QueueRow(case=case, flag_count=len(flags),
                             report_count=sum(1 for _, rep in flags if rep is not None),
                             reasons=reasons,
                             claimed_by=case.claimed_by if claim_is_live(case, now) else None))
    return rows


def list_pending_appeals(session: Session, viewer: Viewer) -> list[Appeal]:
    require_staff_or_lead(session, viewer)
    query = (select(Appeal).options(joinedload(Appeal.notice), joinedload(Appeal.user))
             .where(Appeal.state == AppealState.PENDING).order_by(Appeal.created_at))
    ids = staff_board_ids(viewer)
    if ids is not None:
        query = query.where(Appeal.board_id.in_(ids or {-1}))
    return list(session.scalars(query))


def access_appeal(session: Session, viewer: Viewer, appeal_id: int) -> Appeal:
    require_staff(viewer)
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or (appeal.board_id is None and not viewer.is_admin) or (
            appeal.board_id is not None and not viewer.facilitates(appeal.board_id)):
        raise NotFound("We could not find that appeal.")
    return appeal


@dataclass
class CaseDetail:
    case: Case
    post: Post | None
    thread: Thread | None
    context: list[Post]
    flags: list[Flag]
    timeline: list[CaseEvent]
    author: User | None
    author_recent: list[Post]
    staff_notes: list[StaffNote]
    notices: list[ActionNotice]
    revisions: list[PostRevision]
    escalations: list[Escalation]
    suggested: Step | None
    claimed_by: User | None
    templates: dict[str, Template] = field(default_factory=dict)
    boards_for_move: list[Board] = field(default_factory=list)


def get_case_detail(session: Session, viewer: Viewer, case_id: int) -> CaseDetail:
    """Everything a facilitator needs to decide: the post in context, the snapshots,
    every flag, the timeline, the author's recent posts and staff notes about them."""
    case = access_case(session, viewer, case_id, reading=True)
    post, thread = case.post, case.thread
    context: list[Post] = []
    revisions: list[PostRevision] = []
    if post is not None:
        context = list(reversed(list(session.scalars(
            select(Post).options(joinedload(Post.author))
            .where(Post.thread_id == post.thread_id, Post.id < post.id)
            .order_by(Post.id.desc()).limit(CONTEXT_POSTS)))))
        revisions = list(session.scalars(select(PostRevision).where(
            PostRevision.post_id == post.id).order_by(PostRevision.id)))
    flags = list(session.scalars(select(Flag).options(joinedload(Flag.reporter))
                                 .where(Flag.case_id == case.id).order_by(Flag.id)))
    timeline = list(session.scalars(select(CaseEvent).options(joinedload(CaseEvent.actor))
                                    .where(CaseEvent.case_id == case.id)
                                    .order_by(CaseEvent.id)))
    author = case.author
    recent: list[Post] = []
    notes: list[StaffNote] = []
    suggested = None
    if author is not None:
        query = (select(Post).join(Thread, Thread.id == Post.thread_id)
                 .options(joinedload(Post.thread))
                 .where(Post.author_id == author.id, Post.id != case.post_id)
                 .order_by(Post.id.desc()).limit(RECENT_POSTS))
        scope = _board_filter(viewer, Thread.board_id)
        if scope is not None:
            query = query.where(scope)
        recent = list(session.scalars(query))
        notes = _notes_query(session, viewer, author.id)
        suggested = suggest_step(session, author.id)
    notices = list(session.scalars(select(ActionNotice).where(ActionNotice.case_id == case.id)
                                   .order_by(ActionNotice.id)))
    escalations = list(session.scalars(select(Escalation).where(Escalation.case_id == case.id)))
    name = author.username if author else "there"
    from forum.threads.serialize import absolute_url

    values = {"name": name, "board": case.board.name,
              "guidelines_url": absolute_url("help.guidelines"), "until": "{until}"}
    keys = ("approve", "reject", "hide", "restore", "edit", "guide_post", "guide_message",
            "warn", "mute", "suspend")
    templates = {k: filled(session, k, **values) for k in keys}
    ids = staff_board_ids(viewer)
    boards = list(session.scalars(select(Board).where(
        Board.archived.is_(False), Board.id != case.board_id,
        *([Board.id.in_(ids or {-1})] if ids is not None else [])).order_by(Board.name)))
    return CaseDetail(case=case, post=post, thread=thread, context=context, flags=flags,
                      timeline=timeline, author=author, author_recent=recent,
                      staff_notes=notes, notices=notices, revisions=revisions,
                      escalations=escalations, suggested=suggested,
                      claimed_by=case.claimed_by if claim_is_live(case) else None,
                      templates=templates, boards_for_move=boards)


@dataclass
class ReportRow:
    flag: Flag
    thread: Thread | None
    reviewed: bool
    outcome: str


def list_my_reports(session: Session, viewer: Viewer) -> list[ReportRow]:
    """A member's own reports and whether a facilitator has reviewed each one. Says
    nothing about what was decided for the other member (that is theirs)."""
    user = require_user(viewer)
    flags = list(session.scalars(
        select(Flag).options(joinedload(Flag.post).joinedload(Post.thread))
        .where(Flag.reporter_id == user.id).order_by(Flag.id.desc()).limit(200)))
    rows = []
    for flag in flags:
        reviewed = flag.reviewed_at is not None
        rows.append(ReportRow(flag=flag, thread=flag.post.thread if flag.post else None,
                              reviewed=reviewed,
                              outcome="A facilitator has looked at this." if reviewed
                              else "Waiting for a facilitator to look at it."))
    return rows


def my_report_of(session: Session, viewer: Viewer, post_id: int) -> Flag | None:
    """The member's own report of a post, if they made one. Needs no sight of the post:
    it may have been hidden since (their report may have been the one that hid it), and
    it tells them nothing but what they did themselves."""
    user = require_user(viewer)
    return session.scalar(select(Flag).where(Flag.post_id == post_id,
                                             Flag.reporter_id == user.id))


def list_my_notices(session: Session, viewer: Viewer) -> list[ActionNotice]:
    user = require_user(viewer)
    return list(session.scalars(select(ActionNotice)
                                .options(joinedload(ActionNotice.appeal),
                                         joinedload(ActionNotice.thread))
                                .where(ActionNotice.user_id == user.id)
                                .order_by(ActionNotice.id.desc()).limit(200)))


def access_notice(session: Session, viewer: Viewer, notice_id: int) -> ActionNotice:
    user = require_user(viewer)
    notice = session.get(ActionNotice, notice_id)
    if notice is None or notice.user_id != user.id:
        raise NotFound("We could not find that notice.")
    return notice


@dataclass
class AuditFilter:
    action: str = ""
    actor: str = ""
    board: str = ""
    date_from: date | None = None
    date_to: date | None = None


def parse_audit_filter(args: Any) -> AuditFilter:
    errors: dict[str, str] = {}
    dates: dict[str, date | None] = {}
    for key in ("date_from", "date_to"):
        raw = (args.get(key) or "").strip()
        try:
            dates[key] = date.fromisoformat(raw) if raw else None
        except ValueError:
            errors[key] = "Enter a date like 2026-11-26."
    if errors:
        raise Invalid(fields=errors)
    return AuditFilter(action=(args.get("action") or "").strip()[:64],
                       actor=(args.get("actor") or "").strip()[:32],
                       board=(args.get("board") or "").strip()[:64], **dates)


def list_audit(session: Session, viewer: Viewer, filters: AuditFilter, page: int = 1,
               per_page: int = 50) -> tuple[list[tuple[AuditEntry, User | None, Board | None]],
                                             int]:
    """The audit log for admins, newest first, filtered by action, actor, board, dates."""
    require_admin(viewer)
    query = (select(AuditEntry, User, Board)
             .outerjoin(User, User.id == AuditEntry.actor_id)
             .outerjoin(Board, Board.id == AuditEntry.board_id))
    if filters.action:
        query = query.where(or_(AuditEntry.action == filters.action,
                                AuditEntry.action.startswith(filters.action.rstrip(":") + ":")))
    if filters.actor:
        query = query.where(func.lower(User.username) == filters.actor.lower())
    if filters.board:
        query = query.where(Board.slug == filters.board)
    if filters.date_from:
        query = query.where(AuditEntry.created_at >= datetime.combine(
            filters.date_from, time.min, tzinfo=utcnow().tzinfo))
    # The last day there is (9999-12-31) has no next day: it ends nothing.
    if filters.date_to and filters.date_to < date.max:
        query = query.where(AuditEntry.created_at < datetime.combine(
            filters.date_to + timedelta(days=1), time.min, tzinfo=utcnow().tzinfo))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.execute(query.order_by(AuditEntry.id.desc())
                           .offset((max(1, page) - 1) * per_page).limit(per_page)).all()
    return [(e, u, b) for e, u, b in rows], total


def list_audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def list_watched_words(session: Session, viewer: Viewer) -> list[WatchedWord]:
    require_admin(viewer)
    return list(session.scalars(select(WatchedWord).options(joinedload(WatchedWord.board))
                                .order_by(WatchedWord.board_id.is_not(None), WatchedWord.pattern)))


def access_watched_word(session: Session, viewer: Viewer, word_id: int) -> WatchedWord:
    require_admin(viewer)
    word = session.get(WatchedWord, word_id)
    if word is None:
        raise NotFound("We could not find that watched word.")
    return word


@dataclass
class PreviewRow:
    post: Post
    matches: list[str]
    action: str
    result_text: str | None = None


PREVIEW_POSTS = 500


def preview_watched_word(session: Session, viewer: Viewer, *, pattern: str, action: str,
                         board: Board | None = None, whole_word: bool = True,
                         replacement: str = "") -> list[PreviewRow]:
    """Try a rule against the most recent posts in its scope before saving it: which
    posts it would catch, and the words it matched. Saves nothing."""
    from moderation import checks as engine

    require_admin(viewer)
    clean = clean_watched_word(pattern, action, replacement)
    rule = engine.WatchedWordRule(pattern=clean["pattern"], action=str(clean["action"]),
                                  replacement=clean["replacement"],
                                  match="word" if whole_word else "substring", rule_id="preview")
    query = (select(Post).options(joinedload(Post.thread), joinedload(Post.author))
             .join(Thread, Thread.id == Post.thread_id)
             .where(Post.state.in_((PostState.PUBLISHED, PostState.HELD)))
             .order_by(Post.id.desc()).limit(PREVIEW_POSTS))
    if board is not None:
        query = query.where(Thread.board_id == board.id)
    rows = []
    for post in session.scalars(query):
        result = engine.apply_watched_words(post.body_source, [rule])
        if result.findings:
            rows.append(PreviewRow(
                post=post, matches=[post.body_source[f.span[0]:f.span[1]]
                                    for f in result.findings],
                action=str(clean["action"]),
                result_text=result.text if clean["action"] == "replace" else None))
    return rows


def staff_notes_about(session: Session, viewer: Viewer, user_id: int) -> list[StaffNote]:
    require_staff(viewer)
    return _notes_query(session, viewer, user_id)


def _notes_query(session: Session, viewer: Viewer, user_id: int) -> list[StaffNote]:
    """Notes about a member that the viewer may read: community-wide notes (no board) and
    notes from boards they facilitate. A note made on another board stays there: it would
    tell a facilitator elsewhere that the member belongs to that (perhaps private,
    condition) board."""
    query = (select(StaffNote).options(joinedload(StaffNote.author))
             .where(StaffNote.subject_id == user_id).order_by(StaffNote.id.desc()))
    ids = staff_board_ids(viewer)
    if ids is not None:
        query = query.where(or_(StaffNote.board_id.is_(None), StaffNote.board_id.in_(ids)))
    return list(session.scalars(query))
