"""Admin pages for boards: list, create, change, archive or restore, and facilitators.

Registered on the ``boards`` blueprint by :mod:`forum.boards.views`. Only administrators
may use them (403 for everyone else who is signed in, 401 for people who are not).
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from forum.auth import current_viewer
from forum.boards.actions import (
    do_archive_board,
    do_assign_facilitator,
    do_create_board,
    do_update_board,
)
from forum.boards.forms import SUPPORT_PREFIX, BoardForm, FacilitatorForm
from forum.boards.models import SUPPORT_MODEL_FIELDS, Board
from forum.boards.queries import find_user_by_username, list_board_facilitators, list_boards
from forum.boards.views import bp
from forum.db import get_session
from forum.errors import Forbidden, Invalid, NotFound
from forum.permissions import Viewer, access_board, can_manage_boards, require_user
from forum.threads.forms import apply_errors


def _admin() -> Viewer:
    viewer = current_viewer()
    require_user(viewer)
    if not can_manage_boards(viewer):
        raise Forbidden("Only administrators can manage boards.")
    return viewer


def _fill(form: BoardForm, board: Board) -> None:
    form.name.data = board.name
    form.slug.data = board.slug
    form.description.data = board.description
    form.condition.data = board.condition
    form.guidelines.data = board.guidelines
    form.visibility.data = str(board.visibility)
    form.posting_policy.data = str(board.posting_policy)
    form.held_first_posts.data = str(board.held_first_posts)
    form.risk_policy.data = str(board.risk_policy)
    form.report_hide_threshold.data = str(board.report_hide_threshold)
    form.position.data = str(board.position)
    for key in SUPPORT_MODEL_FIELDS:
        form[SUPPORT_PREFIX + key].data = (board.support_model or {}).get(key, "")


def _show_errors(form: BoardForm, exc: Invalid) -> None:
    fields = dict(exc.fields or {"name": exc.message})
    # The support-model message is about the group of boxes, so it goes in the summary.
    apply_errors(form, fields)


@bp.get("/admin/boards")
def admin_list() -> str:
    """Every board, archived ones last, with links to change them."""
    viewer = _admin()
    summaries = list_boards(get_session(), viewer, include_archived=True)
    return render_template("boards/admin_list.html", boards=[s.board for s in summaries])


@bp.route("/admin/boards/new", methods=["GET", "POST"])
def admin_new() -> str | Response | tuple[str, int]:
    viewer = _admin()
    form = BoardForm()
    if request.method == "POST":
        if form.validate():
            try:
                board = do_create_board(get_session(), actor=viewer,
                                        slug=(form.slug.data or "").strip(),
                                        **form.board_fields())
            except Invalid as exc:
                _show_errors(form, exc)
            else:
                flash(f"The board {board.name} has been created.", "success")
                return redirect(url_for("boards.show", slug=board.slug))
        return render_template("boards/admin_form.html", form=form, board=None), 422
    return render_template("boards/admin_form.html", form=form, board=None)


@bp.route("/admin/boards/<slug>/edit", methods=["GET", "POST"])
def admin_edit(slug: str) -> str | Response | tuple[str, int]:
    viewer = _admin()
    db = get_session()
    board = access_board(db, viewer, slug)
    form = BoardForm()
    if request.method == "GET":
        _fill(form, board)
        return render_template("boards/admin_form.html", form=form, board=board)
    form.slug.data = board.slug
    if form.validate():
        try:
            do_update_board(db, actor=viewer, board=board, **form.board_fields())
        except Invalid as exc:
            _show_errors(form, exc)
        else:
            flash(f"Your changes to {board.name} have been saved.", "success")
            return redirect(url_for("boards.admin_list"))
    return render_template("boards/admin_form.html", form=form, board=board), 422


@bp.post("/admin/boards/<slug>/archive")
def admin_archive(slug: str) -> Response:
    """Archive (``archived=1``: read-only, out of the list) or restore (``archived=0``)."""
    viewer = _admin()
    db = get_session()
    board = access_board(db, viewer, slug)
    archived = request.form.get("archived", "1") == "1"
    do_archive_board(db, actor=viewer, board=board, archived=archived)
    flash(f"{board.name} has been archived. Its conversations can still be read."
          if archived else f"{board.name} has been restored.", "success")
    return redirect(url_for("boards.admin_list"))


@bp.route("/admin/boards/<slug>/facilitators", methods=["GET", "POST"])
def admin_facilitators(slug: str) -> str | Response | tuple[str, int]:
    """Assign a facilitator by username, or remove one (``remove=<user id>``)."""
    viewer = _admin()
    db = get_session()
    board = access_board(db, viewer, slug)
    form = FacilitatorForm()
    status = 200
    if request.method == "POST":
        remove = request.form.get("remove")
        if remove is not None:
            user = next((u for u in list_board_facilitators(db, board)
                         if str(u.id) == remove), None)
            if user is None:
                raise NotFound("That person is not a facilitator of this board.")
            do_assign_facilitator(db, actor=viewer, board=board, user=user, assign=False)
            flash(f"{user.username} is no longer a facilitator of {board.name}.", "success")
            return redirect(url_for("boards.admin_facilitators", slug=board.slug))
        if form.validate():
            user = find_user_by_username(db, form.username.data or "")
            if user is None:
                apply_errors(form, {"username": "We could not find a member with that "
                                                "username. Check the spelling."})
            else:
                do_assign_facilitator(db, actor=viewer, board=board, user=user)
                flash(f"{user.username} is now a facilitator of {board.name}.", "success")
                return redirect(url_for("boards.admin_facilitators", slug=board.slug))
        status = 422
    return render_template("boards/admin_facilitators.html", board=board, form=form,
                           facilitators=list_board_facilitators(db, board)), status
