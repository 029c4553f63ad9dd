"""Telling a member what was done about their content or account.

This is the one seam through which moderation speaks to members: it records an
:class:`ActionNotice` (shown on the "Notices about my posts" page, appealable where the
action affects them), emits ``moderation.notice`` to the member's own room, and creates a
``notice`` notification (the bell, and email as the member's preferences say) through
:func:`forum.notifications.fanout.notify_member`, which queues ``notification``.
Called by the moderation actions; does not commit.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from forum.boards.models import Board, Visibility
from forum.db import utcnow
from forum.events import queue_event
from forum.notifications.fanout import notify_member
from forum.notifications.models import NotificationKind
from moderation.models import ActionNotice

# Said instead of the title when the notice concerns a private board: a title can name the
# board ("You cannot post on <board>..."), and notification texts travel by email.
PRIVATE_NOTICE_TEXT = "The facilitators have sent you a notice"


def _bell_text(session: Session, title: str, board_id: int | None) -> str:
    if board_id is not None:
        board = session.get(Board, board_id)
        if board is not None and board.visibility == Visibility.PRIVATE:
            return PRIVATE_NOTICE_TEXT
    return title


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
    # The bell links to the notice itself (which links on to the post), never the message
    # text: only the member reads that, on the notices page.
    notify_member(session, user_id, NotificationKind.NOTICE,
                  _bell_text(session, notice.title, board_id),
                  f"/my/notices#notice-{notice.id}", post_id=post_id, thread_id=thread_id)
    # Messages sent about an escalated item go on the escalation's timeline (the title:
    # what the member was told; staff read the message itself on the item's page).
    from moderation.escalations import note_on_open_escalations

    note_on_open_escalations(session, case_id=case_id, actor_id=acted_by_id,
                             kind="message_sent", text=notice.title,
                             data={"to": "member", "notice_id": notice.id, "notice": kind})
    return notice
