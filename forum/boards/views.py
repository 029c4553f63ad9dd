"""Board pages for members: the list of boards, one board's conversations, joining,
leaving, and (for a board's facilitators) inviting members to a private board.

Admin pages for creating and changing boards are in :mod:`forum.boards.admin_views`,
registered on the same blueprint. Views parse input, call one query or action, render.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from forum.auth import current_viewer
from forum.boards.actions import (
    INVITE_DOING,
    INVITE_REFUSED,
    do_invite_member,
    do_join_board,
    do_leave_board,
)
from forum.boards.forms import InviteForm
from forum.boards.models import SUPPORT_MODEL_FIELDS
from forum.boards.queries import find_user_by_username, list_board_facilitators, list_boards
from forum.change_clock import MISSING
from forum.change_feed import fresh_answers
from forum.db import get_session
from forum.errors import NotFound
from forum.page_cache import capture_page, html_response, split_page
from forum.permissions import (
    Viewer,
    access_board,
    can_join_board,
    can_post_in_board,
    require_acts_for,
    require_user,
)
from forum.threads.forms import apply_errors
from forum.threads.queries import list_board_threads
from forum.threads.views import may_keep_page, page_number

bp = Blueprint("boards", __name__)


@bp.get("/")
def index() -> str:
    """Every board the viewer may see: theirs first, then the others."""
    viewer = current_viewer()
    summaries = list_boards(get_session(), viewer)
    mine = [s for s in summaries if s.is_member]
    others = [s for s in summaries if not s.is_member]
    return render_template("boards/index.html", mine=mine, others=others, viewer=viewer)


# Kept board pages per process: one per page for readers not signed in, one per member.
# A page is some 20-30 KB, so this bounds them to a few megabytes.
KEPT_BOARD_PAGES = 256


@bp.get("/boards/<slug>")
def show(slug: str) -> str | Response:
    """A board's conversations, pinned first then newest activity, with unread marks.

    The page is kept whole for a moment while nothing is written anywhere
    (forum/change_clock.py), for the same reader with the same rights; the nonce, CSRF
    token and notification count are filled in for each request (forum/page_cache.py).
    """
    kept = fresh_answers(current_app._get_current_object(), "board-pages",  # type: ignore[attr-defined]
                         KEPT_BOARD_PAGES)
    keep = kept.enabled and may_keep_page()
    # Taken before anything is read, the reader's own row included.
    mark = kept.mark() if keep else None
    viewer = current_viewer()
    key = ("board-page", request.script_root, request.full_path, _rights(viewer))
    if keep:
        found = kept.get(key)
        if found is not MISSING:
            return html_response(found.fill())
    if mark is None:
        return _render_board(viewer, slug)
    with capture_page() as capture:
        html = _render_board(viewer, slug)
    page = split_page(html)
    kept.put(key, mark, page)
    return html_response(page.fill(capture.values))


def _rights(viewer: Viewer) -> tuple[object, ...]:
    """Everything about the reader a board page can depend on."""
    user = viewer.user
    if user is None:
        return (None,)
    return (user.id, user.role, user.status, frozenset(viewer.member_board_ids),
            frozenset(viewer.facilitated_board_ids))


def _render_board(viewer: Viewer, slug: str) -> str:
    db = get_session()
    board = access_board(db, viewer, slug)
    page = page_number()
    per_page = max(1, int(current_app.config.get("THREADS_PER_PAGE", 30)))
    rows, total = list_board_threads(db, viewer, board, page, per_page, shown=True)
    pages = max(1, -(-total // per_page))
    if page > pages:
        raise NotFound(f"This board has {pages} page{'s' if pages != 1 else ''} "
                       "of conversations.")
    support_model = [(label, board.support_model.get(key))
                     for key, label in SUPPORT_MODEL_FIELDS.items()
                     if (board.support_model or {}).get(key)]
    return render_template(
        "boards/show.html", board=board, rows=rows, page=page, pages=pages, total=total,
        viewer=viewer, is_member=viewer.is_member_of(board.id),
        can_join=can_join_board(viewer, board), can_post=can_post_in_board(viewer, board),
        facilitates=viewer.facilitates(board.id), can_invite=viewer.acts_for(board.id),
        facilitators=list_board_facilitators(db, board), support_model=support_model,
    )


@bp.post("/boards/<slug>/join")
def join(slug: str) -> Response:
    """Join a public or members-only board."""
    viewer = current_viewer()
    db = get_session()
    board = access_board(db, viewer, slug)
    do_join_board(db, actor=viewer, board=board)
    flash(f"You have joined {board.name}.", "success")
    return redirect(url_for("boards.show", slug=board.slug))


@bp.post("/boards/<slug>/leave")
def leave(slug: str) -> Response:
    """Leave a board. Conversations already written stay."""
    viewer = current_viewer()
    db = get_session()
    board = access_board(db, viewer, slug)
    do_leave_board(db, actor=viewer, board=board)
    flash(f"You have left {board.name}. You can join again at any time.", "success")
    # A private board is no longer visible once left, so go back to the list.
    if board.visibility == "private" and not viewer.facilitates(board.id):
        return redirect(url_for("boards.index"))
    return redirect(url_for("boards.show", slug=board.slug))


@bp.route("/boards/<slug>/invite", methods=["GET", "POST"])
def invite(slug: str) -> str | Response | tuple[str, int]:
    """A board's facilitators add a member by username (how private boards are joined)."""
    viewer = current_viewer()
    db = get_session()
    board = access_board(db, viewer, slug)
    require_user(viewer)
    # Before the form: a lapsed facilitator is told to renew, not shown a form to fill in.
    require_acts_for(viewer, board.id, refused=INVITE_REFUSED, doing=INVITE_DOING)
    form = InviteForm()
    if request.method == "POST":
        if form.validate():
            user = find_user_by_username(db, form.username.data or "")
            if user is None:
                apply_errors(form, {"username": "We could not find a member with that "
                                                "username. Check the spelling."})
            else:
                do_invite_member(db, actor=viewer, board=board, user=user)
                flash(f"{user.username} can now see and post on {board.name}.", "success")
                return redirect(url_for("boards.invite", slug=board.slug))
        return render_template("boards/invite.html", board=board, form=form), 422
    return render_template("boards/invite.html", board=board, form=form)


from forum.boards import admin_views  # noqa: E402,F401  (registers the admin pages)
