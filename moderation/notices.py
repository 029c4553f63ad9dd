"""Telling a member what was done about their content or account.

This is the one seam through which moderation speaks to members: it records an
:class:`ActionNotice` (shown on the "Notices about my posts" page, appealable where the
action affects them) and emits ``moderation.notice`` to the member's own room. When the
notifications package offers a general notify helper, call it from here as well.
Called by the moderation actions; does not commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.db import utcnow
from forum.events import queue_event
from moderation.models import ActionNotice


def tell_member(session: Session, *, user_id: int, kind: str, title: str, message: str,
                post_id: int | None = None, thread_id: int | None = None,
                board_id: int | None = None, case_id: int | None = None,
                sanction_id: int | None = None, appealable: bool = False,
                acted_by_id: int | None = None) -> ActionNotice:
    notice = ActionNotice(user_id=user_id, kind=kind, title=title[:200], message=message,
                          post_id=post_id, thread_id=thread_id, board_id=board_id,
                          case_id=case_id, sanction_id=sanction_id, appealable=appealable,
                          acted_by_id=acted_by_id, created_at=utcnow())
    session.add(notice)
    session.flush()
    # The member's own room only; the title is ours, the message theirs to read.
    queue_event(session, "moderation.notice", f"user:{user_id}",
                {"notice_id": notice.id, "kind": kind, "title": notice.title,
                 "post_id": post_id, "thread_id": thread_id})
    return notice
