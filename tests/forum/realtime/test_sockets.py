"""The Socket.IO protocol through Flask-SocketIO's test client: who may join which room,
what each room hears, catch-up after a reconnect, typing, presence and bad input."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

import forum.sockets
from forum.accounts.models import UserStatus
from forum.boards.actions import do_invite_member
from forum.boards.models import PostingPolicy, Visibility
from forum.extensions import socketio
from forum.threads.actions import do_delete_post, do_edit_post
from forum.threads.models import Post, PostState


def events(client: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(msg["name"], msg["args"][0]) for msg in client.get_received()]


def named(client: Any, name: str) -> list[dict[str, Any]]:
    return [payload for event, payload in events(client) if event == name]


def test_anonymous_reader_joins_public_thread_and_hears_a_reply(make, sock):
    board = make.board("Living with COPD")
    thread = make.thread(board).thread
    reader = sock()
    ack = reader.emit("join", {"thread": thread.id}, callback=True)
    assert ack["ok"] is True and ack["room"] == f"thread:{thread.id}"
    reader.get_received()

    reply = make.reply(thread, body="I use a **fan** too.").post

    created = named(reader, "post.created")
    assert len(created) == 1
    assert created[0]["post_id"] == reply.id and created[0]["thread_id"] == thread.id
    assert created[0]["html"] == reply.body_html and "<strong>fan</strong>" in created[0]["html"]
    assert created[0]["author"] == reply.author.username


def test_edits_deletions_and_reactions_reach_the_thread_room(make, sock, db):
    board = make.board()
    thread = make.thread(board).thread
    author = make.user()
    post = make.reply(thread, author).post
    reader = sock()
    reader.emit("join", {"thread": thread.id}, callback=True)
    reader.get_received()

    do_edit_post(db, actor=make.viewer(author), post=post, body="Edited words")
    from forum.threads.actions import do_add_reaction
    do_add_reaction(db, actor=make.viewer(make.user()), post=post, kind="hug")
    do_delete_post(db, actor=make.viewer(author), post=post)

    names = [name for name, _payload in events(reader) if name != "presence"]
    assert names == ["post.updated", "reaction.changed", "post.deleted"]


def test_outsider_cannot_join_private_board_and_hears_nothing_from_it(make, sock, db):
    board = make.board("Carers private", visibility=Visibility.PRIVATE)
    guide = make.facilitator(board)
    member = make.user()
    do_invite_member(db, actor=make.viewer(guide), board=board, user=member)
    thread = make.thread(board, member).thread
    outsider = make.user()
    snoop = sock(outsider)
    anonymous = sock()
    insider = sock(member)

    for client in (snoop, anonymous):
        ack = client.emit("join", {"thread": thread.id}, callback=True)
        assert ack == {"ok": False, "error": {"code": "not_found",
                                              "message": "We could not find that conversation."}}
        ack = client.emit("join", {"board": board.slug}, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "not_found"
    assert insider.emit("join", {"thread": thread.id}, callback=True)["ok"] is True
    assert insider.emit("join", {"board": board.slug}, callback=True)["ok"] is True
    for client in (snoop, anonymous, insider):
        client.get_received()

    make.reply(thread, member, body="Private words")
    make.thread(board, member, title="Another private one")

    assert events(snoop) == [] and events(anonymous) == []
    assert [name for name, _ in events(insider)] == [
        "post.created", "thread.updated", "thread.created"]


def test_members_only_board_refuses_anonymous_with_unauthorised(make, sock):
    board = make.board(visibility=Visibility.MEMBERS)
    thread = make.thread(board).thread
    ack = sock().emit("join", {"thread": thread.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "unauthorised"
    assert sock(make.user()).emit("join", {"thread": thread.id}, callback=True)["ok"] is True


def test_held_post_reaches_staff_and_its_author_only(make, sock):
    board = make.board(posting_policy=PostingPolicy.ALL_HELD)
    guide = make.facilitator(board)
    thread = make.thread(board, guide).thread  # staff posts are published at once
    author = make.user()
    staff = sock(guide)
    reader = sock(make.user())
    writer = sock(author)
    for client in (staff, reader, writer):
        assert client.emit("join", {"thread": thread.id}, callback=True)["ok"] is True
        client.get_received()

    held = make.reply(thread, author, body="Please check me first").post

    assert held.state == PostState.HELD
    staff_held = named(staff, "post.held")
    assert [p["post_id"] for p in staff_held] == [held.id]
    assert [p["post_id"] for p in named(writer, "post.held")] == [held.id]
    reader_events = events(reader)
    assert all(p.get("post_id") != held.id for _n, p in reader_events)
    assert "post.held" not in [n for n, _ in reader_events]


def test_staff_room_is_joined_through_the_board_room_too_and_left_with_it(make, sock):
    board = make.board(posting_policy=PostingPolicy.ALL_HELD)
    guide = make.facilitator(board)
    thread = make.thread(board, guide).thread
    staff = sock(guide)
    assert staff.emit("join", {"board": board.slug}, callback=True)["ok"] is True
    make.reply(thread, body="first")
    assert len(named(staff, "post.held")) == 1
    assert staff.emit("leave", {"board": board.slug}, callback=True)["ok"] is True
    make.reply(thread, body="second")
    assert named(staff, "post.held") == []


def test_catch_up_sends_exactly_the_missed_posts_in_order(make, sock, db):
    board = make.board(posting_policy=PostingPolicy.NEW_MEMBERS_HELD, held_first_posts=1)
    guide = make.facilitator(board)
    thread = make.thread(board, guide).thread
    regular = make.user()
    first = make.reply(thread, regular, body="held, first post").post
    assert first.state == PostState.HELD
    first.state = PostState.PUBLISHED  # approved (the moderation branch owns the action)
    db.commit()
    seen = make.reply(thread, regular, body="seen before the tunnel").post
    missed = [make.reply(thread, regular, body=f"missed {n}").post for n in range(3)]
    newcomer_held = make.reply(thread, make.user(), body="waiting for a facilitator").post
    assert newcomer_held.state == PostState.HELD

    reader = sock(make.user())
    ack = reader.emit("join", {"thread": thread.id, "after": seen.id}, callback=True)

    created = named(reader, "post.created")
    assert [p["post_id"] for p in created] == [p.id for p in missed]
    assert ack["ok"] is True and ack["caught_up"] == 3 and ack["more"] is False
    staff = sock(guide)
    staff.emit("join", {"thread": thread.id, "after": seen.id}, callback=True)
    assert [p["post_id"] for p in named(staff, "post.created")] == [
        *[p.id for p in missed], newcomer_held.id]


def test_typing_reaches_others_not_the_sender_and_is_throttled(make, sock):
    board = make.board()
    thread = make.thread(board).thread
    alice, bob = sock(make.user()), sock(make.user())
    anonymous = sock()
    for client in (alice, bob, anonymous):
        client.emit("join", {"thread": thread.id}, callback=True)
        client.get_received()

    assert alice.emit("typing", {"thread": thread.id}, callback=True) == {"ok": True,
                                                                          "sent": True}
    assert alice.emit("typing", {"thread": thread.id}, callback=True) == {"ok": True,
                                                                          "sent": False}

    assert named(bob, "typing") == [{"thread_id": thread.id}]
    assert named(anonymous, "typing") == [{"thread_id": thread.id}]
    assert named(alice, "typing") == []
    refused = anonymous.emit("typing", {"thread": thread.id}, callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "unauthorised"
    assert named(bob, "typing") == []


def test_typing_needs_the_room_joined(make, sock):
    thread = make.thread(make.board()).thread
    client = sock(make.user())
    ack = client.emit("typing", {"thread": thread.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "invalid"


def test_presence_counts_connections_in_the_thread_room(make, sock):
    thread = make.thread(make.board()).thread
    first, second = sock(), sock(make.user())
    assert first.emit("join", {"thread": thread.id}, callback=True)["presence"] == 1
    assert second.emit("join", {"thread": thread.id}, callback=True)["presence"] == 2
    assert named(first, "presence")[-1] == {"thread_id": thread.id, "count": 2}
    second.disconnect()
    assert named(first, "presence") == [{"thread_id": thread.id, "count": 1}]


def test_token_authenticates_and_a_bad_token_is_refused(make, sock, token_for, db):
    board = make.board(visibility=Visibility.PRIVATE)
    guide = make.facilitator(board)
    member = make.user()
    do_invite_member(db, actor=make.viewer(guide), board=board, user=member)
    thread = make.thread(board, member).thread
    client = sock(auth={"token": token_for(member)})
    assert client.is_connected()
    assert client.emit("join", {"thread": thread.id}, callback=True)["ok"] is True
    client.get_received()
    make.thread(make.board(), guide)  # unrelated; nothing should arrive
    reply = make.reply(thread, guide, body="Welcome").post
    assert [p["post_id"] for p in named(client, "post.created")] == [reply.id]

    assert not sock(auth={"token": "alo_not-a-real-token"}).is_connected()
    assert not sock(auth={"token": 12345}).is_connected()
    # A token not sent as {"token": …} is refused too, not taken for no token at all
    # (the client would think it was signed in).
    for malformed in (token_for(member), [token_for(member)], {"tokn": token_for(member)}):
        assert not sock(auth=malformed).is_connected(), malformed
    assert sock(auth={}).is_connected()


def test_suspension_ends_the_live_connection_at_its_next_event(make, sock, db):
    thread = make.thread(make.board()).thread
    user = make.user()
    client = sock(user)
    assert client.emit("join", {"thread": thread.id}, callback=True)["ok"] is True
    user.status = UserStatus.SUSPENDED
    db.commit()
    ack = client.emit("join", {"thread": thread.id}, callback=True)
    assert ack["ok"] is False and ack["error"]["code"] == "unauthorised"
    assert not client.is_connected()


def test_user_room_is_joined_for_signed_in_connections(make, sock, app):
    from forum.extensions import socketio

    user = make.user()
    client = sock(user)
    socketio.emit("notification", {"id": 1}, to=f"user:{user.id}")
    assert named(client, "notification") == [{"id": 1}]
    anonymous = sock()
    socketio.emit("notification", {"id": 2}, to=f"user:{user.id}")
    assert named(anonymous, "notification") == []


def test_board_room_hears_new_threads_and_ack_carries_unread_count(make, sock, db):
    board = make.board()
    member = make.member_of(board)
    make.thread(board)
    client = sock(member)
    ack = client.emit("join", {"board": board.slug}, callback=True)
    assert ack == {"ok": True, "room": f"board:{board.slug}", "board": board.slug,
                   "unread_threads": 1}
    client.get_received()
    created = make.thread(board, title="Good days").thread
    payloads = named(client, "thread.created")
    assert [(p["thread_id"], p["title"]) for p in payloads] == [(created.id, "Good days")]


BAD_PAYLOADS = [
    "42",
    None,
    [1],
    {},
    {"thread": "42"},
    {"thread": True},
    {"thread": -1},
    {"thread": 2**60},
    {"thread": 1, "board": "x"},
    {"board": "../etc"},
    {"board": "x" * 200},
    {"board": "carers", "after": 3},
    {"thread": 1, "after": "3"},
    {"thread": 1, "colour": "red"},
]


def test_bad_payloads_get_error_acknowledgements(make, sock):
    client = sock()
    for n, payload in enumerate(BAD_PAYLOADS):
        if n % 10 == 9:
            client = sock()  # stay under the flood limit, which has its own test
        ack = client.emit("join", payload, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "invalid", payload
        assert isinstance(ack["error"]["message"], str) and ack["error"]["message"]
        assert client.is_connected()
    client = sock()
    assert client.emit("shout", {"a": 1}, callback=True)["error"]["code"] == "unknown_event"
    assert client.emit("typing", "42", callback=True)["error"]["code"] == "invalid"
    ack = client.emit("join", {"thread": 99_999}, callback=True)
    assert ack["error"]["code"] == "not_found"


def test_connect_and_disconnect_sent_as_messages_are_refused(make, sock):
    """They are the server's own events; a client sending them must not start its
    connection afresh (a new message allowance) nor be forgotten while still in its rooms."""
    thread = make.thread(make.board()).thread
    client = sock()
    assert client.emit("join", {"thread": thread.id}, callback=True)["ok"]
    for name in ("connect", "disconnect"):
        ack = client.emit(name, {"a": 1}, {"token": "alo_x"}, callback=True)
        assert ack["ok"] is False and ack["error"]["code"] == "unknown_event"
        assert client.is_connected()
    # Still the same connection, in its room.
    assert client.emit("leave", {"thread": thread.id}, callback=True)["ok"] is True
    # And the messages count against its allowance like any other.
    for _ in range(30):
        if not client.is_connected():
            break
        client.emit("connect", {"a": 1}, callback=True)
    assert not client.is_connected()


def test_a_flooding_client_is_disconnected(make, sock):
    client = sock()
    for _ in range(30):
        if not client.is_connected():
            break
        client.emit("join", {"board": "nowhere"}, callback=True)
    assert not client.is_connected()


def test_sockets_never_write(make, sock, db):
    thread = make.thread(make.board()).thread
    before = db.scalar(select(Post.id).order_by(Post.id.desc()).limit(1))
    client = sock(make.user())
    client.emit("join", {"thread": thread.id, "after": 0}, callback=True)
    client.emit("typing", {"thread": thread.id}, callback=True)
    db.expire_all()
    assert db.scalar(select(Post.id).order_by(Post.id.desc()).limit(1)) == before


def test_presence_is_coalesced_to_one_count_per_interval(app, make, sock, monkeypatch):
    monkeypatch.setitem(app.config, "PRESENCE_INTERVAL_SECONDS", 0.3)
    thread = make.thread(make.board()).thread
    watcher = sock()
    watcher.emit("join", {"thread": thread.id}, callback=True)
    others = [sock(make.user()) for _ in range(4)]
    for other in others:
        assert other.emit("join", {"thread": thread.id}, callback=True)["ok"] is True
    # Joins inside the interval are not announced one by one...
    counts = [p["count"] for p in named(watcher, "presence")]
    assert len(counts) <= 1
    # ...but the latest count follows once the interval has passed.
    socketio.sleep(0.6)
    later = [p["count"] for p in named(watcher, "presence")]
    assert later[-1] == 5
    forum.sockets._presence_next_at.clear()  # ids are reused after rollback: start clean
