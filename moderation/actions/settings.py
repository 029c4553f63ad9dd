"""Admins configure moderation: watched words (site-wide or per board), message
templates, and the sanction ladder. Who calls: the admin pages and the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from forum.audit.models import record
from forum.boards.models import Board
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Invalid
from forum.permissions import Viewer
from moderation.access import require_admin
from moderation.actions._common import ModAction
from moderation.messages import DEFAULT_TEMPLATES
from moderation.models import (
    LadderStep,
    MessageTemplate,
    SanctionKind,
    WatchedAction,
    WatchedWord,
)

PATTERN_MAX = 200


def clean_watched_word(pattern: str, action: str, replacement: str = "",
                       message: str = "") -> dict[str, Any]:
    """Validate a rule's fields (also used by the preview)."""
    errors: dict[str, str] = {}
    pattern = " ".join((pattern or "").split())
    if not pattern:
        errors["pattern"] = "Enter the word or phrase to watch for."
    elif len(pattern) > PATTERN_MAX:
        errors["pattern"] = f"Keep the word or phrase to {PATTERN_MAX} characters or fewer."
    try:
        kind = WatchedAction(action)
    except ValueError:
        kind = None
        errors["action"] = "Choose what happens: block, hold, flag or replace."
    replacement = (replacement or "").strip()[:200]
    message = " ".join((message or "").split())[:500]
    if kind == WatchedAction.REPLACE and not replacement:
        errors["replacement"] = "Enter the text to put in its place."
    if errors:
        raise Invalid(fields=errors)
    return {"pattern": pattern, "action": kind, "replacement": replacement, "message": message}


@rolls_back_on_error
def do_save_watched_word(session: Session, *, actor: Viewer, pattern: str, action: str,
                         board: Board | None = None, replacement: str = "", message: str = "",
                         whole_word: bool = True, word: WatchedWord | None = None
                         ) -> WatchedWord:
    """Add a watched word, or change ``word``. Audits ``watched_word:create``/``update``
    with before/after of the rule's settings."""
    require_admin(actor)
    clean = clean_watched_word(pattern, action, replacement, message)
    before: dict[str, Any] = {}
    if word is None:
        word = WatchedWord(created_by_id=actor.id, created_at=utcnow())
        session.add(word)
        verb = ModAction.WATCHED_WORD_CREATE
    else:
        before = _word_json(word)
        verb = ModAction.WATCHED_WORD_UPDATE
    word.pattern = clean["pattern"]
    word.action = clean["action"]
    word.replacement = clean["replacement"]
    word.message = clean["message"]
    word.whole_word = bool(whole_word)
    word.board_id = board.id if board else None
    word.updated_at = utcnow()
    session.flush()
    record(session, actor_id=actor.id, action=verb, subject_type="watched_word",
           subject_id=word.id, board_id=word.board_id, before=before, after=_word_json(word))
    session.commit()
    return word


def _word_json(word: WatchedWord) -> dict[str, Any]:
    return {"pattern": word.pattern, "action": str(word.action), "board_id": word.board_id,
            "whole_word": word.whole_word, "replacement": word.replacement}


@rolls_back_on_error
def do_delete_watched_word(session: Session, *, actor: Viewer, word: WatchedWord) -> None:
    """Remove a watched word. Audits ``watched_word:delete`` with what it was."""
    require_admin(actor)
    before = _word_json(word)
    record(session, actor_id=actor.id, action=ModAction.WATCHED_WORD_DELETE,
           subject_type="watched_word", subject_id=word.id, board_id=word.board_id,
           before=before)
    session.delete(word)
    session.commit()


@rolls_back_on_error
def do_save_message_template(session: Session, *, actor: Viewer, key: str, title: str,
                             body: str) -> MessageTemplate:
    """Change the wording of one message template. Audits ``template:update``."""
    require_admin(actor)
    if key not in DEFAULT_TEMPLATES:
        raise Invalid(fields={"key": "There is no message template with that name."})
    title = " ".join((title or "").split())
    body = (body or "").replace("\r\n", "\n").strip()
    errors = {}
    if not title or len(title) > 120:
        errors["title"] = "Enter a title of 120 characters or fewer."
    if not body or len(body) > 5000:
        errors["body"] = "Enter the message, 5,000 characters or fewer."
    if errors:
        raise Invalid(fields=errors)
    from sqlalchemy import select

    row = session.scalar(select(MessageTemplate).where(MessageTemplate.key == key))
    if row is None:
        row = MessageTemplate(key=key, title=title, body=body)
        session.add(row)
    row.title, row.body = title, body
    row.updated_by_id = actor.id
    row.updated_at = utcnow()
    session.flush()
    record(session, actor_id=actor.id, action=ModAction.TEMPLATE_UPDATE,
           subject_type="template", subject_id=row.id, after={"key": key})
    session.commit()
    return row


@rolls_back_on_error
def do_save_ladder(session: Session, *, actor: Viewer, steps: list[tuple[str, int | None]]
                   ) -> list[LadderStep]:
    """Replace the sanction ladder with ``steps`` (kind, days; days None = permanent).
    Audits ``ladder:update`` with the old and new ladders."""
    require_admin(actor)
    from moderation.actions.members import get_ladder

    if not steps or len(steps) > 10:
        raise Invalid(fields={"steps": "Give between one and ten steps."})
    clean: list[tuple[SanctionKind, int | None]] = []
    for position, (kind, days) in enumerate(steps, start=1):
        try:
            k = SanctionKind(kind)
        except ValueError:
            raise Invalid(fields={"steps": f"Step {position}: choose warning, mute or "
                                           "suspension."}) from None
        if days is not None and not 1 <= int(days) <= 3650:
            raise Invalid(fields={"steps": f"Step {position}: days must be 1 to 3,650."})
        if k == SanctionKind.MUTE and days is None:
            raise Invalid(fields={"steps": f"Step {position}: a mute needs a number of days."})
        clean.append((k, None if k == SanctionKind.WARNING else days))
    before = [{"kind": str(s.kind), "days": s.days} for s in get_ladder(session)]
    session.execute(delete(LadderStep))
    rows = [LadderStep(position=i, kind=k, days=d) for i, (k, d) in enumerate(clean)]
    session.add_all(rows)
    record(session, actor_id=actor.id, action=ModAction.LADDER_UPDATE, subject_type="ladder",
           before={"steps": before},
           after={"steps": [{"kind": str(k), "days": d} for k, d in clean]})
    session.commit()
    return rows
