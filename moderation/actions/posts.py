"""Facilitators' decisions about one post: approve, reject (a held post), hide, restore,
edit with a reason, and guide (a guidance post in the thread or a private message).

Who calls: the case page, the case API. Each checks that the actor facilitates the
post's board, writes, tells the author (through :func:`moderation.notices.tell_member`),
audits with before/after, queues events and commits.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.audit.models import AuditEntry, record
from forum.db import utcnow
from forum.errors import Conflict, Invalid
from forum.events import queue_event
from forum.markup import render_markdown
from forum.notifications.fanout import notify_for_post
from forum.permissions import Viewer
from forum.threads.actions import PostOutcome, _clean_body, post_events, publish_counters
from forum.threads.models import Post, PostRevision, PostState, Thread
from forum.threads.serialize import absolute_url, post_json
from moderation.access import require_facilitates
from moderation.actions._common import (
    ModAction,
    add_event,
    clean_message,
    clean_reason,
    close_case,
    open_case_of_post,
)
from moderation.messages import filled
from moderation.models import ActionNotice, Case, CaseState
from moderation.notices import tell_member


def template_values(post_or_user_name: str, board_name: str, **extra: Any) -> dict[str, Any]:
    return {"name": post_or_user_name, "board": board_name,
            "guidelines_url": absolute_url("help.guidelines"), **extra}


def _author_name(post: Post) -> str:
    return post.author.username if post.author else "there"


def _default_message(session: Session, key: str, post: Post) -> tuple[str, str]:
    t = filled(session, key, **template_values(_author_name(post), post.thread.board.name))
    return t.title, t.body


def _case(session: Session, post: Post, case: Case | None) -> Case | None:
    return case if case is not None else open_case_of_post(session, post.id)


def _is_opening_post(session: Session, post: Post) -> bool:
    first = session.scalar(select(Post.id).where(Post.thread_id == post.thread_id)
                           .order_by(Post.id).limit(1))
    return first == post.id


def _publish(session: Session, post: Post, thread: Thread) -> None:
    """Make a never-published post visible: counters, then the events and notifications
    (followers, @mentions) members would have had if it had gone straight out. Nobody is
    notified about a post while it is held, so this is the first and only time."""
    new_thread = _is_opening_post(session, post)
    post.state = PostState.PUBLISHED
    publish_counters(post, thread, new_thread=new_thread)
    post_events(session, post, thread, new_thread=new_thread)
    notify_for_post(session, post, thread)


def _hidden_from(session: Session, post: Post) -> str:
    """The state a hidden post was in before it was hidden (from our own audit entries)."""
    entry = session.scalar(select(AuditEntry).where(
        AuditEntry.subject_type == "post", AuditEntry.subject_id == post.id,
        AuditEntry.action.in_([ModAction.POST_HIDE, ModAction.POST_AUTO_HIDE,
                               ModAction.POST_REJECT])).order_by(AuditEntry.id.desc()))
    return str((entry.before or {}).get("state", "published")) if entry else "published"


def _notify(session: Session, actor: Viewer, post: Post, kind: str, title: str, message: str,
            case: Case | None, appealable: bool) -> ActionNotice | None:
    if post.author_id is None:
        return None
    return tell_member(session, user_id=post.author_id, kind=kind, title=title, message=message,
                       post_id=post.id, thread_id=post.thread_id,
                       board_id=post.thread.board_id, case_id=case.id if case else None,
                       appealable=appealable, acted_by_id=actor.id)


def do_approve_post(session: Session, *, actor: Viewer, post: Post, case: Case | None = None,
                    message: str | None = None) -> Post:
    """Approve a held post (it goes live and the author is told), or keep a flagged
    published post as it is (the case closes with no action; the author is not told about
    reports). Audits ``post:approve``; emits ``post.created``/``thread.created`` on publish
    and ``case.updated``."""
    thread = post.thread
    require_facilitates(actor, thread.board_id)
    case = _case(session, post, case)
    before = str(post.state)
    if post.state == PostState.HELD:
        _publish(session, post, thread)
        title, default = _default_message(session, "approve", post)
        _notify(session, actor, post, "approved", title,
                clean_message(message if message is not None else default), case, False)
        state = CaseState.RESOLVED
    elif post.state == PostState.PUBLISHED:
        state = CaseState.REJECTED
    else:
        raise Conflict("This post is hidden or deleted. Use restore to show it again.")
    record(session, actor_id=actor.id, action=ModAction.POST_APPROVE, subject_type="post",
           subject_id=post.id, board_id=thread.board_id, before={"state": before},
           after={"state": str(post.state), "case_id": case.id if case else None})
    if case is not None and case.is_open:
        close_case(session, case, actor, state, "Approved" if before == "held" else "Kept")
    session.commit()
    return post


def _take_down(session: Session, *, actor: Viewer, post: Post, reason: str, message: str | None,
               case: Case | None, key: str, action: ModAction, kind: str) -> Post:
    thread = post.thread
    require_facilitates(actor, thread.board_id)
    if post.state not in (PostState.PUBLISHED, PostState.HELD) and not (
            post.state == PostState.HIDDEN and action == ModAction.POST_HIDE):
        raise Conflict("This post is not visible, so there is nothing to hide.")
    reason = clean_reason(reason, required=True)
    title, default = _default_message(session, key, post)
    text = clean_message(message if message is not None else default)
    case = _case(session, post, case)
    before = str(post.state)
    if before == str(PostState.HIDDEN):
        # Auto-hidden by reports: keep the state the post had before the reports.
        before = _hidden_from(session, post)
    post.state = PostState.DECLINED if action == ModAction.POST_REJECT else PostState.HIDDEN
    _notify(session, actor, post, kind, title, f"{text}\n\nReason: {reason}", case, True)
    record(session, actor_id=actor.id, action=action, subject_type="post", subject_id=post.id,
           board_id=thread.board_id, reason=reason, before={"state": before},
           after={"state": str(post.state), "case_id": case.id if case else None})
    if before == str(PostState.PUBLISHED):
        queue_event(session, "post.deleted", f"thread:{thread.id}",
                    {"thread_id": thread.id, "post_id": post.id, "state": "hidden"})
    if case is not None and case.is_open:
        close_case(session, case, actor, CaseState.RESOLVED, reason)
    session.commit()
    return post


def do_hide_post(session: Session, *, actor: Viewer, post: Post, reason: str,
                 message: str | None = None, case: Case | None = None) -> Post:
    """Hide a post; the author is told why, with a link to the guidelines, and may appeal.
    Audits ``post:hide``; emits ``post.deleted`` (state hidden) and ``case.updated``."""
    return _take_down(session, actor=actor, post=post, reason=reason, message=message, case=case,
                      key="hide", action=ModAction.POST_HIDE, kind="hidden")


def do_reject_post(session: Session, *, actor: Viewer, post: Post, reason: str,
                   message: str | None = None, case: Case | None = None) -> Post:
    """Decline a held post: it stays unseen and the author is told why not.
    Audits ``post:reject``; emits ``case.updated``."""
    if post.state != PostState.HELD:
        raise Conflict("Only a post waiting for approval can be declined.")
    return _take_down(session, actor=actor, post=post, reason=reason, message=message, case=case,
                      key="reject", action=ModAction.POST_REJECT, kind="rejected")


def restore_hidden(session: Session, post: Post) -> str:
    """Show a hidden post again (shared with appeals). Returns the state it came back to."""
    thread = post.thread
    if _hidden_from(session, post) == str(PostState.PUBLISHED):
        post.state = PostState.PUBLISHED
        queue_event(session, "post.updated", f"thread:{thread.id}", post_json(post))
    else:
        _publish(session, post, thread)
    return str(post.state)


def do_restore_post(session: Session, *, actor: Viewer, post: Post, reason: str = "",
                    message: str | None = None, case: Case | None = None) -> Post:
    """Show a hidden post again and tell its author. Audits ``post:restore``; emits
    ``post.updated`` (or ``post.created`` if it was never live) and ``case.updated``."""
    thread = post.thread
    require_facilitates(actor, thread.board_id)
    if post.state not in (PostState.HIDDEN, PostState.DECLINED):
        raise Conflict("This post is not hidden.")
    before = str(post.state)
    reason = clean_reason(reason, required=False)
    case = _case(session, post, case)
    after = restore_hidden(session, post)
    title, default = _default_message(session, "restore", post)
    _notify(session, actor, post, "restored", title,
            clean_message(message if message is not None else default), case, False)
    record(session, actor_id=actor.id, action=ModAction.POST_RESTORE, subject_type="post",
           subject_id=post.id, board_id=thread.board_id, reason=reason,
           before={"state": before}, after={"state": after})
    if case is not None and case.is_open:
        close_case(session, case, actor, CaseState.RESOLVED, reason or "Restored")
    session.commit()
    return post


def do_moderate_edit_post(session: Session, *, actor: Viewer, post: Post, body: str,
                          reason: str, message: str | None = None,
                          case: Case | None = None) -> Post:
    """Edit a member's post with a reason; the original is kept as a revision and the
    author is told (and may appeal). Audits ``post:moderate_edit`` (revision id, never
    text); emits ``post.updated`` when the post is live, and ``case.updated``."""
    thread = post.thread
    require_facilitates(actor, thread.board_id)
    if post.state == PostState.DELETED:
        raise Conflict("This post was deleted by its author.")
    body = _clean_body(body, 20000)
    reason = clean_reason(reason, required=True)
    title, default = _default_message(session, "edit", post)
    text = clean_message(message if message is not None else default)
    if body == post.body_source:
        raise Invalid(fields={"body": "The post is unchanged. Edit the text, or go back."})
    case = _case(session, post, case)
    revision = PostRevision(post_id=post.id, editor_id=actor.id, body_source=post.body_source,
                            body_html=post.body_html, reason=reason)
    session.add(revision)
    session.flush()
    post.body_source = body
    post.body_html = render_markdown(body)
    post.edited_at = utcnow()
    _notify(session, actor, post, "edited", title, f"{text}\n\nReason: {reason}", case, True)
    record(session, actor_id=actor.id, action=ModAction.POST_MODERATE_EDIT, subject_type="post",
           subject_id=post.id, board_id=thread.board_id, reason=reason,
           before={"revision_id": revision.id}, after={"state": str(post.state)})
    if post.state == PostState.PUBLISHED:
        queue_event(session, "post.updated", f"thread:{thread.id}", post_json(post))
    if case is not None:
        add_event(session, case, actor, "edited", reason, {"revision_id": revision.id})
        if case.is_open:
            close_case(session, case, actor, CaseState.RESOLVED, reason)
    session.commit()
    return post


def do_guide(session: Session, *, actor: Viewer, thread: Thread, mode: str, message: str,
             post: Post | None = None, case: Case | None = None) -> PostOutcome | ActionNotice:
    """Guide a conversation: ``mode="post"`` adds a facilitator guidance post to the thread
    (shown distinctly); ``mode="message"`` sends the post's author a private, supportive
    message. Audits ``post:guidance`` or ``user:message``; emits ``post.created`` or
    ``moderation.notice``, and ``case.updated``."""
    from forum.threads.actions import _write_post

    require_facilitates(actor, thread.board_id)
    assert actor.user is not None
    if case is not None and post is None:
        post = case.post
    text = clean_message(message)
    result: PostOutcome | ActionNotice
    if mode == "post":
        if thread.locked:
            raise Conflict("This conversation is locked. Unlock it to post guidance.")
        outcome = _write_post(session, actor, thread, text, new_thread=False, confirmed=True,
                              guidance=True)
        record(session, actor_id=actor.id, action=ModAction.POST_GUIDANCE, subject_type="post",
               subject_id=outcome.post.id, board_id=thread.board_id,
               after={"thread_id": thread.id, "case_id": case.id if case else None})
        post_events(session, outcome.post, thread, new_thread=False)
        result = outcome
        kind, data = "guidance_post", {"post_id": outcome.post.id}
    elif mode == "message":
        if post is None or post.author_id is None:
            raise Invalid(fields={"mode": "There is no author to write to."})
        title, _ = _default_message(session, "guide_message", post)
        notice = tell_member(session, user_id=post.author_id, kind="message", title=title,
                             message=text, post_id=post.id, thread_id=thread.id,
                             board_id=thread.board_id, case_id=case.id if case else None,
                             acted_by_id=actor.id)
        record(session, actor_id=actor.id, action=ModAction.MEMBER_MESSAGE, subject_type="user",
               subject_id=post.author_id, board_id=thread.board_id,
               after={"notice_id": notice.id, "case_id": case.id if case else None})
        result = notice
        kind, data = "guidance_message", {"notice_id": notice.id}
    else:
        raise Invalid(fields={"mode": "Choose a guidance post or a private message."})
    if case is not None:
        from moderation.actions._common import case_updated

        add_event(session, case, actor, kind, "", data)
        case_updated(session, case)
    session.commit()
    return result
