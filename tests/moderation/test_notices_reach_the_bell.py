"""Moderation speaks to members through the notification bell too, approving a held post
notifies its followers and @mentions then, and counts stay in step with the thread pages."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.boards.models import Visibility
from forum.errors import Forbidden
from forum.notifications.models import Notification, NotificationKind
from forum.threads.actions import do_follow_thread
from forum.threads.models import PostState
from forum.threads.queries import count_visible_posts
from moderation import actions as A
from moderation.notices import PRIVATE_NOTICE_TEXT
from tests.moderation.mod_scene import build_scene

pytestmark = pytest.mark.usefixtures("fake_checks")


def _notices(db, user_id):
    return list(db.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.kind == NotificationKind.NOTICE)))


def test_hiding_a_post_puts_a_notice_in_the_authors_bell(db, make, captured_events):
    s = build_scene(db, make)
    A.do_hide_post(db, actor=make.viewer(s.guide), post=s.post, reason="Unkind to others")
    [bell] = _notices(db, s.author.id)
    assert bell.text == "We have hidden one of your posts"
    assert bell.link.startswith("/my/notices#notice-")
    assert bell.post_id == s.post.id and bell.actor_id is None
    assert "Unkind" not in bell.text and "upset" not in bell.text
    sent = [e for e in captured_events if e.name == "notification"]
    assert [(e.room, e.payload["kind"]) for e in sent] == [(f"user:{s.author.id}", "notice")]
    assert _notices(db, s.member.id) == []  # the reporter hears nothing about the author


def test_a_notice_about_a_private_board_does_not_name_it(db, make):
    s = build_scene(db, make, reported=False)
    s.board.visibility = Visibility.PRIVATE  # after the scene: the author could not post there
    db.commit()
    A.do_mute_member(db, actor=make.viewer(s.guide), user=s.author, board=s.board, days=3,
                     reason="Be kind")
    A.do_hide_post(db, actor=make.viewer(s.guide), post=s.post, reason="Unkind")
    texts = [n.text for n in _notices(db, s.author.id)]
    assert texts == [PRIVATE_NOTICE_TEXT, PRIVATE_NOTICE_TEXT]
    assert all(s.board.name not in t for t in texts)


def test_a_notice_about_a_public_board_uses_its_title(db, make):
    s = build_scene(db, make, reported=False)
    A.do_mute_member(db, actor=make.viewer(s.guide), user=s.author, board=s.board, days=3,
                     reason="Be kind")
    [bell] = _notices(db, s.author.id)
    assert bell.text == f"You cannot post on {s.board.name} for a while"


def test_refused_hide_leaves_no_notification(db, make):
    s = build_scene(db, make)
    with pytest.raises(Forbidden):
        A.do_hide_post(db, actor=make.viewer(s.other_guide), post=s.post, reason="No")
    db.rollback()
    assert _notices(db, s.author.id) == []


def test_approving_a_held_reply_notifies_followers_and_mentions(db, make, captured_events):
    s = build_scene(db, make, reported=False)
    s.board.posting_policy = "all_held"
    db.commit()
    follower = make.user("follower")
    do_follow_thread(db, actor=make.viewer(follower), thread=s.thread, follow=True)
    friend = make.user("friend")
    held = make.reply(s.thread, body="Thank you @friend for the idea.").post
    assert held.state == PostState.HELD
    everyone = {follower.id, friend.id, s.author.id}
    assert db.scalars(select(Notification.user_id).where(
        Notification.user_id.in_(everyone), Notification.post_id == held.id)).all() == []

    captured_events.clear()
    A.do_approve_post(db, actor=make.viewer(s.guide), post=held)
    got = {(n.user_id, str(n.kind)) for n in db.scalars(
        select(Notification).where(Notification.post_id == held.id))}
    assert (follower.id, "reply") in got and (friend.id, "mention") in got
    assert (s.author.id, "reply") in got  # the thread's starter follows it
    rooms = {e.room for e in captured_events if e.name == "notification"}
    assert {f"user:{follower.id}", f"user:{friend.id}"} <= rooms


def test_hide_and_restore_keep_counts_in_step_with_the_pages(db, make):
    s = build_scene(db, make, reported=False)
    reply = make.reply(s.thread, body="A reply that goes too far.").post
    db.refresh(s.thread)
    db.refresh(s.board)
    counts = (s.thread.reply_count, s.board.post_count)
    assert counts == (1, 2)
    reader = make.viewer(make.user())

    A.do_hide_post(db, actor=make.viewer(s.guide), post=reply, reason="Too far")
    assert (s.thread.reply_count, s.board.post_count) == counts
    assert count_visible_posts(db, reader, s.thread, placeholders=True) == 1 + s.thread.reply_count

    A.do_restore_post(db, actor=make.viewer(s.guide), post=reply)
    assert reply.state == PostState.PUBLISHED
    assert (s.thread.reply_count, s.board.post_count) == counts


def test_restoring_a_declined_post_counts_it_once(db, make):
    s = build_scene(db, make, reported=False)
    s.board.posting_policy = "all_held"
    db.commit()
    held = make.reply(s.thread, body="Held reply.").post
    A.do_reject_post(db, actor=make.viewer(s.guide), post=held, reason="Not this time")
    assert s.thread.reply_count == 0
    A.do_restore_post(db, actor=make.viewer(s.guide), post=held)
    assert held.state == PostState.PUBLISHED and s.thread.reply_count == 1
