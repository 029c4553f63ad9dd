"""Plain-JSON shapes of members. A member's email appears only in :func:`me_json`, which is
for the member themself."""

from __future__ import annotations

from typing import Any

from forum.accounts.models import User


def user_json(user: User) -> dict[str, Any]:
    """What anyone may know about a member: the pseudonym and role, nothing private."""
    return {"id": user.id, "username": user.username, "role": str(user.role)}


def me_json(user: User, *, authenticated_by: str) -> dict[str, Any]:
    """The signed-in member's own account, including their email address."""
    return {
        **user_json(user),
        "email": user.email,
        "status": str(user.status),
        "created_at": user.created_at.isoformat(),
        "post_count": user.post_count,
        "authenticated_by": authenticated_by,
    }
