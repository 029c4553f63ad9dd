"""Rights taken away while a page is open: the connection must stop hearing what the
member may no longer see at once, not at its next message (``rooms.reset``,
forum/session_sockets.py). The socket hears ``rooms.reset`` and is disconnected; joining
again is checked afresh."""

from __future__ import annotations

from typing import Any

from forum.accounts.models import Role
from forum.boards.actions import (
    do_assign_facilitator,
    do_invite_member,
    do_leave_board,
    do_update_board,
)
from forum.boards.models import PostingPolicy, Visibility
from forum.threads.models import PostState


def names(client: Any) -> list[str]:
    if not client.is_connected():
        # What reached it before the server cut it off (get_received refuses then).
        heard = [m["name"] for m in client.queue]
        client.queue.clear()
        return heard
    return [m["name"] for m in client.get_received()]


def _joined(client: Any, target: dict[str, Any]) -> Any:
    assert client.emit("join", target, callback=True)["ok"] is True
    client.get_received()
    return client


def test_leaving_a_private_board_cuts_the_open_page_off(make, sock, db):
    board = make.board("Carers private", visibility=Visibility.PRIVATE)
    guide = make.facilitator(board)
    member = make.user("leaver")
    do_invite_member(db, actor=make.viewer(guide), board=board, user=member)
    thread = make.thread(board, guide).thread
    open_page = _joined(sock(member), {"thread": thread.id})
    other_tab = _joined(sock(member), {"board": board.slug})
    stayer = _joined(sock(guide), {"thread": thread.id})

    do_leave_board(db, actor=make.viewer(member), board=board)

    for client in (open_page, other_tab):
        assert not client.is_connected()
        assert "rooms.reset" in names(client)
    assert stayer.is_connected()
    make.reply(thread, guide, body="Private words after they left")
    assert "post.created" in names(stayer)
    # Connecting again, the join is checked against the database: refused.
    again = sock(member)
    ack = again.emit("join", {"thread": thread.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "not_found"


def test_leaving_a_public_board_changes_nothing_live(make, sock, db):
    board = make.board("Open board")
    member = make.member_of(board, "stays-reading")
    thread = make.thread(board).thread
    reader = _joined(sock(member), {"thread": thread.id})
    do_leave_board(db, actor=make.viewer(member), board=board)
    assert reader.is_connected() and "rooms.reset" not in names(reader)


def test_a_board_made_private_cuts_off_its_readers(make, sock, db):
    board = make.board("Was public")
    other = make.board("Elsewhere")
    thread = make.thread(board).thread
    elsewhere = make.thread(other).thread
    admin = make.user("boardadmin", role=Role.ADMIN)
    anonymous_thread = _joined(sock(), {"thread": thread.id})
    anonymous_board = _joined(sock(), {"board": board.slug})
    unrelated = _joined(sock(), {"thread": elsewhere.id})

    do_update_board(db, actor=make.viewer(admin), board=board, visibility=Visibility.PRIVATE)

    for client in (anonymous_thread, anonymous_board):
        assert not client.is_connected() and "rooms.reset" in names(client)
    assert unrelated.is_connected() and "rooms.reset" not in names(unrelated)
    ack = sock().emit("join", {"thread": thread.id}, callback=True)
    assert ack["ok"] is False


def test_a_facilitator_stood_down_leaves_the_staff_room_at_once(make, sock, db):
    board = make.board("Watched board", posting_policy=PostingPolicy.ALL_HELD)
    guide = make.facilitator(board, "stooddown")
    thread = make.thread(board, guide).thread
    admin = make.user("boardadmin2", role=Role.ADMIN)
    queue_page = _joined(sock(guide), {"board": board.slug})
    make.reply(thread, body="held while they were a facilitator")
    assert "post.held" in names(queue_page)

    do_assign_facilitator(db, actor=make.viewer(admin), board=board, user=guide, assign=False)

    assert not queue_page.is_connected() and "rooms.reset" in names(queue_page)
    # Back in: still a reader of the public board, no longer in its staff room.
    again = _joined(sock(guide), {"board": board.slug})
    held = make.reply(thread, body="held after they were stood down").post
    assert held.state == PostState.HELD
    assert "post.held" not in names(again)
