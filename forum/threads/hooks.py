"""Extension points run inside the posting actions, before commit.

The moderation package registers a checker here at start-up, so that ``forum`` never
imports moderation's internals: the thread actions call whatever is registered, in the
same transaction as the write, and build their events from the post's final state.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

if TYPE_CHECKING:
    from forum.permissions import Viewer
    from forum.threads.models import Post, Thread


@dataclass
class PostWrite:
    """What a hook is told about one write, and what it may report back."""

    viewer: Viewer
    post: Post
    thread: Thread
    is_edit: bool
    is_new_thread: bool
    # The author ticked "post anyway" after a warning about personal details.
    confirmed: bool = False
    # Plain-English notices for the author (e.g. crisis contacts after a risk check).
    notices: list[dict[str, Any]] = field(default_factory=list)


PostHook = Callable[[Session, PostWrite], None]

_post_hooks: list[PostHook] = []


def register_post_hook(hook: PostHook) -> None:
    if hook not in _post_hooks:
        _post_hooks.append(hook)


def run_post_hooks(session: Session, write: PostWrite) -> None:
    for hook in list(_post_hooks):
        hook(session, write)
