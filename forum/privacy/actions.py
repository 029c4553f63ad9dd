"""Privacy actions: a member's copy of their data, closing their account, and an admin
looking at a member's private details for a stated reason.

The retention purge is :func:`forum.privacy.retention.do_purge_expired`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forum.accounts.models import Role, User, UserStatus
from forum.accounts.passwords import MAX_LENGTH, verify_password
from forum.accounts.usernames import username_key
from forum.audit.models import AuditAction, record
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Conflict, Forbidden, Invalid, NotFound
from forum.events import queue_event
from forum.permissions import Viewer, can_view_member_private, require_user
from forum.privacy import erasure
from forum.privacy.export import build_export
from forum.privacy.models import SignInAddress
from forum.render_cache import PURGE_EVENT, PURGE_ROOM, clear_every_cache
from forum.threads.actions import reaction_counts
from forum.threads.models import Post

CONFIRM_PHRASE = "delete my account"
MODES = ("erase", "keep")
REASON_MIN, REASON_MAX = 10, 500


def _check_password(user: User, password: str) -> None:
    given = (password or "")[:MAX_LENGTH * 4]
    if not given:
        raise Invalid(fields={"password": "Enter your password."})
    if not verify_password(user.password_hash, given):
        raise Invalid(fields={"password": "Your password is not right."})


@rolls_back_on_error
def do_export_my_data(session: Session, *, actor: Viewer, password: str,
                      service_name: str = "Alongside", remember_days: int | None = None,
                      now: datetime | None = None) -> dict[str, Any]:
    """A member downloads everything held about them (settings → "Your data"). Asks for the
    password again, because the file holds their email and every word they wrote. Audits
    ``privacy:export`` (no content); emits nothing. Returns the document as plain data."""
    user = require_user(actor)
    _check_password(user, password)
    now = now or utcnow()
    data = build_export(session, user, now=now, service_name=service_name,
                        remember_days=remember_days)
    record(session, actor_id=user.id, action=AuditAction.PRIVACY_EXPORT, subject_type="user",
           subject_id=user.id)
    session.commit()
    return data


@dataclass
class DeletionResult:
    user_id: int
    mode: str
    posts: int = 0
    quotes_changed: int = 0


def _check_deletion(session: Session, user: User, password: str, confirmation: str,
                    mode: str) -> None:
    errors: dict[str, str] = {}
    if mode not in MODES:
        errors["mode"] = "Choose what should happen to your posts."
    if " ".join((confirmation or "").lower().split()) != CONFIRM_PHRASE:
        errors["confirmation"] = f"Type \u201c{CONFIRM_PHRASE}\u201d to confirm."
    try:
        _check_password(user, password)
    except Invalid as exc:
        errors.update(exc.fields)
    if errors:
        raise Invalid(fields=errors)
    if user.role == Role.ADMIN:
        admins = session.scalar(select(func.count(User.id)).where(
            User.role == Role.ADMIN, User.status == UserStatus.ACTIVE)) or 0
        if admins <= 1:
            raise Conflict("You are the only administrator. Make someone else an "
                           "administrator before you close your account.")


@rolls_back_on_error
def do_delete_account(session: Session, *, actor: Viewer, password: str, confirmation: str,
                      mode: str = "erase") -> DeletionResult:
    """A member closes their own account (settings → "Close your account").

    ``mode="erase"`` (the default) removes the words of their posts (a placeholder stays),
    the titles of conversations they started, and quotations of them in other members'
    posts; ``mode="keep"`` leaves their posts under "Former member". Either way their name,
    email, password, two-step secret and recovery codes, sessions, tokens, notifications,
    mail waiting to go to them, follows, read markers, memberships, reactions and sign-in
    addresses go, and so does every rendered copy in the page and fragment caches.
    Moderation records stay, pointing at the nameless account, until the retention purge.
    Audits ``user:delete`` with only the id and mode;
    queues ``post.deleted``/``post.updated``/``thread.updated``/``reaction.changed`` for
    what members can see change, and ``caches.purge`` for the other server processes.
    The caller signs the browser out.
    """
    user = require_user(actor)
    _check_deletion(session, user, password, confirmation, mode)
    erase = mode == "erase"
    uid = user.id
    posts = list(session.scalars(select(Post).where(Post.author_id == uid).order_by(Post.id)))
    own_ids = {post.id for post in posts}
    result = DeletionResult(user_id=uid, mode=mode, posts=len(posts))
    result.quotes_changed = erasure.handle_quotes(session, uid, own_ids, erase=erase)
    erasure.handle_posts(session, posts, erase=erase)
    erasure.handle_threads(session, uid, erase=erase)
    reacted = erasure.remove_personal_rows(session, user)
    erasure.forget_identity(user)
    session.flush()
    for thread_id, post_id in reacted:
        queue_event(session, "reaction.changed", f"thread:{thread_id}",
                    {"thread_id": thread_id, "post_id": post_id,
                     "counts": reaction_counts(session, post_id)})
    record(session, actor_id=uid, action=AuditAction.USER_DELETE, subject_type="user",
           subject_id=uid, after={"mode": mode})
    # Rendered copies of their words and name: gone from this process now, and from every
    # other process when it hears the event (forum/session_sockets.py).
    queue_event(session, PURGE_EVENT, PURGE_ROOM, {})
    session.commit()
    clear_every_cache()
    return result


@dataclass
class MemberPrivate:
    user: User
    email: str
    addresses: list[SignInAddress] = field(default_factory=list)


def find_member(session: Session, *, actor: Viewer, username: str) -> User:
    """The member an admin asked about (the "Member details" page). Admins only."""
    if not can_view_member_private(actor):
        raise Forbidden("Only administrators can see members' details.")
    user = session.scalar(select(User).where(User.username_key == username_key(username or "")))
    if user is None:
        raise NotFound("We could not find that member.")
    return user


@rolls_back_on_error
def do_view_member_private(session: Session, *, actor: Viewer, username: str,
                           reason: str) -> MemberPrivate:
    """An admin sees a member's email and recent sign-in addresses after giving a reason.
    Facilitators never can. Audits ``member:view_private`` with the reason (never the
    email); emits nothing."""
    staff = require_user(actor)
    user = find_member(session, actor=actor, username=username)
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN:
        raise Invalid(fields={"reason": "Say why you need to see these details, in a few "
                                        "words (at least 10 characters)."})
    if len(reason) > REASON_MAX:
        raise Invalid(fields={"reason": f"Keep the reason to {REASON_MAX} characters or "
                                        "fewer."})
    addresses = list(session.scalars(select(SignInAddress).where(
        SignInAddress.user_id == user.id).order_by(SignInAddress.id.desc()).limit(20)))
    record(session, actor_id=staff.id, action=AuditAction.MEMBER_VIEW_PRIVATE,
           subject_type="user", subject_id=user.id, reason=reason)
    session.commit()
    return MemberPrivate(user=user, email=user.email, addresses=addresses)
