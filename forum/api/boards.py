"""API routes for boards: listing, reading, joining and leaving, and their threads."""

from __future__ import annotations

from flask import current_app

from forum.api.blueprint import api
from forum.api.registry import Result
from forum.api.schemas import (
    BoardList,
    BoardOut,
    NewThread,
    PageQuery,
    ThreadCreated,
    ThreadList,
)
from forum.api.writes import written
from forum.auth import current_viewer
from forum.boards.actions import do_join_board, do_leave_board
from forum.boards.queries import list_boards
from forum.boards.serialize import board_json
from forum.db import get_session
from forum.permissions import access_board
from forum.threads.actions import do_create_thread
from forum.threads.queries import list_board_threads
from forum.threads.serialize import thread_json, thread_url


@api.route("/boards", methods=["GET"], responses={200: BoardList}, tags=["boards"])
def boards() -> Result:
    """The boards you can see, in the order the service lists them.

    Private boards appear only to their members. `unread_threads` is set for boards you
    have joined.
    """
    viewer = current_viewer()
    rows = list_boards(get_session(), viewer)
    return {"items": [
        board_json(row.board, is_member=row.is_member,
                   unread_threads=row.unread_threads if row.is_member else None)
        for row in rows]}


@api.route("/boards/<slug>", methods=["GET"], responses={200: BoardOut}, tags=["boards"])
def board(slug: str) -> Result:
    """One board, with its guidelines and support model."""
    viewer = current_viewer()
    found = access_board(get_session(), viewer, slug)
    return board_json(found, is_member=viewer.is_member_of(found.id))


@api.route("/boards/<slug>/join", methods=["POST"], responses={200: BoardOut}, auth=True,
           tags=["boards"])
def join_board(slug: str) -> Result:
    """Join a board. Joining twice is harmless. Private boards are by invitation only."""
    viewer = current_viewer()
    session = get_session()
    found = access_board(session, viewer, slug)
    do_join_board(session, actor=viewer, board=found)
    return board_json(found, is_member=True)


@api.route("/boards/<slug>/join", methods=["DELETE"], responses={200: BoardOut}, auth=True,
           tags=["boards"])
def leave_board(slug: str) -> Result:
    """Leave a board. Your posts stay."""
    viewer = current_viewer()
    session = get_session()
    found = access_board(session, viewer, slug)
    do_leave_board(session, actor=viewer, board=found)
    return board_json(found, is_member=False)


@api.route("/boards/<slug>/threads", methods=["GET"], query=PageQuery,
           responses={200: ThreadList}, tags=["threads"])
def board_threads(slug: str, query: PageQuery) -> Result:
    """Conversations on a board: pinned first, then the most recently active."""
    viewer = current_viewer()
    session = get_session()
    found = access_board(session, viewer, slug)
    per_page = current_app.config["THREADS_PER_PAGE"]
    rows, total = list_board_threads(session, viewer, found, query.page, per_page)
    items = [{**thread_json(row.thread),
              "unread": row.unread if viewer.is_authenticated else None} for row in rows]
    return {"items": items, "page": query.page, "pages": max(1, -(-total // per_page)),
            "total": total, "per_page": per_page}


@api.route("/boards/<slug>/threads", methods=["POST"], body=NewThread,
           responses={201: ThreadCreated, 202: ThreadCreated}, auth=True, tags=["threads"])
def create_thread(slug: str, body: NewThread) -> Result:
    """Start a conversation. 201 when it is published; 202 when it waits for a facilitator.

    A held conversation is visible only to you and the board's facilitators until it is
    approved.
    """
    viewer = current_viewer()
    session = get_session()
    found = access_board(session, viewer, slug)
    outcome = do_create_thread(session, actor=viewer, board=found, title=body.title,
                               body=body.body, confirmed=body.confirm,
                               max_length=current_app.config["MAX_POST_LENGTH"])
    data = {**written(outcome), "thread": thread_json(outcome.thread)}
    return data, 202 if outcome.held else 201, {"Location": thread_url(outcome.thread)}
