"""API routes for one conversation: reading it, its posts, replying and following."""

from __future__ import annotations

from flask import current_app

from forum.api.blueprint import api
from forum.api.registry import Result
from forum.api.schemas import (
    CATCH_UP_LIMIT,
    FollowOut,
    NewPost,
    PostList,
    PostsQuery,
    PostWritten,
    ReadUpTo,
    ThreadOut,
)
from forum.api.writes import post_out, written
from forum.auth import current_viewer
from forum.db import get_session
from forum.permissions import access_thread
from forum.threads.actions import do_follow_thread, do_mark_read, do_reply
from forum.threads.queries import get_thread_page, posts_after, reaction_summary
from forum.threads.serialize import post_url, thread_json


@api.route("/threads/<int:thread_id>", methods=["GET"], responses={200: ThreadOut},
           tags=["threads"])
def thread(thread_id: int) -> Result:
    """One conversation's details (its posts are at `/threads/{thread_id}/posts`)."""
    return thread_json(access_thread(get_session(), current_viewer(), thread_id))


@api.route("/threads/<int:thread_id>/posts", methods=["GET"], query=PostsQuery,
           responses={200: PostList}, tags=["posts"])
def thread_posts(thread_id: int, query: PostsQuery) -> Result:
    """Posts in a conversation, oldest first: by page, or since a post you already have.

    With `after`, returns up to 100 posts written after that post id; `has_more` says
    whether to ask again from the last one. Posts waiting for a facilitator are shown
    only to their author and the facilitators.
    """
    viewer = current_viewer()
    session = get_session()
    found = access_thread(session, viewer, thread_id)
    if query.after is not None:
        posts = posts_after(session, viewer, found, query.after, limit=CATCH_UP_LIMIT + 1)
        has_more = len(posts) > CATCH_UP_LIMIT
        posts = posts[:CATCH_UP_LIMIT]
        counts, mine = reaction_summary(session, viewer, [p.id for p in posts])
        return {"items": [post_out(p, counts.get(p.id), mine.get(p.id)) for p in posts],
                "page": None, "pages": None, "total": None, "per_page": CATCH_UP_LIMIT,
                "has_more": has_more}
    per_page = current_app.config["POSTS_PER_PAGE"]
    page = get_thread_page(session, viewer, found, query.page, per_page)
    return {"items": [post_out(p, page.reactions.get(p.id), page.my_reactions.get(p.id))
                      for p in page.posts],
            "page": page.page, "pages": page.pages, "total": page.total,
            "per_page": per_page, "has_more": page.page < page.pages}


@api.route("/threads/<int:thread_id>/posts", methods=["POST"], body=NewPost,
           responses={201: PostWritten, 202: PostWritten}, auth=True, tags=["posts"])
def reply(thread_id: int, body: NewPost) -> Result:
    """Reply in a conversation. 201 when published; 202 when it waits for a facilitator."""
    viewer = current_viewer()
    session = get_session()
    found = access_thread(session, viewer, thread_id)
    outcome = do_reply(session, actor=viewer, thread=found, body=body.body,
                       quote_post_id=body.quote_post_id, confirmed=body.confirm,
                       max_length=current_app.config["MAX_POST_LENGTH"])
    return written(outcome), 202 if outcome.held else 201, {"Location": post_url(outcome.post)}


@api.route("/threads/<int:thread_id>/follow", methods=["POST"], responses={200: FollowOut},
           auth=True, tags=["threads"])
def follow_thread(thread_id: int) -> Result:
    """Follow a conversation, to be told about new replies."""
    viewer = current_viewer()
    session = get_session()
    found = access_thread(session, viewer, thread_id)
    following = do_follow_thread(session, actor=viewer, thread=found, follow=True)
    return {"thread_id": found.id, "following": following}


@api.route("/threads/<int:thread_id>/follow", methods=["DELETE"], responses={200: FollowOut},
           auth=True, tags=["threads"])
def unfollow_thread(thread_id: int) -> Result:
    """Stop following a conversation."""
    viewer = current_viewer()
    session = get_session()
    found = access_thread(session, viewer, thread_id)
    following = do_follow_thread(session, actor=viewer, thread=found, follow=False)
    return {"thread_id": found.id, "following": following}


@api.route("/threads/<int:thread_id>/read", methods=["POST"], body=ReadUpTo,
           responses={204: None}, auth=True, tags=["threads"])
def mark_read(thread_id: int, body: ReadUpTo) -> Result:
    """Record how far you have read, so unread counts stay right in every app you use.

    Reading posts through the API changes nothing by itself; call this when the member has
    seen them. The mark only ever moves forward.
    """
    viewer = current_viewer()
    session = get_session()
    found = access_thread(session, viewer, thread_id)
    do_mark_read(session, actor=viewer, thread=found, up_to_post_id=body.post_id)
    return None, 204
