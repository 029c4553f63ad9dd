"""Admin pages: watched words (with a preview before saving), message templates, the
sanction ladder and the audit log."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from forum.auth import current_viewer
from forum.boards.models import Board
from forum.db import get_session
from forum.errors import Invalid, NotFound
from forum.routing import whole_number
from moderation.access import require_admin
from moderation.actions import (
    do_delete_watched_word,
    do_save_ladder,
    do_save_message_template,
    do_save_watched_word,
)
from moderation.actions.members import get_ladder
from moderation.forms import LadderForm, SimpleForm, TemplateForm, WatchedWordForm, apply_errors
from moderation.messages import DEFAULT_TEMPLATES, all_templates, get_template
from moderation.queries import (
    access_watched_word,
    list_audit,
    list_audit_actions,
    list_watched_words,
    parse_audit_filter,
    preview_watched_word,
)
from moderation.views import bp

AUDIT_PER_PAGE = 50


@bp.get("/moderation/admin/watched-words")
def watched_words() -> str:
    viewer = current_viewer()
    return render_template("moderation/watched_words.html",
                           words=list_watched_words(get_session(), viewer), form=SimpleForm())


def _board_choices() -> list[SelectChoice]:
    boards = get_session().scalars(select(Board).order_by(Board.name))
    return [SelectChoice("", "Every board (site-wide)"),
            *(SelectChoice(b.slug, b.name) for b in boards)]


@bp.route("/moderation/admin/watched-words/new", methods=["GET", "POST"],
          defaults={"word_id": None})
@bp.route("/moderation/admin/watched-words/<int:word_id>", methods=["GET", "POST"])
def watched_word(word_id: int | None) -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)
    word = access_watched_word(session, viewer, word_id) if word_id else None
    form = WatchedWordForm(obj=word) if request.method == "GET" and word else WatchedWordForm()
    if request.method == "GET" and word:
        form.board.data = word.board.slug if word.board else ""
        form.action.data = str(word.action)
    form.board.choices = _board_choices()
    preview: list[Any] | None = None
    status = 200
    if request.method == "POST" and form.validate():
        board = session.scalar(select(Board).where(Board.slug == form.board.data)) \
            if form.board.data else None
        try:
            if "preview" in request.form:
                preview = preview_watched_word(
                    session, viewer, pattern=form.pattern.data or "",
                    action=form.action.data or "", board=board,
                    whole_word=bool(form.whole_word.data),
                    replacement=form.replacement.data or "")
            else:
                do_save_watched_word(session, actor=viewer, word=word,
                                     pattern=form.pattern.data or "",
                                     action=form.action.data or "", board=board,
                                     replacement=form.replacement.data or "",
                                     message=form.message.data or "",
                                     whole_word=bool(form.whole_word.data))
                flash("The watched word has been saved.", "success")
                return redirect(url_for("moderation.watched_words"))
        except Invalid as exc:
            apply_errors(form, exc.fields)
            status = 422
    return render_template("moderation/watched_word_form.html", form=form, word=word,
                           preview=preview), status


@bp.post("/moderation/admin/watched-words/<int:word_id>/delete")
def delete_watched_word(word_id: int) -> Response:
    viewer = current_viewer()
    session = get_session()
    word = access_watched_word(session, viewer, word_id)
    if SimpleForm().validate():
        do_delete_watched_word(session, actor=viewer, word=word)
        flash("The watched word has been removed.", "success")
    return redirect(url_for("moderation.watched_words"))


@bp.get("/moderation/admin/templates")
def message_templates() -> str:
    viewer = current_viewer()
    require_admin(viewer)
    return render_template("moderation/templates.html",
                           templates=all_templates(get_session()))


@bp.route("/moderation/admin/templates/<key>", methods=["GET", "POST"])
def message_template(key: str) -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)
    if key not in DEFAULT_TEMPLATES:
        raise NotFound("We could not find that message template.")
    current = get_template(session, key)
    form = TemplateForm(data={"title": current.title, "body": current.body}
                        if request.method == "GET" else None)
    status = 200
    if request.method == "POST" and form.validate():
        try:
            do_save_message_template(session, actor=viewer, key=key,
                                     title=form.title.data or "", body=form.body.data or "")
        except Invalid as exc:
            apply_errors(form, exc.fields)
            status = 422
        else:
            flash("The message template has been saved.", "success")
            return redirect(url_for("moderation.message_templates"))
    return render_template("moderation/template_form.html", form=form, key=key), status


def _parse_ladder(text: str) -> list[tuple[str, int | None]]:
    steps: list[tuple[str, int | None]] = []
    for line in (text or "").splitlines():
        parts = line.lower().split()
        if not parts:
            continue
        days: int | None = None
        if len(parts) > 1 and parts[1] != "permanent":
            days = whole_number(parts[1])
            if days is None:
                raise Invalid(fields={"steps": f"\u201c{line.strip()}\u201d: write a number "
                                               "of days or \u201cpermanent\u201d."})
        steps.append((parts[0], days))
    return steps


@bp.route("/moderation/admin/ladder", methods=["GET", "POST"])
def ladder() -> Response | tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)
    current = get_ladder(session)
    text = "\n".join(f"{s.kind}" + ("" if s.kind == "warning" else
                                    f" {s.days if s.days else 'permanent'}") for s in current)
    form = LadderForm(data={"steps": text} if request.method == "GET" else None)
    status = 200
    if request.method == "POST" and form.validate():
        try:
            do_save_ladder(session, actor=viewer, steps=_parse_ladder(form.steps.data or ""))
        except Invalid as exc:
            apply_errors(form, exc.fields)
            status = 422
        else:
            flash("The ladder has been saved.", "success")
            return redirect(url_for("moderation.ladder"))
    return render_template("moderation/ladder.html", form=form, steps=current), status


@bp.get("/moderation/admin/audit")
def audit_log() -> tuple[str, int]:
    viewer = current_viewer()
    session = get_session()
    require_admin(viewer)
    try:
        filters = parse_audit_filter(request.args)
    except Invalid as exc:
        return render_template("moderation/audit.html", rows=[], total=0, page=1, pages=1,
                               filters=None, errors=exc.fields, args=request.args,
                               actions=list_audit_actions(session), page_has_errors=True), 422
    page = whole_number(request.args.get("page", "1"), maximum=999_999) or 1
    rows, total = list_audit(session, viewer, filters, page, AUDIT_PER_PAGE)
    pages = max(1, -(-total // AUDIT_PER_PAGE))
    return render_template("moderation/audit.html", rows=rows, total=total, page=page,
                           pages=pages, filters=filters, errors={}, args=request.args,
                           actions=list_audit_actions(session)), 200
