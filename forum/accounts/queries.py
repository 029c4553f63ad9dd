"""Reading account data for pages and the API. Read-only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import ApiToken


def list_tokens(session: Session, user_id: int) -> list[ApiToken]:
    """A member's tokens that still work, newest first (one query)."""
    return list(session.scalars(
        select(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))
