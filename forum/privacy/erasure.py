"""The private steps of closing an account, used only by
:func:`forum.privacy.actions.do_delete_account` (they never commit).

Quotes: a reply that quotes a post carries a Markdown blockquote made by
:func:`forum.markup.quote_markdown`, whose first line names the quoted post
(``> **name** wrote ([post 12](#post-12)):``). :func:`rewrite_quotes` finds those blocks by
post id and either removes them (erase) or re-attributes them to "Former member" (keep).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import delete, false, or_, select, update
from sqlalchemy.orm import Session

from forum.accounts.models import (
    AccountEmail,
    ApiToken,
    PasswordResetUse,
    PendingEmailChange,
    RecoveryCode,
    User,
    UserSession,
    UserStatus,
)
from forum.boards.models import BoardFacilitator, BoardMembership
from forum.db import utcnow
from forum.events import queue_event
from forum.mail_models import OutgoingMail
from forum.markup import render_markdown
from forum.notifications.models import EmailJob, Notification, NotificationPreference
from forum.privacy.models import SignInAddress
from forum.threads.models import (
    Post,
    PostQuote,
    PostRevision,
    PostState,
    Reaction,
    ReadMarker,
    Thread,
    ThreadFollow,
)
from forum.threads.serialize import FORMER_MEMBER, post_json, thread_json

QUOTE_REMOVED = "[quote removed: the author deleted their account]"
ERASED_TITLE = "A conversation started by a former member"
FORMER_HEADING = "> **" + FORMER_MEMBER + "** wrote ([post {id}](#post-{id})):"
_QUOTE_HEADING = re.compile(r"^> \*\*.*\*\* wrote \(\[post (\d+)\]\(#post-(\d+)\)\):\s*$")


def rewrite_quotes(source: str, post_ids: set[int], *, remove: bool) -> str:
    """``source`` with every quote of a post in ``post_ids`` removed (replaced by a short
    note) or, with ``remove=False``, attributed to "Former member"."""
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        match = _QUOTE_HEADING.match(lines[i].rstrip("\r"))
        if match is None or int(match.group(1)) not in post_ids:
            out.append(lines[i])
            i += 1
            continue
        if not remove:
            out.append(FORMER_HEADING.format(id=match.group(1)))
            i += 1
            continue
        i += 1
        while i < len(lines) and lines[i].lstrip().startswith(">"):
            i += 1
        out.append(QUOTE_REMOVED)
    return "\n".join(out)


def _quoting_posts(session: Session, user_id: int, own_ids: set[int]) -> list[Post]:
    ids = set(session.scalars(select(PostQuote.post_id).where(or_(
        PostQuote.quoted_author_id == user_id,
        PostQuote.quoted_post_id.in_(own_ids) if own_ids else false()))))
    # Quotes pasted by hand (or made before quotes were recorded) have no PostQuote row;
    # find them by the link their heading carries.
    own = sorted(own_ids)
    for start in range(0, len(own), 200):
        links = [Post.body_source.contains(f"](#post-{i}))") for i in own[start:start + 200]]
        ids.update(session.scalars(select(Post.id).where(or_(*links))))
    ids -= own_ids
    if not ids:
        return []
    return list(session.scalars(select(Post).where(Post.id.in_(ids)).order_by(Post.id)))


def handle_quotes(session: Session, user_id: int, own_ids: set[int], *, erase: bool) -> int:
    """Remove (or re-attribute) quotations of the member in other members' posts and in
    their earlier versions; queue ``post.updated`` for each public post changed."""
    changed = 0
    for post in _quoting_posts(session, user_id, own_ids):
        new_source = rewrite_quotes(post.body_source, own_ids, remove=erase)
        for revision in session.scalars(select(PostRevision).where(
                PostRevision.post_id == post.id)):
            rev_source = rewrite_quotes(revision.body_source, own_ids, remove=erase)
            if rev_source != revision.body_source:
                revision.body_source = rev_source
                revision.body_html = render_markdown(rev_source)
        if new_source == post.body_source:
            continue
        post.body_source = new_source
        post.body_html = render_markdown(new_source)
        changed += 1
        if post.state == PostState.PUBLISHED:
            queue_event(session, "post.updated", f"thread:{post.thread_id}", post_json(post))
    if erase:
        session.execute(delete(PostQuote).where(PostQuote.quoted_author_id == user_id))
    else:
        session.execute(update(PostQuote).where(PostQuote.quoted_author_id == user_id)
                        .values(quoted_author_id=None))
    return changed


def handle_posts(session: Session, posts: Iterable[Post], *, erase: bool) -> None:
    """Detach the member's posts; with ``erase`` also remove their words. The last version
    is kept as a staff-only revision, which the retention purge deletes after
    ``DELETED_CONTENT_RETENTION_DAYS`` (so a safeguarding concern raised just before the
    account was closed can still be looked at)."""
    now = utcnow()
    for post in posts:
        was_public = post.state == PostState.PUBLISHED
        post.author_id = None
        post.author = None
        if erase and post.state != PostState.DELETED:
            session.add(PostRevision(post_id=post.id, editor_id=None,
                                     body_source=post.body_source, body_html=post.body_html,
                                     reason="account closed"))
            post.state = PostState.DELETED
            post.body_source = ""
            post.body_html = ""
            post.edited_at = now
            if was_public:
                queue_event(session, "post.deleted", f"thread:{post.thread_id}",
                            {"thread_id": post.thread_id, "post_id": post.id,
                             "state": "deleted"})
        elif was_public:
            queue_event(session, "post.updated", f"thread:{post.thread_id}", post_json(post))


def handle_threads(session: Session, user_id: int, *, erase: bool) -> None:
    """Threads the member started lose their author; with ``erase`` their title (the
    member's words) becomes a neutral one so the replies still have a heading."""
    for thread in session.scalars(select(Thread).where(Thread.author_id == user_id)):
        thread.author_id = None
        thread.author = None
        if erase:
            thread.title = ERASED_TITLE
            if thread.visible:
                queue_event(session, "thread.updated", f"board:{thread.board.slug}",
                            thread_json(thread))


def remove_personal_rows(session: Session, user: User) -> list[tuple[int, int]]:
    """Delete everything that only serves the member. Returns (thread id, post id) of the
    posts whose reactions changed, so the caller can send the new counts."""
    uid = user.id
    reacted = session.execute(select(Post.thread_id, Reaction.post_id).join(
        Post, Post.id == Reaction.post_id).where(Reaction.user_id == uid).distinct()).all()
    for model, column in ((ApiToken, ApiToken.user_id),
                          (AccountEmail, AccountEmail.user_id),
                          (OutgoingMail, OutgoingMail.user_id),
                          (UserSession, UserSession.user_id),
                          (RecoveryCode, RecoveryCode.user_id),
                          (PendingEmailChange, PendingEmailChange.user_id),
                          (PasswordResetUse, PasswordResetUse.user_id),
                          (Notification, Notification.user_id),
                          (NotificationPreference, NotificationPreference.user_id),
                          (EmailJob, EmailJob.user_id),
                          (ThreadFollow, ThreadFollow.user_id),
                          (ReadMarker, ReadMarker.user_id),
                          (BoardMembership, BoardMembership.user_id),
                          (BoardFacilitator, BoardFacilitator.user_id),
                          (Reaction, Reaction.user_id),
                          (SignInAddress, SignInAddress.user_id)):
        session.execute(delete(model).where(column == uid))
    session.execute(update(BoardMembership).where(BoardMembership.invited_by_id == uid)
                    .values(invited_by_id=None))
    # Other members' notifications name the member ("sam replied…"): take the name out.
    for note in session.scalars(select(Notification).where(Notification.actor_id == uid)):
        name = re.compile(rf"(?<![\w-]){re.escape(user.username)}(?![\w-])")
        note.text = name.sub("A former member", note.text)[:300]
        note.actor_id = None
    session.expire(user, ["tokens"])
    return [(thread_id, post_id) for thread_id, post_id in reacted]


def forget_identity(user: User) -> None:
    """Replace the member's name, email and password; end every session. The row stays so
    moderation records that point at it keep their meaning, without the name."""
    uid = user.id
    user.username = f"former-member-{uid}"
    # "~" cannot appear in a real username's or email's key, so these never collide.
    user.username_key = f"~former-{uid}"
    user.email = f"former-member-{uid}@deleted.invalid"
    user.email_key = f"~former-{uid}"
    user.password_hash = "!account-closed"  # noqa: S105 - not a hash: nothing verifies
    user.totp_secret_enc = None
    user.totp_enabled_at = None
    user.status = UserStatus.DELETED
    user.session_version += 1
    user.last_seen_at = None
