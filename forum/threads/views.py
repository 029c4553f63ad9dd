"""Thread pages: reading a conversation, permanent links, following and reactions.

Writing pages (start, reply, edit, delete, revision history) are in
:mod:`forum.threads.compose_views`, registered on the same blueprint. Views parse input,
call one query or action, and render; they never commit.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from markupsafe import Markup
from werkzeug.wrappers import Response

from forum.auth import bearer_token, current_viewer
from forum.db import get_session, request_reader
from forum.errors import Invalid, NotFound, wants_json
from forum.page_cache import capture_page, html_response, page_cache, split_page
from forum.permissions import (
    Viewer,
    access_post,
    access_thread,
    can_moderate,
    can_post_in_board,
    can_reply,
    thread_refusal,
)
from forum.render_cache import memo_render
from forum.routing import whole_number
from forum.templating import has_endpoint
from forum.threads.actions import (
    do_add_reaction,
    do_follow_thread,
    do_mark_read,
    do_remove_reaction,
)
from forum.threads.forms import ReplyForm
from forum.threads.models import REACTION_LABELS, Post, PostState, ReactionKind, Thread
from forum.threads.page_key import facts_from_view, page_facts, page_key
from forum.threads.queries import (
    ThreadPage,
    first_unread_post_id,
    get_thread_page,
    page_of_post,
)

bp = Blueprint("threads", __name__)

NOTICES_KEY = "post_notices"


# ---- helpers shared with compose_views --------------------------------------------------

def page_number() -> int:
    """The ``?page=`` number; anything but a positive whole number is a 404."""
    page = whole_number(request.args.get("page", "1"), maximum=999_999)
    if not page:
        raise NotFound("We could not find that page. Check the page number is right.")
    return page


def posts_per_page() -> int:
    return max(1, int(current_app.config.get("POSTS_PER_PAGE", 25)))


def redirect_to_post(post: Post) -> Response:
    """Send the browser to ``post`` on the right page of its thread, with the anchor."""
    page = page_of_post(get_session(), current_viewer(), post, posts_per_page(),
                        placeholders=True)
    if page > 1:
        return redirect(url_for("threads.show", thread_id=post.thread_id, page=page,
                                _anchor=f"post-{post.id}"))
    return redirect(url_for("threads.show", thread_id=post.thread_id, _anchor=f"post-{post.id}"))


def remember_notices(notices: list[dict[str, Any]]) -> None:
    """Keep an action's notices (e.g. support contacts after a risk check) for the next page.

    Only plain values are kept, so the session cookie never holds anything surprising.
    """
    plain = [{k: v for k, v in notice.items() if isinstance(v, (str, int, bool, list, dict))}
             for notice in notices if isinstance(notice, dict)]
    if plain:
        session[NOTICES_KEY] = plain


def _kept_notices() -> list[dict[str, Any]]:
    """The notices ``remember_notices`` kept, once. The session cookie could hold anything
    (forged with SECRET_KEY, or a bug of ours), and the template loops over a list of
    dicts: anything else is dropped rather than failing the page."""
    kept = session.pop(NOTICES_KEY, [])
    return [n for n in kept if isinstance(n, dict)] if isinstance(kept, list) else []


class ThreadAbilities(NamedTuple):
    """The viewer's standing in one thread, worked out once for a whole page of posts."""

    viewer_id: int | None
    active: bool
    staff: bool  # can_moderate: the board's facilitators and admins (they see everything)
    acts: bool  # Viewer.acts_for: staff who may act here (edit, delete, post guidance)
    post_in_board: bool  # can_post_in_board
    reply: bool  # can_reply
    closed: bool  # archived board or locked thread: members can no longer edit


class PostActions(NamedTuple):
    """What the viewer may do with one post (attributes, so templates read them fast)."""

    see: bool
    edit: bool
    delete: bool
    react: bool
    quote: bool
    staff: bool
    report: bool


# Members cannot edit their posts in these states (facilitators who may act can).
_NOT_EDITABLE = (PostState.HIDDEN, PostState.DECLINED)


@bp.app_template_global()
def thread_abilities(viewer: Viewer, thread: Thread) -> ThreadAbilities:
    return ThreadAbilities(
        viewer_id=viewer.id, active=viewer.is_active, staff=can_moderate(viewer, thread.board_id),
        acts=viewer.acts_for(thread.board_id),
        post_in_board=can_post_in_board(viewer, thread.board), reply=can_reply(viewer, thread),
        closed=thread.board.archived or thread.locked)


