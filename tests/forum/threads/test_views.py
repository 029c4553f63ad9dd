from __future__ import annotations

import difflib
import re

import pytest
from sqlalchemy import event, func, select

from forum.audit.models import AuditEntry
from forum.boards.models import Visibility
from forum.threads.actions import do_add_reaction, do_edit_post
from forum.threads.models import (
    Post,
    PostRevision,
    PostState,
    Reaction,
    ReadMarker,
    Thread,
    ThreadFollow,
)


def test_thread_page_shows_posts_to_anyone_on_a_public_board(client, make):
    board = make.board("Living with COPD")
    started = make.thread(board, title="Breathing on cold days", body="Any tips for the cold?")
    make.reply(started.thread, body="A scarf over my mouth helps.")
    page = client.get(f"/threads/{started.thread.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Breathing on cold days" in html
    assert "A scarf over my mouth helps." in html
    assert f'id="post-{started.post.id}"' in html
    assert "Sign in" in html  # to reply


def test_start_thread_publishes_and_redirects_to_post(client, login, make, db):
    board = make.board()
    member = make.user()
    login(member)
    form = client.get(f"/boards/{board.slug}/new")
    assert form.status_code == 200
    resp = client.post(f"/boards/{board.slug}/new",
                       data={"title": "First week after diagnosis", "body": "Hello all."})
    assert resp.status_code == 302
    thread = db.scalar(select(Thread).where(Thread.title == "First week after diagnosis"))
    assert thread is not None and thread.author_id == member.id
    assert resp.headers["Location"].endswith(f"/threads/{thread.id}#post-{thread.last_post_id}")
    page = client.get(resp.headers["Location"])
    assert "Your conversation has been started." in page.get_data(as_text=True)


def test_start_thread_without_title_is_422_with_summary(client, login, make, db):
    board = make.board()
    login(make.user())
    before = db.scalar(select(func.count(Thread.id)))
    resp = client.post(f"/boards/{board.slug}/new", data={"title": "  ", "body": "Hello"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "There is a problem" in html
    assert "Enter a title for your conversation." in html
    assert "<title>Error: " in html
    assert db.scalar(select(func.count(Thread.id))) == before


def test_huge_body_is_refused_clearly(client, login, make, app):
    board = make.board()
    started = make.thread(board)
    login(make.user())
    limit = app.config["MAX_POST_LENGTH"]
    resp = client.post(f"/threads/{started.thread.id}/reply", data={"body": "x" * (limit + 1)})
    assert resp.status_code == 422
    assert f"{limit:,} characters or fewer" in resp.get_data(as_text=True)
    too_big = client.post(f"/threads/{started.thread.id}/reply",
                          data={"body": "x" * (app.config["MAX_CONTENT_LENGTH"] + 10)})
    assert too_big.status_code == 413


def test_action_errors_are_mapped_onto_the_form(client, login, make, app):
    # Only the action refuses a NUL byte, so this shows its message reaching the form.
    board = make.board()
    started = make.thread(board)
    login(make.user())
    resp = client.post(f"/threads/{started.thread.id}/reply", data={"body": "hi\x00there"})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "a character we cannot store" in html
    assert 'href="#body"' in html


def test_reply_posts_and_flashes(client, login, make, db):
    board = make.board()
    started = make.thread(board)
    login(make.user())
    resp = client.post(f"/threads/{started.thread.id}/reply", data={"body": "Same for me."},
                       follow_redirects=True)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Your reply has been posted." in html
    assert "Same for me." in html
    db.expire_all()
    assert started.thread.reply_count == 1


def test_held_reply_flashes_waiting_and_is_only_seen_by_author_and_staff(client, login, make,
                                                                         db, app):
    board = make.board(posting_policy="all_held")
    guide = make.facilitator(board)
    started = make.thread(board, author=guide)  # staff posts are published
    author = make.user()
    login(author)
    resp = client.post(f"/threads/{started.thread.id}/reply",
                       data={"body": "Something private-ish."}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Your post is waiting for a facilitator to check it." in html
    assert "Waiting for a facilitator" in html and "Something private-ish." in html

    other = app.test_client()
    with other.session_transaction() as sess:
        sess["_user_id"] = make.user().get_id()
    assert "Something private-ish." not in other.get(
        f"/threads/{started.thread.id}").get_data(as_text=True)
    assert "Something private-ish." not in app.test_client().get(
        f"/threads/{started.thread.id}").get_data(as_text=True)
    staff = app.test_client()
    with staff.session_transaction() as sess:
        sess["_user_id"] = guide.get_id()
    assert "Something private-ish." in staff.get(
        f"/threads/{started.thread.id}").get_data(as_text=True)


def test_quote_prefills_reply_and_links_quote(client, login, make, db):
    board = make.board()
    started = make.thread(board, body="Mornings are the worst.")
    login(make.user())
    page = client.get(f"/threads/{started.thread.id}/reply?quote={started.post.id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "&gt; Mornings are the worst." in html
    assert f'name="quote" value="{started.post.id}"' in html
    resp = client.post(f"/threads/{started.thread.id}/reply",
                       data={"body": "> Mornings are the worst.\n\nAgreed.",
                             "quote": str(started.post.id)})
    assert resp.status_code == 302
    reply = db.scalar(select(Post).where(Post.thread_id == started.thread.id)
                      .order_by(Post.id.desc()))
    assert reply.quoted_post_id == started.post.id


@pytest.mark.parametrize("quote", ["abc", "999999", "²", "9" * 30])
def test_quote_of_unknown_post_is_4xx(client, login, make, quote):
    started = make.thread(make.board())
    login(make.user())
    assert client.get(f"/threads/{started.thread.id}/reply?quote={quote}").status_code in (
        404, 422)


def test_edit_own_post_marks_edited_and_keeps_revision(client, login, make, db):
    board = make.board()
    started = make.thread(board, body="First words")
    login(started.post.author)
    assert client.get(f"/posts/{started.post.id}/edit").status_code == 200
    resp = client.post(f"/posts/{started.post.id}/edit",
                       data={"body": "Better words", "reason": "typo"}, follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Your changes have been saved." in html
    assert "Better words" in html and "(edited" in html
    revisions = db.scalars(select(PostRevision).where(PostRevision.post_id == started.post.id))
    assert [r.body_source for r in revisions] == ["First words"]


def test_cannot_edit_or_delete_someone_elses_post(client, login, make):
    started = make.thread(make.board())
    login(make.user())
    assert client.get(f"/posts/{started.post.id}/edit").status_code == 403
    assert client.post(f"/posts/{started.post.id}/edit", data={"body": "x"}).status_code == 403
    assert client.post(f"/posts/{started.post.id}/delete").status_code == 403


def test_revision_history_is_for_staff_only(client, login, make, db, app):
    board = make.board()
    started = make.thread(board, body="Original words")
    do_edit_post(db, actor=make.viewer(started.post.author), post=started.post, body="New words")
    login(started.post.author)
    assert client.get(f"/posts/{started.post.id}/revisions").status_code == 403
    guide = make.facilitator(board)
    staff = app.test_client()
    with staff.session_transaction() as sess:
        sess["_user_id"] = guide.get_id()
    page = staff.get(f"/posts/{started.post.id}/revisions")
    assert page.status_code == 200
    assert "Original words" in page.get_data(as_text=True)
    thread_html = staff.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    assert f"/posts/{started.post.id}/revisions" in thread_html


def test_delete_own_post_leaves_placeholder(client, login, make, db):
    board = make.board()
    started = make.thread(board)
    reply = make.reply(started.thread, body="I regret this.")
    login(reply.post.author)
    confirm = client.get(f"/posts/{reply.post.id}/delete")
    assert confirm.status_code == 200
    assert "Are you sure" in confirm.get_data(as_text=True)
    resp = client.post(f"/posts/{reply.post.id}/delete", follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Your post has been deleted." in html
    assert "This post was deleted." in html
    assert "I regret this." not in html
    assert f'id="post-{reply.post.id}"' in html
    db.expire_all()
    assert db.get(Post, reply.post.id).state == PostState.DELETED


def test_hidden_post_shows_placeholder_to_others(client, make, db):
    board = make.board()
    started = make.thread(board)
    reply = make.reply(started.thread, body="Something hidden.")
    reply.post.state = PostState.HIDDEN
    db.commit()
    html = client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    assert f'id="post-{reply.post.id}"' in html
    assert "hidden by a facilitator" in html
    assert "Something hidden." not in html


def test_guidance_post_is_shown_distinctly(client, make):
    board = make.board()
    started = make.thread(board)
    guide = make.facilitator(board)
    note = make.reply(started.thread, author=guide, body="A reminder to be kind.", guidance=True)
    html = client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    article = re.search(rf'<article id="post-{note.post.id}"[^>]*>', html).group(0)
    assert "app-post--guidance" in article
    assert "Facilitator guidance" in html


def test_reactions_toggle_and_count(client, login, make, db, captured_events):
    board = make.board()
    started = make.thread(board)
    member = make.user()
    login(member)
    url = f"/posts/{started.post.id}/reactions"
    resp = client.post(url, data={"kind": "hug", "action": "add"})
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(f"#post-{started.post.id}")
    html = client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    assert 'aria-pressed="true" data-kind="hug"' in html
    assert 'data-count="1"' in html
    # A double click does not undo it: the page said "add".
    client.post(url, data={"kind": "hug", "action": "add"})
    assert db.scalar(select(func.count(Reaction.id)).where(
        Reaction.post_id == started.post.id)) == 1
    client.post(url, data={"kind": "hug", "action": "remove"})
    assert db.scalar(select(func.count(Reaction.id)).where(
        Reaction.post_id == started.post.id)) == 0
    assert [e.name for e in captured_events].count("reaction.changed") == 2
    assert client.post(url, data={"kind": "like"}).status_code == 422


def test_reactions_as_json_for_scripts(client, login, make):
    started = make.thread(make.board())
    login(make.user())
    resp = client.post(f"/posts/{started.post.id}/reactions", data={"kind": "me_too"},
                       headers={"Accept": "application/json"})
    assert resp.status_code == 200
    assert resp.get_json()["counts"]["me_too"] == 1


def test_follow_and_unfollow(client, login, make, db):
    started = make.thread(make.board())
    member = make.user()
    login(member)

    def following() -> bool:
        return db.scalar(select(ThreadFollow.id).where(
            ThreadFollow.thread_id == started.thread.id,
            ThreadFollow.user_id == member.id)) is not None

    resp = client.post(f"/threads/{started.thread.id}/follow", data={"follow": "1"},
                       follow_redirects=True)
    assert following()
    assert "Stop following this conversation" in resp.get_data(as_text=True)
    client.post(f"/threads/{started.thread.id}/follow", data={"follow": "0"})
    assert not following()
    assert db.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action.in_(["thread:follow", "thread:unfollow"]),
        AuditEntry.subject_id == started.thread.id)) == 2


def test_viewing_marks_read_and_shows_new_posts(client, login, make, db):
    board = make.board()
    started = make.thread(board)
    reader = make.user()
    login(reader)
    client.get(f"/threads/{started.thread.id}")
    marker = db.scalar(select(ReadMarker).where(ReadMarker.user_id == reader.id))
    assert marker.last_read_post_id == started.post.id
    fresh = make.reply(started.thread, body="Something new.")
    html = client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    new_article = html[html.index(f'id="post-{fresh.post.id}"'):]
    assert "nhsuk-tag--blue\">New<" in new_article[:800]
    assert f'href="#post-{fresh.post.id}">Go to the first new post' in html
    db.refresh(marker)
    assert marker.last_read_post_id == fresh.post.id
    jump = client.get(f"/threads/{started.thread.id}/new")
    assert jump.headers["Location"].endswith(f"/posts/{fresh.post.id}")


def test_permalink_goes_to_the_right_page(client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "POSTS_PER_PAGE", 3)
    started = make.thread(make.board())
    author = make.user()
    replies = [make.reply(started.thread, author=author, body=f"Reply {n}") for n in range(5)]
    target = replies[3].post  # sixth post overall: page 2
    resp = client.get(f"/posts/{target.id}")
    assert resp.status_code == 302
    assert resp.headers["Location"].endswith(
        f"/threads/{started.thread.id}?page=2#post-{target.id}")
    page2 = client.get(f"/threads/{started.thread.id}?page=2").get_data(as_text=True)
    assert "Reply 3" in page2 and "Reply 0" not in page2
    first = client.get(f"/posts/{started.post.id}")
    assert first.headers["Location"].endswith(
        f"/threads/{started.thread.id}#post-{started.post.id}")


# "²" and "١" pass str.isdigit(); int() refuses the first and reads the second as 1.
@pytest.mark.parametrize("page", ["abc", "-5", "0", "99", "1.5", "9" * 30, "²", "١", "%C2%B2"])
def test_bad_page_numbers_are_404(client, make, page):
    started = make.thread(make.board())
    assert client.get(f"/threads/{started.thread.id}?page={page}").status_code == 404


@pytest.mark.parametrize("path", ["/threads/999999", "/posts/999999", "/posts/999999/edit",
                                  "/threads/999999/reply", "/posts/999999/revisions"])
def test_unknown_ids_are_404(client, login, make, path):
    login(make.user())
    assert client.get(path).status_code == 404


def test_private_board_threads_and_posts_are_404_to_outsiders(client, login, make):
    board = make.board(visibility=Visibility.PRIVATE)
    started = make.thread(board, author=make.facilitator(board))
    for path in (f"/threads/{started.thread.id}", f"/posts/{started.post.id}",
                 f"/threads/{started.thread.id}/reply", f"/boards/{board.slug}/new"):
        assert client.get(path).status_code == 404, path
    login(make.user())
    assert client.get(f"/threads/{started.thread.id}").status_code == 404
    assert client.post(f"/posts/{started.post.id}/reactions",
                       data={"kind": "hug"}).status_code == 404


def test_signed_out_visitor_cannot_post(client, make, db):
    started = make.thread(make.board())
    before = db.scalar(select(func.count(Post.id)))
    assert client.post(f"/threads/{started.thread.id}/reply",
                       data={"body": "hi"}).status_code == 401
    assert db.scalar(select(func.count(Post.id))) == before


def _count_statements(app, fetch):
    engine = app.extensions["db_engine"]
    statements: list[str] = []

    def _before(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", _before)
    try:
        resp = fetch()
    finally:
        event.remove(engine, "before_cursor_execute", _before)
    assert resp.status_code == 200
    return statements


def _thread_with(make, db, n: int):
    board = make.board()
    started = make.thread(board)
    authors = [make.user() for _ in range(5)]
    for i in range(n - 1):
        outcome = make.reply(started.thread, author=authors[i % 5], body=f"Reply {i}")
        if i % 3 == 0:
            do_add_reaction(db, actor=make.viewer(authors[(i + 1) % 5]), post=outcome.post,
                            kind="hug")
    return started.thread


def test_thread_page_query_count_does_not_grow_with_posts(client, login, make, db, app):
    reader = make.user()
    login(reader)
    small = _thread_with(make, db, 10)
    large = _thread_with(make, db, 50)
    # Both are first visits, so each page writes a new read marker.
    small_seen = _count_statements(app, lambda: client.get(f"/threads/{small.id}"))
    large_seen = _count_statements(app, lambda: client.get(f"/threads/{large.id}"))
    assert len(small_seen) == len(large_seen), "\n".join(
        difflib.unified_diff(small_seen, large_seen, lineterm=""))


def test_notices_from_moderation_are_shown_after_posting(client, login, make):
    from forum.threads import hooks

    def _notice(session, write):
        write.notices.append({"kind": "crisis", "title": "You do not have to face this alone",
                              "text": "Support is there if you need it.",
                              "contacts": [{"name": "Samaritans", "detail": "Call 116 123",
                                            "href": "tel:116123"}]})

    started = make.thread(make.board())
    login(make.user())
    hooks.register_post_hook(_notice)
    try:
        resp = client.post(f"/threads/{started.thread.id}/reply", data={"body": "Hard day."},
                           follow_redirects=True)
    finally:
        hooks._post_hooks.remove(_notice)
    html = resp.get_data(as_text=True)
    assert "You do not have to face this alone" in html
    assert 'href="tel:116123"' in html
    # Shown once: the next visit is calm again.
    again = client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    assert "You do not have to face this alone" not in again


def test_held_new_thread_is_visible_to_its_author_only(client, login, make, db, app):
    board = make.board(posting_policy="all_held")
    author = make.user()
    login(author)
    resp = client.post(f"/boards/{board.slug}/new",
                       data={"title": "Waiting one", "body": "Please approve"},
                       follow_redirects=True)
    html = resp.get_data(as_text=True)
    assert "Your post is waiting for a facilitator to check it." in html
    assert "Only you and the facilitators can see it for now." in html
    thread = db.scalar(select(Thread).where(Thread.title == "Waiting one"))
    assert "Waiting one" in client.get(f"/boards/{board.slug}").get_data(as_text=True)
    assert app.test_client().get(f"/threads/{thread.id}").status_code == 404
    assert "Waiting one" not in app.test_client().get(
        f"/boards/{board.slug}").get_data(as_text=True)


def test_locked_thread_has_no_reply_form(client, login, make, db):
    started = make.thread(make.board())
    started.thread.locked = True
    db.commit()
    login(make.user())
    html = client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    assert "This conversation is closed to new replies." in html
    assert 'class="app-reply-form"' not in html
    assert client.post(f"/threads/{started.thread.id}/reply",
                       data={"body": "hello"}).status_code == 403
