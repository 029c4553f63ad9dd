"""The append-only audit log: who did what, when, why, before and after."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, event
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, mapped_column

from forum.db import Base, UTCDateTime, utcnow


class AuditAction(enum.StrEnum):
    USER_REGISTER = "user:register"
    USER_LOGIN = "user:login"
    USER_LOGOUT = "user:logout"
    USER_CHANGE_PASSWORD = "user:change_password"
    USER_RESET_PASSWORD = "user:reset_password"
    USER_REQUEST_PASSWORD_RESET = "user:request_password_reset"
    USER_CHANGE_EMAIL = "user:change_email"
    USER_CHANGE_ROLE = "user:change_role"
    USER_CREATE = "user:create"
    TOKEN_CREATE = "token:create"
    TOKEN_REVOKE = "token:revoke"
    SESSION_END = "session:end"
    SESSION_END_OTHERS = "session:end_others"
    TWO_FACTOR_ENABLE = "user:enable_two_factor"
    TWO_FACTOR_DISABLE = "user:disable_two_factor"
    TWO_FACTOR_RECOVERY_USED = "user:use_recovery_code"
    TWO_FACTOR_RESET = "user:reset_two_factor"
    BOARD_CREATE = "board:create"
    BOARD_UPDATE = "board:update"
    BOARD_ARCHIVE = "board:archive"
    BOARD_UNARCHIVE = "board:unarchive"
    BOARD_JOIN = "board:join"
    BOARD_LEAVE = "board:leave"
    BOARD_INVITE = "board:invite"
    BOARD_ASSIGN_FACILITATOR = "board:assign_facilitator"
    BOARD_UNASSIGN_FACILITATOR = "board:unassign_facilitator"
    THREAD_CREATE = "thread:create"
    POST_CREATE = "post:create"
    POST_EDIT = "post:edit"
    POST_DELETE = "post:delete"
    REACTION_ADD = "reaction:add"
    REACTION_REMOVE = "reaction:remove"
    THREAD_FOLLOW = "thread:follow"
    THREAD_UNFOLLOW = "thread:unfollow"
    NOTIFICATION_PREFERENCE = "notification:preference"
    NOTIFICATION_UNSUBSCRIBE = "notification:unsubscribe"
    USER_DELETE = "user:delete"
    PRIVACY_EXPORT = "privacy:export"
    MEMBER_VIEW_PRIVATE = "member:view_private"
    RETENTION_PURGE = "retention:purge"


class AuditEntry(Base):
    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(String(64), index=True)
    subject_type: Mapped[str] = mapped_column(String(32), default="")
    subject_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    board_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    reason: Mapped[str] = mapped_column(String(1000), default="")
    # Before/after hold ids and states, never post bodies or emails.
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


def record(session: Session, *, actor_id: int | None, action: AuditAction | str,
           subject_type: str = "", subject_id: int | None = None, board_id: int | None = None,
           reason: str = "", before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None) -> AuditEntry:
    """Append an audit entry in the caller's transaction (called by actions only)."""
    entry = AuditEntry(actor_id=actor_id, action=str(action), subject_type=subject_type,
                       subject_id=subject_id, board_id=board_id, reason=reason[:1000],
                       before=before or {}, after=after or {})
    session.add(entry)
    return entry


# The one exception to "append-only": the retention purge (forum.privacy.retention) deletes
# entries older than the retention period. It sets this flag on its session for the length of
# that delete; every other delete, ORM or bulk, still raises.
PURGE_FLAG = "audit_retention_purge"


@event.listens_for(AuditEntry, "before_update")
def _refuse_update(*_args: Any) -> None:
    raise RuntimeError("audit entries are append-only")


@event.listens_for(AuditEntry, "before_delete")
def _refuse_delete(_mapper: Any, connection: Any, _target: Any) -> None:
    session = Session.object_session(_target)
    if session is not None and session.info.get(PURGE_FLAG):
        return
    raise RuntimeError("audit entries are append-only")


@event.listens_for(Session, "do_orm_execute")
def _refuse_bulk_change(state: ORMExecuteState) -> None:
    # session.execute(delete(AuditEntry)) / update(...) skip the mapper events above.
    if not (state.is_delete or state.is_update):
        return
    mapper = state.bind_mapper
    if mapper is None or mapper.class_ is not AuditEntry:
        return
    if state.is_delete and state.session.info.get(PURGE_FLAG):
        return
    raise RuntimeError("audit entries are append-only")