@bp.app_template_global()
def post_actions(viewer: Viewer, post: Post, thread: Thread,
                 abilities: ThreadAbilities | None = None) -> PostActions:
    """What the viewer may do with one post; used by ``threads/_post.html``.

    The same answers as the ``can_*`` predicates in :mod:`forum.permissions` (a test
    compares them over every state and kind of reader), with the per-thread part taken
    from ``abilities`` so that a page of 50 posts asks it once.
    """
    a = abilities or thread_abilities(viewer, thread)
    state = post.state
    published = state == PostState.PUBLISHED
    deleted = state == PostState.DELETED
    own = a.viewer_id is not None and post.author_id == a.viewer_id
    see = published or deleted or a.staff or own
    return PostActions(
        see=see,
        edit=a.active and not deleted and (
            a.acts or (not a.closed and state not in _NOT_EDITABLE and own)),
        delete=a.active and not deleted and (own or a.acts),
        react=a.post_in_board and published,
        quote=a.reply and published,
        staff=a.staff,
        # Any signed-in reader may report someone else's published post (moderation checks
        # it again); the link is only shown when the report page would accept it. The
        # board's facilitators act on posts from the review queue instead.
        report=a.active and not own and not a.staff and published,
    )


@bp.app_template_global()
def post_list_key(view: ThreadPage, thread: Thread, viewer: Viewer,
                  abilities: ThreadAbilities) -> tuple[Any, ...]:
    """Everything ``post_article`` shows for the posts of ``view``, as one cache key.

    The thread page caches its whole list of posts under this key (forum/render_cache.py),
    so it must hold every input of ``templates/threads/_post.html`` except the CSRF token,
    which is a slot: each post's columns, author name, "New" mark, reactions and the
    reader's own, what the reader may do with it, and whether a held post is theirs. Add
    here whenever you add to what that template shows.
    """
    last_read = view.last_read_post_id
    reactions, mine = view.reactions, view.my_reactions
    # What the reader may do depends only on the post's state and whether it is theirs.
    acts_for: dict[tuple[Any, bool], PostActions] = {}
    items = []
    for post in view.posts:
        own = post.author_id == viewer.id
        acts = acts_for.get((post.state, own))
        if acts is None:
            acts = acts_for[post.state, own] = post_actions(viewer, post, thread, abilities)
        counts, sent = reactions.get(post.id), mine.get(post.id)
        items.append((
            post.id, str(post.state), post.is_guidance,
            post.author.username if post.author else None, own,
            post.created_at, post.edited_at, post.body_html,
            bool(last_read and post.id > last_read), acts,
            tuple(sorted(counts.items())) if counts else (),
            tuple(sorted(sent)) if sent else (),
        ))
    return (thread.id, has_endpoint("moderation.report"), tuple(items))


REACTION_KINDS: tuple[tuple[str, str], ...] = tuple(
    (kind.value, REACTION_LABELS[kind]) for kind in ReactionKind)


@bp.app_template_global()
def reaction_kinds() -> tuple[tuple[str, str], ...]:
    """Each peer-support reaction as (value, label), in display order."""
    return REACTION_KINDS


# ---- pages ------------------------------------------------------------------------------

@bp.get("/threads/<int:thread_id>")
def show(thread_id: int) -> str | Response:
    """A page of a conversation. Marks the viewer's reading up to the last post shown.

    Pages are kept whole (forum/page_cache.py) under a key of everything they show
    (forum/threads/page_key.py): a page that is kept is served after one statement.
    """
    viewer = current_viewer()
    page = page_number()
    keep = may_keep_page()
    if keep:
        kept = _kept_page(viewer, thread_id, page)
        if kept is not None:
            return kept
    db = get_session()
    thread = access_thread(db, viewer, thread_id)
    view = get_thread_page(db, viewer, thread, page, posts_per_page(), placeholders=True,
                           shown=True)
    if page > view.pages:
        raise NotFound(f"This conversation has {view.pages} "
                       f"page{'s' if view.pages != 1 else ''}.")
    # Worked out before the read marker moves: the page shows what was new.
    facts = facts_from_view(viewer, thread, view) if keep else None
    # Only when the page shows something past the reader's marker: read again, there is
    # nothing to record (the action would find the same and write nothing).
    if viewer.user is not None and view.posts and view.posts[-1].id > view.last_read_post_id:
        do_mark_read(db, actor=viewer, thread=thread, up_to_post_id=view.posts[-1].id)
    first_new = None
    if view.last_read_post_id:
        first_new = next((p.id for p in view.posts if p.id > view.last_read_post_id), None)
    abilities = thread_abilities(viewer, thread)
    context = dict(
        thread=thread, board=thread.board, view=view, viewer=viewer,
        abilities=abilities, can_reply=abilities.reply,
        reply_form=ReplyForm() if abilities.reply else None,
        first_new=first_new,
        can_guide=abilities.acts,
        notices=_kept_notices(),
    )
    if facts is None:
        return render_template("threads/show.html", **context)
    with capture_page() as capture:
        html = render_template("threads/show.html", **context)
    kept_page = split_page(html)
    key = page_key(facts, viewer, abilities, page, posts_per_page())
    page_cache().put(key, kept_page, len(facts.posts) + len(facts.reactions))
    return html_response(kept_page.fill(capture.values))


