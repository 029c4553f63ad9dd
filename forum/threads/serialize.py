"""Plain-JSON shapes of threads and posts, shared by the API and real-time events."""

from __future__ import annotations

from typing import Any

from flask import current_app

from forum.threads.models import Post, PostState, Thread

DELETED_PLACEHOLDER = "This post was deleted by its author."
HIDDEN_PLACEHOLDER = "This post has been hidden by a facilitator."
FORMER_MEMBER = "Former member"


def absolute_url(endpoint: str, **values: Any) -> str:
    """An absolute address from BASE_URL; works in requests, CLI commands and jobs alike."""
    base = current_app.config["BASE_URL"].rstrip("/")
    adapter = current_app.url_map.bind("localhost", script_name="/")
    return base + adapter.build(endpoint, values)


def post_url(post: Post) -> str:
    return absolute_url("threads.permalink", post_id=post.id)


def thread_url(thread: Thread) -> str:
    return absolute_url("threads.show", thread_id=thread.id)


def post_json(post: Post, *, include_source: bool = False) -> dict[str, Any]:
    """A post as members may see it; held/hidden bodies only reach those allowed by callers."""
    deleted = post.state == PostState.DELETED
    data: dict[str, Any] = {
        "id": post.id,
        "post_id": post.id,
        "thread_id": post.thread_id,
        "author": (post.author.username if post.author else FORMER_MEMBER),
        "author_id": post.author_id,
        "state": str(post.state),
        "is_guidance": post.is_guidance,
        "html": "" if deleted else post.body_html,
        "created_at": post.created_at.isoformat(),
        "edited_at": post.edited_at.isoformat() if post.edited_at else None,
        "url": post_url(post),
    }
    if include_source and not deleted:
        data["body"] = post.body_source
    return data


def thread_json(thread: Thread) -> dict[str, Any]:
    return {
        "id": thread.id,
        "thread_id": thread.id,
        "board": thread.board.slug,
        "title": thread.title,
        "author": thread.author.username if thread.author else FORMER_MEMBER,
        "locked": thread.locked,
        "pinned": thread.pinned,
        "reply_count": thread.reply_count,
        "created_at": thread.created_at.isoformat(),
        "last_activity_at": thread.last_activity_at.isoformat(),
        "last_post_id": thread.last_post_id,
        "url": thread_url(thread),
    }
