from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from forum.boards.actions import do_invite_member
from forum.boards.models import Visibility
from forum.notifications.fanout import mentioned_keys, notify_for_post, notify_member
from forum.notifications.models import Notification, NotificationKind
from forum.threads.actions import do_add_reaction, do_follow_thread
from forum.threads.models import PostState


def _notes(db, user):
    return list(db.scalars(select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.id)))


def _events_for(captured, user):
    return [e for e in captured if e.name == "notification" and e.room == f"user:{user.id}"]


def test_mentioned_keys_skip_code_quotes_and_emails():
    source = ("Thanks @Sam_1 and @alex.\n> @quoted said\n`@code`\n```\n@fenced\n```\n"
              "mail me at me@example.org, @Sam_1 again")
    assert mentioned_keys(source) == ["sami", "aiex"]


def test_reply_notifies_thread_author_with_event(db, make, captured_events):
    board = make.board()
    starter = make.user("starter")
    started = make.thread(board, author=starter, title="Mornings")
    replier = make.user("replier")
    captured_events.clear()
    outcome = make.reply(started.thread, author=replier, body="Same for me.")
    [note] = _notes(db, starter)
    assert note.kind == NotificationKind.REPLY
    assert note.post_id == outcome.post.id and note.actor_id == replier.id
    assert note.text == "replier replied in “Mornings”"
    [evt] = _events_for(captured_events, starter)
    assert evt.payload["id"] == note.id and evt.payload["unread_count"] == 1
    assert evt.payload["url"].endswith(f"/notifications/{note.id}")
    assert evt.payload["kind"] == "reply"
    assert _notes(db, replier) == []


def test_followers_get_replies_but_not_for_their_own(db, make, captured_events):
    board = make.board()
    started = make.thread(board)
    follower = make.user()
    do_follow_thread(db, actor=make.viewer(follower), thread=started.thread, follow=True)
    make.reply(started.thread, author=follower, body="My own reply")
    assert _notes(db, follower) == []
    make.reply(started.thread, body="Someone else")
    assert [n.kind for n in _notes(db, follower)] == [NotificationKind.REPLY]


def test_mention_notifies_once_even_when_following(db, make, captured_events):
    board = make.board()
    starter = make.user("starterm")
    started = make.thread(board, author=starter)
    friend = make.user("friendly")
    captured_events.clear()
    make.reply(started.thread, body="@starterm and @friendly, and @nobody-here")
    assert [n.kind for n in _notes(db, starter)] == [NotificationKind.MENTION]
    [mention] = _notes(db, friend)
    assert mention.kind == NotificationKind.MENTION
    assert "mentioned you" in mention.text
    assert len(_events_for(captured_events, friend)) == 1


def test_mentioning_yourself_notifies_nobody(db, make):
    board = make.board()
    me = make.user("selfish")
    make.thread(board, author=me, body="Note to @selfish")
    assert _notes(db, me) == []


def test_mention_of_someone_who_cannot_read_private_board_creates_nothing(
        db, make, captured_events):
    board = make.board(visibility=Visibility.PRIVATE)
    guide = make.facilitator(board)
    outsider = make.user("outsider")
    captured_events.clear()
    make.thread(board, author=guide, body="Hello @outsider")
    assert _notes(db, outsider) == []
    assert _events_for(captured_events, outsider) == []


def test_private_board_text_has_no_title(db, make):
    board = make.board(visibility=Visibility.PRIVATE)
    guide = make.facilitator(board)
    started = make.thread(board, author=guide, title="My diagnosis")
    member = make.user()
    do_invite_member(db, actor=make.viewer(guide), board=board, user=member)
    make.reply(started.thread, author=member)
    [note] = _notes(db, guide)
    assert "diagnosis" not in note.text
    assert note.text.endswith("replied in a conversation you follow")


def test_held_post_notifies_only_when_published(db, make, captured_events):
    board = make.board(posting_policy="all_held")
    guide = make.facilitator(board, "guidem")
    started = make.thread(board, author=guide)
    outcome = make.reply(started.thread, body="Thanks @guidem")
    assert outcome.post.state == PostState.HELD
    assert _notes(db, guide) == []
    # What moderation does when a facilitator approves the post.
    outcome.post.state = PostState.PUBLISHED
    notify_for_post(db, outcome.post)
    db.commit()
    assert [n.kind for n in _notes(db, guide)] == [NotificationKind.MENTION]
    assert len(_events_for(captured_events, guide)) == 1


def test_reaction_notifies_author_and_gathers(db, make, captured_events):
    board = make.board()
    author = make.user()
    started = make.thread(board, author=author, title="Hard day")
    first, second = make.user("reactor1"), make.user("reactor2")
    captured_events.clear()
    do_add_reaction(db, actor=make.viewer(first), post=started.post, kind="hug")
    [note] = _notes(db, author)
    assert note.kind == NotificationKind.REACTION
    assert note.text == "reactor1 sent “Sending a hug” to your post in “Hard day”"
    assert _events_for(captured_events, author)[0].payload["unread_count"] == 1
    do_add_reaction(db, actor=make.viewer(second), post=started.post, kind="thank_you")
    [note] = _notes(db, author)
    assert note.count == 2
    assert note.text.startswith("reactor2 and 1 other person reacted")
    assert len(_events_for(captured_events, author)) == 2


def test_reacting_to_your_own_post_notifies_nobody(db, make):
    board = make.board()
    author = make.user()
    started = make.thread(board, author=author)
    do_add_reaction(db, actor=make.viewer(author), post=started.post, kind="me_too")
    assert _notes(db, author) == []


def test_notify_member_records_notice_without_actor(db, make, captured_events):
    member = make.user()
    notify_member(db, member.id, "notice", "Your post is now public.", "/posts/1")
    db.commit()
    [note] = _notes(db, member)
    assert note.actor_id is None and note.link == "/posts/1"
    assert _events_for(captured_events, member)[0].payload["text"] == "Your post is now public."


def _statements_during(db, fn):
    engine = db.get_bind().engine
    count = 0

    def _count(*_args):
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", _count)
    try:
        fn()
    finally:
        event.remove(engine, "before_cursor_execute", _count)
    return count


def test_fanout_statement_count_does_not_grow_with_followers(db, make):
    board = make.board()
    few = make.thread(board).thread
    many = make.thread(board).thread
    for thread, n in ((few, 2), (many, 12)):
        for _ in range(n):
            do_follow_thread(db, actor=make.viewer(make.user()), thread=thread, follow=True)
    replier = make.user()
    make.reply(few, author=replier)
    make.reply(many, author=replier)  # warm-up so both replies below start alike
    small = _statements_during(db, lambda: make.reply(few, author=replier))
    large = _statements_during(db, lambda: make.reply(many, author=replier))
    assert small == large
    total = db.scalar(select(func.count(Notification.id)).where(
        Notification.thread_id == many.id))
    assert total == 12 * 2 + 2  # two replies to 12 followers, and the starter twice


def test_notice_links_stay_on_this_site(db, make):
    member = make.user()
    for link in ("https://example.org/", "//example.org/x"):
        with pytest.raises(ValueError):
            notify_member(db, member.id, "notice", "Something", link)
    assert _notes(db, member) == []
