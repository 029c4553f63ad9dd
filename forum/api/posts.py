"""API routes for one post: editing, deleting and peer-support reactions."""

from __future__ import annotations

from flask import current_app

from forum.api.blueprint import api
from forum.api.registry import Result
from forum.api.schemas import PostEdit, PostWritten, ReactionIn, ReactionsOut
from forum.api.writes import written
from forum.auth import current_viewer
from forum.db import get_session
from forum.permissions import access_post
from forum.threads.actions import (
    do_add_reaction,
    do_delete_post,
    do_edit_post,
    do_remove_reaction,
)


@api.route("/posts/<int:post_id>", methods=["PATCH"], body=PostEdit,
           responses={200: PostWritten}, auth=True, tags=["posts"])
def edit_post(post_id: int, body: PostEdit) -> Result:
    """Change your post. The earlier version is kept for the facilitators.

    `state` may become `held` if a facilitator needs to check the new text.
    """
    viewer = current_viewer()
    session = get_session()
    post = access_post(session, viewer, post_id)
    outcome = do_edit_post(session, actor=viewer, post=post, body=body.body,
                           reason=body.reason, confirmed=body.confirm,
                           max_length=current_app.config["MAX_POST_LENGTH"])
    return written(outcome)


@api.route("/posts/<int:post_id>", methods=["DELETE"], responses={204: None}, auth=True,
           tags=["posts"])
def delete_post(post_id: int) -> Result:
    """Delete your post. A short note stays in its place so the conversation still reads."""
    viewer = current_viewer()
    session = get_session()
    post = access_post(session, viewer, post_id)
    do_delete_post(session, actor=viewer, post=post)
    return None, 204


@api.route("/posts/<int:post_id>/reactions", methods=["POST"], body=ReactionIn,
           responses={200: ReactionsOut}, auth=True, tags=["posts"])
def add_reaction(post_id: int, body: ReactionIn) -> Result:
    """React to a post ("thinking of you", "thank you", "me too", "sending a hug")."""
    viewer = current_viewer()
    session = get_session()
    post = access_post(session, viewer, post_id)
    counts = do_add_reaction(session, actor=viewer, post=post, kind=body.kind.value)
    return {"post_id": post.id, "counts": counts}


@api.route("/posts/<int:post_id>/reactions", methods=["DELETE"], body=ReactionIn,
           responses={200: ReactionsOut}, auth=True, tags=["posts"])
def remove_reaction(post_id: int, body: ReactionIn) -> Result:
    """Take back your reaction to a post."""
    viewer = current_viewer()
    session = get_session()
    post = access_post(session, viewer, post_id)
    counts = do_remove_reaction(session, actor=viewer, post=post, kind=body.kind.value)
    return {"post_id": post.id, "counts": counts}
