"""Email-address changes still waiting for their link to be used, for the places that must
stop them: a newer request, and "sign out everywhere else" (someone else signed in may have
asked for the change; the link goes to an address the owner may not control)."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.orm import Session

from forum.accounts.models import PendingEmailChange


def cancel_waiting_email_changes(session: Session, user_id: int) -> int:
    """Delete the member's unconfirmed changes (their links stop working); returns how
    many. Changes already made keep their row until the notice to the old address goes."""
    result = session.execute(delete(PendingEmailChange).where(
        PendingEmailChange.user_id == user_id, PendingEmailChange.changed_at.is_(None)),
        execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
