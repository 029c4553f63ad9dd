"""The moderation post hook: runs inside ``do_create_thread``/``do_reply``/``do_edit_post``
before they commit (registered by :func:`moderation.init_moderation`).

In order: a mute stops the write; watched words block, hold, flag or rewrite; the
automatic checks look for risk, personal details and spam; near-duplicates and bursts
count as spam. Risk shows the author crisis contacts at once and follows the board's risk
policy (and is held whenever no trained facilitator is on duty for the board); urgent or
high risk opens a high-tier escalation; personal details need the author's "post anyway";
spam from a new account is held. Out of hours, each finding also goes to the handover queue.
Any finding becomes one system flag (rule names, severities and spans, never a copy of the
text beyond the flag's snapshot) on the post's case. Audits ``flag:system``; emits
``case.opened``/``case.updated`` to the board's staff room. Never logs post text.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from forum.audit.models import record
from forum.blocking import run_off_event_loop
from forum.boards.models import Board, RiskPolicy
from forum.db import utcnow
from forum.errors import Forbidden, Invalid
from forum.markup import render_markdown
from forum.threads.hooks import PostWrite
from forum.threads.models import Post, PostState
from moderation.actions._common import ModAction, add_event, open_case_for, snapshot_flag
from moderation.duty import add_handover, out_of_hours
from moderation.escalations import open_escalation
from moderation.models import (
    CaseKind,
    Escalation,
    EscalationState,
    EscalationTier,
    FlagReason,
    Sanction,
    SanctionKind,
    Severity,
    WatchedAction,
    WatchedWord,
)

log = logging.getLogger(__name__)

NEW_ACCOUNT_DAYS = 7
NEW_ACCOUNT_POSTS = 5
DUPLICATE_MIN_CHARS = 40
PII_WORDS = {"phone": "a phone number", "email": "an email address", "postcode": "a postcode",
             "address": "a home address", "nhs_number": "an NHS number"}


class NeedsConfirmation(Invalid):
    """The post seems to share personal details: the author may edit it or post anyway
    (the form's ``confirmed`` box, or ``"confirmed": true`` in the API)."""

    code = "needs_confirmation"

    def __init__(self, kinds: list[str]) -> None:
        self.kinds = kinds
        what = PII_WORDS.get(kinds[0], "personal details") if kinds else "personal details"
        super().__init__(
            "Your post may share personal details.",
            fields={"body": f"This looks like {what} — people here can't see who you are "
                            "unless you tell them. You can edit it, or post anyway.",
                    "confirmed": "Tick \u201cPost it anyway\u201d if you are happy to share it."})


def active_mute(session: Session, user_id: int, board_id: int) -> Sanction | None:
    now = utcnow()
    return session.scalar(select(Sanction).where(
        Sanction.user_id == user_id, Sanction.kind == SanctionKind.MUTE,
        Sanction.lifted_at.is_(None), or_(Sanction.board_id.is_(None),
                                          Sanction.board_id == board_id),
        or_(Sanction.ends_at.is_(None), Sanction.ends_at > now)).order_by(Sanction.id.desc()))


def watched_rules(session: Session, board: Board) -> list[WatchedWord]:
    return list(session.scalars(select(WatchedWord).where(
        or_(WatchedWord.board_id.is_(None), WatchedWord.board_id == board.id))
        .order_by(WatchedWord.board_id.is_(None), WatchedWord.id)))


def to_engine_rules(rows: list[WatchedWord]) -> list[Any]:
    from moderation.checks import WatchedWordRule

    return [WatchedWordRule(pattern=w.pattern, action=str(w.action),  # type: ignore[arg-type]
                            replacement=w.replacement,
                            match="word" if w.whole_word else "substring", rule_id=str(w.id))
            for w in rows]


def crisis_notice(held: bool) -> dict[str, Any]:
    """What a member sees at once after writing about risk: calm, no judgement, two or three
    services (Samaritans' guidance), and never their own words shown back."""
    contacts = list(current_app.config.get("CRISIS_CONTACTS") or [])[:3]
    text = ("Thank you for telling us how things are. You do not have to face this alone: "
            "a trained peer facilitator will be in touch soon.")
    if held:
        text += " Your post is waiting for a facilitator, who will read it first."
    return {"kind": "risk", "title": "Support is here for you", "text": text,
            "lead": "If you need to talk to someone now, these services are free:",
            "contacts": contacts}


def _recent_posts(session: Session, author_id: int, exclude_id: int) -> list[Post]:
    since = utcnow() - timedelta(days=1)
    return list(session.scalars(select(Post).where(
        Post.author_id == author_id, Post.id != exclude_id, Post.created_at >= since,
        Post.state != PostState.DELETED).order_by(Post.id.desc()).limit(20)))


def _drop_member_mentions(findings: list[Any], text: str) -> list[Any]:
    """On this forum ``@name`` is how members mention each other, so a bare ``@handle`` is
    not treated as a social-media handle (links and "insta: name" still are)."""
    return [f for f in findings if not (
        f.label == "pii" and f.kind == "social" and f.span
        and text[f.span[0]:f.span[0] + 1] == "@")]


def moderation_post_hook(session: Session, write: PostWrite) -> None:
    from moderation import checks as engine

    post, thread, viewer = write.post, write.thread, write.viewer
    board = thread.board
    user = viewer.user
    # Facilitators are trained staff writing guidance: their posts are not screened.
    if user is None or viewer.facilitates(board.id):
        return
    mute = active_mute(session, user.id, board.id)
    if mute is not None:
        until = f" until {mute.ends_at:%d %B %Y}" if mute.ends_at else ""
        raise Forbidden(f"You cannot post on this board{until}. You can still read it.")

    rules: list[dict[str, Any]] = []
    hold = False
    severity = Severity.LOW
    rows = watched_rules(session, board)
    if rows:
        by_id = {str(w.id): w for w in rows}
        ww = engine.apply_watched_words(post.body_source, to_engine_rules(rows))
        blocking = [f for f in ww.findings if f.action == WatchedAction.BLOCK]
        if blocking:
            word = by_id.get(str(blocking[0].rule_id))
            message = (word.message if word and word.message else
                       "Your post includes words that cannot be posted here. "
                       "Please change them and try again.")
            raise Invalid(fields={"body": message})
        if any(f.action == WatchedAction.REPLACE for f in ww.findings):
            post.body_source = ww.text
            post.body_html = render_markdown(ww.text)
        for f in ww.findings:
            if f.action in (WatchedAction.HOLD, WatchedAction.FLAG):
                rules.append({"rule": f"watched_word:{f.rule_id}", "label": "watched",
                              "severity": "medium", "span": list(f.span), "kind": str(f.action)})
                hold = hold or f.action == WatchedAction.HOLD
                severity = Severity.MEDIUM

    age = (utcnow() - user.created_at).total_seconds() / 86400
    meta = engine.AuthorMeta(account_age_days=age, post_count=user.post_count)
    result = run_off_event_loop(engine.run_checks, post.body_source, meta)
    findings = _drop_member_mentions(list(result.findings), post.body_source)
    pii_kinds = sorted({f.kind or "personal" for f in findings if f.label == "pii"})
    if pii_kinds and not write.confirmed:
        raise NeedsConfirmation(pii_kinds)

    recent = _recent_posts(session, user.id, post.id)
    now = utcnow()
    spam_extra: list[dict[str, Any]] = []
    # Short replies ("Same here", "Thank you") repeat naturally: only longer text counts.
    if (recent and len(post.body_source) >= DUPLICATE_MIN_CHARS
            and engine.is_near_duplicate(post.body_source, [p.body_source for p in recent])):
        spam_extra.append({"rule": "spam.near_duplicate", "label": "spam", "severity": "medium",
                           "span": None, "kind": "duplicate"})
    stamps = [p.created_at for p in recent]
    if not write.is_edit and engine.is_burst(
            [*stamps, now], now, int(current_app.config.get("MODERATION_BURST_LIMIT", 8)),
            int(current_app.config.get("MODERATION_BURST_SECONDS", 60))):
        spam_extra.append({"rule": "spam.burst", "label": "spam", "severity": "medium",
                           "span": None, "kind": "burst"})

    rules += [{"rule": f.rule, "label": f.label, "severity": f.severity,
               "span": list(f.span) if f.span else None, "kind": f.kind} for f in findings]
    rules += spam_extra
    labels = {r["label"] for r in rules}
    for r in rules:
        try:
            level = Severity(r["severity"])
        except ValueError:
            level = Severity.MEDIUM
        if level.rank < severity.rank:
            severity = level
    # A rule (or a confident model) is risk the author must be signposted about now; a
    # model-only hunch goes to a person (high) without alarming the author.
    risk_now = any(f.label == "risk" and f.severity in ("urgent", "high") for f in findings)
    if risk_now:
        severity = Severity.URGENT
        if board.risk_policy == RiskPolicy.HOLD_AND_FLAG:
            hold = True
    elif "risk" in labels and severity.rank > Severity.HIGH.rank:
        severity = Severity.HIGH
    # Links, scams and medicine sales from a new account wait for a facilitator; the
    # history signals (duplicates, bursts) and low-severity wording are only flagged.
    new_account = age < NEW_ACCOUNT_DAYS or user.post_count < NEW_ACCOUNT_POSTS
    if new_account and any(f.label == "spam" and f.severity in ("urgent", "high", "medium")
                           for f in findings):
        hold = True
    # Nobody trained is watching this board: anything the risk check flags waits for a
    # person instead of going live unseen.
    unwatched = out_of_hours(session, board.id)
    if unwatched and "risk" in labels:
        hold = True
    if hold and post.state == PostState.PUBLISHED:
        post.state = PostState.HELD
    if risk_now:
        write.notices.append(crisis_notice(post.state == PostState.HELD))

    if rules:
        names = sorted({r["rule"] for r in rules})
        summary = "Automatic check: " + ", ".join(sorted(labels))
        case = open_case_for(session, post, thread,
                             kind=CaseKind.HELD if post.state == PostState.HELD
                             else CaseKind.FLAGGED, severity=severity, summary=summary)
        flag = snapshot_flag(post, case_id=case.id, reporter_id=None, reason=FlagReason.SYSTEM,
                             severity=severity, rules=rules)
        session.add(flag)
        session.flush()
        add_event(session, case, None, "flag", summary, {"flag_id": flag.id, "rules": names})
        record(session, actor_id=None, action=ModAction.FLAG_SYSTEM, subject_type="post",
               subject_id=post.id, board_id=board.id,
               after={"rules": names, "severity": str(severity), "held": hold,
                      "case_id": case.id})
        if risk_now and not session.scalar(select(Escalation.id).where(
                Escalation.case_id == case.id, Escalation.state != EscalationState.RESOLVED)):
            open_escalation(session, case=case, tier=EscalationTier.HIGH,
                            reason="Automatic risk check: " + ", ".join(names), actor=None,
                            source="risk_check")
        if unwatched:
            add_handover(session, board=board, kind="held" if hold else "flagged",
                         summary=summary + (" (held)" if hold else ""), case_id=case.id,
                         post_id=post.id, thread_id=thread.id)
        # Rule names only: the text never reaches the log.
        log.info("post %s flagged by %s", post.id, ",".join(names))
    elif post.state == PostState.HELD:
        case = open_case_for(session, post, thread, kind=CaseKind.HELD, severity=Severity.LOW,
                             summary="Waiting for approval (board posting policy)")
        if unwatched:
            add_handover(session, board=board, kind="held", summary=case.summary,
                         case_id=case.id, post_id=post.id, thread_id=thread.id)
