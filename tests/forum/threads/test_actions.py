from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.audit.models import AuditEntry
from forum.boards.models import Visibility
from forum.errors import Forbidden, Invalid
from forum.threads.actions import do_delete_post, do_edit_post, do_reply
from forum.threads.models import Post, PostRevision, PostState


def test_reply_publishes_audits_and_emits_after_commit(db, make, captured_events):
    board = make.board()
    started = make.thread(board)
    captured_events.clear()
    outcome = make.reply(started.thread, body="You're not alone in this.")
    assert outcome.post.state == PostState.PUBLISHED
    assert started.thread.reply_count == 1
    assert board.post_count == 2
    names = [(e.name, e.room) for e in captured_events]
    assert ("post.created", f"thread:{started.thread.id}") in names
    created = next(e for e in captured_events if e.name == "post.created")
    assert "<p>You're not alone in this.</p>" in created.payload["html"]
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "post:create",
                                               AuditEntry.subject_id == outcome.post.id))
    assert entry is not None and entry.actor_id == outcome.post.author_id


def test_refused_reply_leaves_no_trace(db, make, captured_events):
    board = make.board(visibility=Visibility.PRIVATE)
    started = make.thread(board, author=make.facilitator(board))
    outsider = make.user()
    captured_events.clear()
    posts_before = db.scalar(select(func.count(Post.id)))
    audits_before = db.scalar(select(func.count(AuditEntry.id)))
    with pytest.raises(Forbidden):
        do_reply(db, actor=make.viewer(outsider), thread=started.thread, body="hello")
    assert db.scalar(select(func.count(Post.id))) == posts_before
    assert db.scalar(select(func.count(AuditEntry.id))) == audits_before
    assert captured_events == []


def test_reply_rejects_empty_and_oversized_bodies(db, make):
    board = make.board()
    started = make.thread(board)
    viewer = make.viewer(make.user())
    with pytest.raises(Invalid) as empty:
        do_reply(db, actor=viewer, thread=started.thread, body="   ")
    assert "body" in empty.value.fields
    with pytest.raises(Invalid) as big:
        do_reply(db, actor=viewer, thread=started.thread, body="x" * 20001)
    assert "20,000" in big.value.fields["body"]
    with pytest.raises(Invalid) as invisible:
        do_reply(db, actor=viewer, thread=started.thread, body="\u200b\ufeff\n\u200b")
    assert invisible.value.fields["body"] == "Enter your message."
    with pytest.raises(Invalid) as entities:
        do_reply(db, actor=viewer, thread=started.thread, body="&#8203;&nbsp; &#x200B;")
    assert entities.value.fields["body"] == "Enter your message."
    # Written about, rather than used, they are words like any other.
    assert make.reply(started.thread, body="I typed &nbsp; by mistake").post.body_html


# A right-to-left override, zero-width characters, a byte order mark, control characters
# and a Hangul filler: each shows nothing at all.
@pytest.mark.parametrize("title", ["\u202e", "\u200b\u200b", "\ufeff", "\x01\x02", "\u3164",
                                   "\u2066\u2069 \u00a0"])
def test_a_title_that_shows_nothing_is_refused(db, make, title):
    board = make.board()
    with pytest.raises(Invalid) as refused:
        make.thread(board, title=title)
    assert refused.value.fields["title"] == "Enter a title for your conversation."
    assert db.scalar(select(func.count(Post.id))) == 0


def test_a_title_keeps_its_words_without_controls_or_direction_overrides(db, make):
    started = make.thread(make.board(), title="\u202egnp.exe\x1b[31m  tips\tfor\nsleep \u2067x")
    assert started.thread.title == "gnp.exe[31m tips for sleep x"
    # Right-to-left writing and emoji joined by zero-width joiners are left as they are.
    other = make.thread(make.board(), title="مرحبا 👨\u200d👩\u200d👧")
    assert other.thread.title == "مرحبا 👨\u200d👩\u200d👧"


def test_edit_keeps_revision_and_marks_edited(db, make, captured_events):
    board = make.board()
    started = make.thread(board)
    author = started.post.author
    captured_events.clear()
    do_edit_post(db, actor=make.viewer(author), post=started.post, body="Edited words",
                 reason="typo")
    assert started.post.edited_at is not None
    revisions = db.scalars(select(PostRevision).where(PostRevision.post_id == started.post.id))
    assert [r.body_source for r in revisions] == ["Has anyone else found mornings the hardest?"]
    assert [e.name for e in captured_events] == ["post.updated"]


def test_only_author_or_facilitator_can_edit(db, make):
    board = make.board()
    started = make.thread(board)
    with pytest.raises(Forbidden):
        do_edit_post(db, actor=make.viewer(make.user()), post=started.post, body="mine now")
    guide = make.facilitator(board)
    do_edit_post(db, actor=make.viewer(guide), post=started.post, body="tidied", reason="pii")
    assert started.post.body_source == "tidied"


def test_delete_leaves_placeholder(db, make, captured_events):
    board = make.board()
    started = make.thread(board)
    reply = make.reply(started.thread)
    do_delete_post(db, actor=make.viewer(reply.post.author), post=reply.post)
    assert reply.post.state == PostState.DELETED
    assert reply.post.body_html == ""
    assert captured_events[-1].name == "post.deleted"


def test_posting_policy_holds_new_members_posts(db, make, captured_events):
    board = make.board(posting_policy="new_members_held", held_first_posts=1)
    started = make.thread(board)
    assert started.post.state == PostState.HELD
    assert started.thread.visible is False
    assert board.thread_count == 0
    assert {e.room for e in captured_events if e.name == "post.held"} == {
        f"staff:{board.slug}", f"user:{started.post.author_id}"}
    assert not any(e.name == "thread.created" for e in captured_events)


def test_a_write_refused_after_flush_rolls_itself_back(db, make, captured_events):
    from forum.threads import hooks

    board = make.board()
    started = make.thread(board)
    posts_before = db.scalar(select(func.count(Post.id)))

    def refuse(_session, _write):
        raise Invalid(fields={"body": "Not like that."})

    hooks.register_post_hook(refuse)
    try:
        captured_events.clear()
        with pytest.raises(Invalid):
            do_reply(db, actor=make.viewer(make.user()), thread=started.thread, body="hello")
    finally:
        hooks._post_hooks.remove(refuse)
    # The action cleaned up after itself: nothing pending, nothing emitted, session usable.
    assert not db.new and not db.dirty
    assert db.scalar(select(func.count(Post.id))) == posts_before
    assert captured_events == []