def may_keep_page() -> bool:
    """Whether this request's page can come from, or go into, the page cache: not when it
    shows something once (flashed messages, notices after posting), nor for API tokens
    (the layout shows the browser's sign-in, not the token's), nor for addresses with
    anything but ``?page=`` (the query string is part of the key: made-up ones would
    only push real pages out)."""
    return (page_cache().enabled and bearer_token() is None
            and all(name == "page" for name in request.args)
            and NOTICES_KEY not in session and "_flashes" not in session)


def _kept_page(viewer: Viewer, thread_id: int, page: int) -> Response | None:
    """The kept page for this request, or None (then the page is built as usual, which
    also gives any error its usual answer)."""
    per_page = posts_per_page()
    # Nothing read in a transaction yet (the user loader reads outside one too): the one
    # statement needs none, and a kept page then never starts one (nor, for a reader who
    # is not signed in, makes a session at all).
    facts = page_facts(request_reader, viewer, thread_id, page, per_page)
    if (facts is None or thread_refusal(viewer, facts.thread) is not None  # type: ignore[arg-type]
            or page > facts.pages(per_page)):
        return None
    abilities = thread_abilities(viewer, facts.thread)  # type: ignore[arg-type]
    found = page_cache().get(page_key(facts, viewer, abilities, page, per_page))
    if found is None:
        return None
    if (viewer.user is not None and facts.last_post_id is not None
            and facts.last_post_id > facts.last_read):
        # Only the id is read; the facts stand in for the thread row.
        do_mark_read(get_session(), actor=viewer, thread=facts.thread,  # type: ignore[arg-type]
                     up_to_post_id=facts.last_post_id)
    board = facts.thread.board
    return html_response(found.fill(fillers={"watch": lambda: _watch_banner(board)}))


def _watch_banner(board: Any) -> Markup:
    """The "not being watched" banner of threads/show.html, on its own (its page slot):
    asked of the database on every request, rendered once per wording."""
    board_watch = current_app.jinja_env.globals.get("board_watch")
    watch = board_watch(board) if callable(board_watch) else None
    if not watch:
        return Markup("")  # what the template writes when the board is watched
    # Given ``watch``, the template shows nothing else of the board.
    # ``watch`` is plain data from the settings: its repr tells every wording apart.
    return memo_render("moderation/_watch_banner.html", memo_key=repr(watch), watch=watch)


@bp.get("/posts/<int:post_id>")
def permalink(post_id: int) -> Response:
    """A post's permanent address: sends the reader to the right page of its thread."""
    viewer = current_viewer()
    db = get_session()
    return redirect_to_post(access_post(db, viewer, post_id))


@bp.get("/threads/<int:thread_id>/new")
def first_unread(thread_id: int) -> Response:
    """Jump to the first post the member has not read yet (or the last page)."""
    viewer = current_viewer()
    db = get_session()
    thread = access_thread(db, viewer, thread_id)
    post_id = first_unread_post_id(db, viewer, thread)
    if post_id is None:
        target = thread.last_post_id
        if target is None:
            return redirect(url_for("threads.show", thread_id=thread.id))
        return redirect(url_for("threads.permalink", post_id=target))
    return redirect(url_for("threads.permalink", post_id=post_id))


@bp.post("/threads/<int:thread_id>/follow")
def follow(thread_id: int) -> Response:
    """Follow or stop following a conversation (``follow=1`` or ``follow=0``)."""
    viewer = current_viewer()
    db = get_session()
    thread = access_thread(db, viewer, thread_id)
    wanted = request.form.get("follow", "1") not in ("0", "false", "no", "")
    do_follow_thread(db, actor=viewer, thread=thread, follow=wanted)
    if wanted:
        flash("You are following this conversation. We will let you know about new replies.",
              "success")
    else:
        flash("You have stopped following this conversation.", "success")
    return redirect(url_for("threads.show", thread_id=thread.id))


@bp.post("/posts/<int:post_id>/reactions")
def react(post_id: int) -> Any:
    """Add or take back a peer-support reaction. ``kind`` is the reaction; ``action`` is
    ``add`` or ``remove`` (the page says which, so a double click does not undo itself)."""
    viewer = current_viewer()
    db = get_session()
    post = access_post(db, viewer, post_id)
    kind = request.form.get("kind", "")
    action = request.form.get("action", "add")
    if action not in ("add", "remove"):
        raise Invalid(fields={"action": "Choose whether to add or take back the reaction."})
    if action == "remove":
        counts = do_remove_reaction(db, actor=viewer, post=post, kind=kind)
    else:
        counts = do_add_reaction(db, actor=viewer, post=post, kind=kind)
    if wants_json():
        return jsonify({"post_id": post.id, "counts": counts})
    return redirect_to_post(post)


from forum.threads import compose_views  # noqa: E402,F401  (registers the writing pages)
