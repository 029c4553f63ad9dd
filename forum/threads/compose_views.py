"""Writing pages: start a conversation, reply (and quote), edit, delete, revision history.

Registered on the ``threads`` blueprint by :mod:`forum.threads.views`. Each POST parses the
form, calls one action, and either redirects with a calm confirmation or re-renders the
form with status 422 and the action's messages next to the fields they are about.
"""

from __future__ import annotations

from flask import current_app, flash, render_template, request, url_for
from werkzeug.wrappers import Response

from forum.auth import current_viewer
from forum.db import get_session
from forum.errors import Forbidden, Invalid, NotFound
from forum.permissions import (
    access_board,
    access_post,
    access_thread,
    can_delete_post,
    can_edit_post,
    can_moderate,
    can_post_in_board,
    can_reply,
    require_user,
)
from forum.routing import whole_number
from forum.threads.actions import (
    PostOutcome,
    do_create_thread,
    do_delete_post,
    do_edit_post,
    do_reply,
    quote_source,
)
from forum.threads.forms import (
    DeletePostForm,
    EditPostForm,
    NewThreadForm,
    ReplyForm,
    apply_errors,
)
from forum.threads.models import PostState
from forum.threads.queries import list_post_revisions
from forum.threads.views import bp, redirect_to_post, remember_notices

HELD_MESSAGE = ("Your post is waiting for a facilitator to check it. "
                "We'll let you know when it's approved.")


def _max_length() -> int:
    return int(current_app.config.get("MAX_POST_LENGTH", 20000))


def _after_post(outcome: PostOutcome, published_message: str) -> Response:
    remember_notices(outcome.notices)
    if outcome.held:
        flash(HELD_MESSAGE, "info")
    else:
        flash(published_message, "success")
    return redirect_to_post(outcome.post)


def _quote_id(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    quote_id = whole_number(raw)
    if not quote_id:
        raise Invalid(fields={"quote": "The post you are quoting is no longer available."})
    return quote_id


@bp.route("/boards/<slug>/new", methods=["GET", "POST"])
def new(slug: str) -> str | Response | tuple[str, int]:
    """Start a conversation on a board."""
    viewer = current_viewer()
    db = get_session()
    board = access_board(db, viewer, slug)
    require_user(viewer)
    if not can_post_in_board(viewer, board):
        raise Forbidden("This board is read-only." if board.archived
                        else "You cannot start a conversation on this board.")
    form = NewThreadForm()
    if request.method == "POST":
        if form.validate():
            try:
                outcome = do_create_thread(
                    db, actor=viewer, board=board, title=form.title.data or "",
                    body=form.body.data or "", max_length=_max_length(),
                    confirmed=bool(form.confirmed.data))
            except Invalid as exc:
                apply_errors(form, exc.fields or {"body": exc.message})
            else:
                return _after_post(outcome, "Your conversation has been started.")
        return render_template("threads/new.html", board=board, form=form), 422
    return render_template("threads/new.html", board=board, form=form)


@bp.route("/threads/<int:thread_id>/reply", methods=["GET", "POST"])
def reply(thread_id: int) -> str | Response | tuple[str, int]:
    """Reply to a conversation. ``GET ?quote=<post id>`` fills the box with a quotation."""
    viewer = current_viewer()
    db = get_session()
    thread = access_thread(db, viewer, thread_id)
    require_user(viewer)
    if not can_reply(viewer, thread):
        raise Forbidden("This conversation is closed to new replies." if thread.locked
                        else "You cannot reply here.")
    form = ReplyForm()
    if request.method == "GET":
        quote_raw = request.args.get("quote")
        if quote_raw:
            quote_id = _quote_id(quote_raw)
            quoted = access_post(db, viewer, quote_id) if quote_id else None
            if quoted is None or quoted.thread_id != thread.id \
                    or quoted.state != PostState.PUBLISHED:
                raise NotFound("We could not find the post you wanted to quote.")
            form.body.data = quote_source(quoted)
            form.quote.data = str(quoted.id)
        return render_template("threads/reply.html", thread=thread, board=thread.board,
                               form=form, can_guide=viewer.acts_for(thread.board_id))
    if form.validate():
        try:
            outcome = do_reply(db, actor=viewer, thread=thread, body=form.body.data or "",
                               quote_post_id=_quote_id(form.quote.data),
                               max_length=_max_length(),
                               confirmed=bool(form.confirmed.data),
                               guidance=bool(form.guidance.data))
        except Invalid as exc:
            apply_errors(form, exc.fields or {"body": exc.message})
        else:
            return _after_post(outcome, "Your guidance has been posted."
                               if outcome.post.is_guidance else "Your reply has been posted.")
    return render_template("threads/reply.html", thread=thread, board=thread.board,
                           form=form, can_guide=viewer.acts_for(thread.board_id)), 422


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit(post_id: int) -> str | Response | tuple[str, int]:
    """Change one's own post (staff may change any on their boards). Earlier versions are
    kept for staff and the post shows an "edited" mark."""
    viewer = current_viewer()
    db = get_session()
    post = access_post(db, viewer, post_id)
    require_user(viewer)
    thread = post.thread
    if not can_edit_post(viewer, post, thread):
        raise Forbidden("You cannot change this post.")
    form = EditPostForm()
    if request.method == "GET":
        form.body.data = post.body_source
        return render_template("threads/edit.html", post=post, thread=thread,
                               board=thread.board, form=form)
    if form.validate():
        try:
            outcome = do_edit_post(db, actor=viewer, post=post, body=form.body.data or "",
                                   reason=form.reason.data or "", max_length=_max_length(),
                                   confirmed=bool(form.confirmed.data))
        except Invalid as exc:
            apply_errors(form, exc.fields or {"body": exc.message})
        else:
            remember_notices(outcome.notices)
            if outcome.held:
                flash("Your changes are waiting for a facilitator to check them. "
                      "We'll let you know when they're approved.", "info")
            else:
                flash("Your changes have been saved.", "success")
            return redirect_to_post(outcome.post)
    return render_template("threads/edit.html", post=post, thread=thread, board=thread.board,
                           form=form), 422


@bp.route("/posts/<int:post_id>/delete", methods=["GET", "POST"])
def delete(post_id: int) -> str | Response:
    """Ask, then delete a post. A placeholder stays so the conversation still reads."""
    viewer = current_viewer()
    db = get_session()
    post = access_post(db, viewer, post_id)
    require_user(viewer)
    thread = post.thread
    if not can_delete_post(viewer, post, thread):
        raise Forbidden("You cannot delete this post.")
    form = DeletePostForm()
    if request.method == "POST" and form.validate():
        do_delete_post(db, actor=viewer, post=post)
        flash("Your post has been deleted." if post.author_id == viewer.id
              else "The post has been deleted.", "success")
        return redirect_to_post(post)
    return render_template("threads/delete.html", post=post, thread=thread,
                           board=thread.board, form=form)


@bp.get("/posts/<int:post_id>/revisions")
def revisions(post_id: int) -> str:
    """Earlier versions of a post, for the board's facilitators and admins only."""
    viewer = current_viewer()
    db = get_session()
    post = access_post(db, viewer, post_id)
    thread = post.thread
    # Signed out: ask to sign in (a facilitator may simply have been signed out).
    require_user(viewer)
    if not can_moderate(viewer, thread.board_id):
        raise Forbidden("Only the board's facilitators can see earlier versions of a post.")
    return render_template("threads/revisions.html", post=post, thread=thread,
                           board=thread.board, rows=list_post_revisions(db, post),
                           back=url_for("threads.permalink", post_id=post.id))
