"""How the API reports a post that has just been written (shared by thread and post routes)."""

from __future__ import annotations

from typing import Any

from forum.threads.actions import PostOutcome
from forum.threads.models import Post
from forum.threads.serialize import post_json

HELD_MESSAGE = ("Thank you. Your post is waiting for a facilitator to check it. Until then, "
                "only you and the facilitators can see it.")
PUBLISHED_MESSAGE = "Your post is now published."


def post_out(post: Post, reactions: dict[str, int] | None = None,
             mine: set[str] | None = None) -> dict[str, Any]:
    """A post for the API: the shared JSON shape plus its Markdown and reactions."""
    return {**post_json(post, include_source=True), "reactions": reactions or {},
            "my_reactions": sorted(mine or ())}


def written(outcome: PostOutcome) -> dict[str, Any]:
    return {"state": outcome.post.state,
            "message": HELD_MESSAGE if outcome.held else PUBLISHED_MESSAGE,
            "post": post_out(outcome.post), "notices": outcome.notices}
