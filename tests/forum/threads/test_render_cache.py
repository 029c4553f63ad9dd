"""The render cache (forum/render_cache.py) and the pages built on it.

Cached markup must never show a reader anything stale, nor anything that belongs to another
reader (their reactions, their edit links, their CSRF token). The strongest check: every page
is the same with the cache as without it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import product

import pytest
from markupsafe import Markup

from forum.accounts.models import UserStatus
from forum.page_cache import page_cache
from forum.permissions import (
    can_delete_post,
    can_edit_post,
    can_moderate,
    can_react,
    can_reply,
    can_see_post,
)
from forum.render_cache import FragmentCache, render_cache
from forum.threads.actions import do_add_reaction, do_delete_post, do_edit_post
from forum.threads.models import PostState
from forum.threads.views import PostActions, post_actions, thread_abilities
from moderation import actions as moderation
from tests.moderation.duty_scene import add_course, train

TOKEN = re.compile(r'(name="csrf_token" value="|nonce=")[^"]*(")')


@pytest.fixture()
def cache(app) -> Iterator[FragmentCache]:  # type: ignore[no-untyped-def]
    """The app's cache, emptied before and after (the app outlives each test). The whole
    page cache (forum/page_cache.py, tested in test_page_cache.py) is emptied too, and
    switched off with it where a test switches this one off."""
    found, pages = render_cache(app), page_cache(app)
    budgets = found.max_bytes, pages.max_bytes
    found.clear()
    pages.clear()
    yield found
    found.max_bytes, pages.max_bytes = budgets
    found.clear()
    pages.clear()


def _page(client, path: str) -> str:  # type: ignore[no-untyped-def]
    resp = client.get(path)
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _reader(app, login_as=None):  # type: ignore[no-untyped-def]
    reader = app.test_client()
    if login_as is not None:
        with reader.session_transaction() as sess:
            sess["_user_id"] = login_as.get_id()
            sess["_fresh"] = True
    return reader


# ---- the cache itself -------------------------------------------------------------------

def test_fragment_cache_stays_within_its_byte_budget_dropping_the_oldest_first() -> None:
    cache = FragmentCache(2000)
    for n in range(10):
        cache.put(n, Markup("x") * 300)
    assert cache.size_bytes <= 2000
    assert cache.get(0) is None  # the oldest went first
    assert cache.get(9) == Markup("x") * 300
    kept = [n for n in range(10) if cache.get(n) is not None]
    cache.get(kept[0])  # used again: now the newest
    cache.put("new", Markup("y") * 300)
    assert cache.get(kept[0]) is not None and cache.get(kept[1]) is None


def test_a_zero_budget_keeps_nothing() -> None:
    cache = FragmentCache(0)
    cache.put("key", Markup("<p>x</p>"))
    assert not cache.enabled and cache.get("key") is None and len(cache) == 0


def test_memo_macro_tells_markup_from_text_and_true_from_one(app, cache) -> None:
    template = app.jinja_env.from_string(
        "{% macro show(params) %}[{{ params.v }}]{% endmacro %}{{ memo_macro(show, {'v': v}) }}")
    with app.test_request_context():
        assert template.render(v="<b>") == "[&lt;b&gt;]"
        assert template.render(v=Markup("<b>")) == "[<b>]"
        assert template.render(v="<b>") == "[&lt;b&gt;]"
        assert template.render(v=True) == "[True]"
        assert template.render(v=1) == "[1]"


def test_fragment_slots_are_filled_per_request_and_escaped(app, cache) -> None:
    template = app.jinja_env.from_string(
        "{% call cached_fragment(1, slots={'csrf': token}) %}"
        "<input value=\"{{ fragment_slot('csrf') }}\">{% endcall %}")
    with app.test_request_context():
        assert template.render(token="one") == '<input value="one">'
        assert template.render(token='t"<') == '<input value="t&#34;&lt;">'
    assert len(cache) == 1  # one entry, holding the placeholder, never a token


# ---- post_actions agrees with forum.permissions -----------------------------------------

def test_post_actions_give_the_same_answers_as_the_permission_predicates(make, db) -> None:
    board = make.board()
    guide = make.facilitator(board)
    author, other, suspended = make.user(), make.user(), make.user()
    started = make.thread(board, author=author)
    post, thread = started.post, started.thread
    suspended.status = UserStatus.SUSPENDED
    # A facilitator whose required training has lapsed still sees everything but may not act.
    lapsed = make.facilitator(board)
    course = add_course(db, "Peer support induction")
    train(db, guide, course, expires_in_days=90)
    train(db, lapsed, course, expires_in_days=-1)
    viewers = {"anonymous": make.viewer(None), "author": make.viewer(author),
               "other": make.viewer(other), "suspended": make.viewer(suspended),
               "facilitator": make.viewer(guide), "lapsed facilitator": make.viewer(lapsed),
               "admin": make.viewer(make.admin())}
    assert not viewers["lapsed facilitator"].acts_for(board.id)
    assert viewers["facilitator"].acts_for(board.id)
    checked = 0
    for (name, viewer), state, locked, archived, own_is_author in product(
            viewers.items(), list(PostState), (False, True), (False, True), (True, False)):
        post.state = state
        post.author_id = author.id if own_is_author else None
        thread.locked, board.archived = locked, archived
        published = state == PostState.PUBLISHED
        expected = PostActions(
            see=can_see_post(viewer, post, thread.board_id),
            edit=can_edit_post(viewer, post, thread),
            delete=can_delete_post(viewer, post, thread),
            react=can_react(viewer, post, thread),
            quote=can_reply(viewer, thread) and published,
            staff=can_moderate(viewer, thread.board_id),
            report=(viewer.is_active and post.author_id != viewer.id
                    and not can_moderate(viewer, thread.board_id) and published
                    and can_see_post(viewer, post, thread.board_id)))
        found = post_actions(viewer, post, thread, thread_abilities(viewer, thread))
        assert found == expected, (name, state, locked, archived, own_is_author)
        assert post_actions(viewer, post, thread) == expected
        checked += 1
    db.rollback()
    assert checked == len(viewers) * len(PostState) * 2 * 2 * 2


# ---- thread and board pages -------------------------------------------------------------

def _busy_thread(make, db):  # type: ignore[no-untyped-def]
    """A thread with a bit of everything: reactions, an edit, a deletion, a hidden post."""
    board = make.board()
    guide = make.facilitator(board)
    author, reactor, reader = make.user(), make.user(), make.user()
    started = make.thread(board, author=author, body="Mornings are the <hardest> & longest.")
    posts = [make.reply(started.thread, author=(reactor if n % 2 else author),
                        body=f"Reply {n} *with* words").post for n in range(6)]
    do_add_reaction(db, actor=make.viewer(reactor), post=started.post, kind="hug")
    do_add_reaction(db, actor=make.viewer(reader), post=posts[0], kind="me_too")
    do_edit_post(db, actor=make.viewer(author), post=posts[2], body="Edited words")
    do_delete_post(db, actor=make.viewer(author), post=posts[4])
    moderation.do_hide_post(db, actor=make.viewer(guide), post=posts[5], reason="Unkind")
    return started.thread, posts, {"author": author, "reactor": reactor, "reader": reader,
                                   "guide": guide}


def test_pages_are_the_same_with_the_cache_and_without_it(app, client, make, db, cache) -> None:
    thread, _, people = _busy_thread(make, db)
    paths = [f"/threads/{thread.id}", f"/boards/{thread.board.slug}"]
    readers = {"anonymous": None, **people}
    cached = {}
    for name, user in readers.items():
        reader = _reader(app, user)
        for path in paths:
            _page(reader, path)  # fills the cache (and, signed in, moves the read marker)
            cached[name, path] = TOKEN.sub(r"\1T\2", _page(reader, path))
    assert len(cache) > 0 and cache.hits > 0
    cache.max_bytes = page_cache(app).max_bytes = 0
    for name, user in readers.items():
        reader = _reader(app, user)
        for path in paths:
            fresh = TOKEN.sub(r"\1T\2", _page(reader, path))
            assert fresh == cached[name, path], (name, path)


def test_changes_to_a_post_show_at_once_to_every_reader(app, make, db, cache) -> None:
    thread, posts, people = _busy_thread(make, db)
    path = f"/threads/{thread.id}"
    reactor, reader = _reader(app, people["reactor"]), _reader(app, people["reader"])
    anonymous = _reader(app)
    for someone in (reactor, reader, anonymous):
        _page(someone, path)

    do_edit_post(db, actor=make.viewer(people["author"]), post=posts[0], body="Said better")
    do_add_reaction(db, actor=make.viewer(people["reactor"]), post=posts[1 - 1], kind="hug")
    do_delete_post(db, actor=make.viewer(people["author"]), post=posts[2])
    people["author"].username = "renamed_member"
    db.commit()

    mine = _page(reactor, path)
    theirs = _page(reader, path)
    public = _page(anonymous, path)
    for html in (mine, theirs, public):
        assert "Said better" in html and "Reply 0" not in html
        assert "Edited words" not in html  # posts[2] is deleted now
        assert "renamed_member" in html
    article = re.search(rf'<article id="post-{posts[0].id}".*?</article>', mine, re.S).group(0)
    assert 'data-kind="hug"' in article and "including you" in article
    other = re.search(rf'<article id="post-{posts[0].id}".*?</article>', theirs, re.S).group(0)
    # The reader sees the reactor's hug counted, and their own "me too" as theirs, not the hug.
    hug = re.search(r'data-kind="hug">.*?</button>', other, re.S).group(0)
    assert 'data-count="1"' in hug and "including you" not in hug
    assert "Sending a hug: 1" in public and "including you" not in public


def test_hidden_posts_stay_hidden_from_members_after_staff_saw_them(app, make, db, cache) -> None:
    thread, posts, people = _busy_thread(make, db)
    path = f"/threads/{thread.id}"
    staff = _page(_reader(app, people["guide"]), path)
    assert "Reply 5" in staff and "Hidden by a facilitator" in staff
    for who in (None, people["reader"]):
        html = _page(_reader(app, who), path)
        assert "Reply 5" not in html and "This post has been hidden by a facilitator." in html
    own = _page(_reader(app, people["reactor"]), path)  # posts[5] is the reactor's own
    assert "Reply 5" in own and "Other members see a note in its place." in own


def test_each_reader_gets_their_own_csrf_token_in_cached_forms(app, make, db, cache,
                                                               monkeypatch) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    thread, _, people = _busy_thread(make, db)
    tokens = []
    for who in ("reader", "reactor", "reader", "reactor"):
        html = _page(_reader(app, people[who]), f"/threads/{thread.id}")
        reply_form = re.search(r'<form [^>]*class="app-reply-form".*?</form>', html, re.S).group(0)
        assert 'name="csrf_token"' in reply_form
        found = set(re.findall(r'name="csrf_token" value="([^"]+)"', html))
        # The sign-out form, the follow form, every reaction form and the reply form agree.
        assert len(found) == 1, found
        assert "\x00" not in html
        tokens.append(found.pop())
    assert tokens[0] != tokens[1] and tokens[2] != tokens[3]  # two readers, two sessions
    # The CSP nonce is never cached either: each answer has its own.
    anonymous = _reader(app)
    nonces = [set(re.findall(r'nonce="([^"]+)"', _page(anonymous, f"/threads/{thread.id}")))
              for _ in range(2)]
    assert all(len(n) == 1 for n in nonces) and nonces[0] != nonces[1]


def test_board_rows_follow_new_replies(app, make, db, cache) -> None:
    thread, _, people = _busy_thread(make, db)
    path = f"/boards/{thread.board.slug}"
    reader = _reader(app, people["reader"])
    _page(reader, f"/threads/{thread.id}")
    before = _page(reader, path)
    assert "6 replies" in before and "New posts" not in before
    make.reply(thread, author=people["author"], body="One more")
    after = _page(reader, path)
    assert "7 replies" in after and "New posts" in after


def test_readers_who_differ_only_in_their_own_reactions_see_their_own(app, make, db, cache):
    thread, posts, _ = _busy_thread(make, db)
    path = f"/threads/{thread.id}"
    first, second = make.user(), make.user()
    do_add_reaction(db, actor=make.viewer(first), post=posts[1], kind="thank_you")
    pages = {}
    for who in (second, first, second, first):  # each reads twice: no "New" marks the 2nd time
        pages[who.id] = _page(_reader(app, who), path)
    theirs, mine = pages[second.id], pages[first.id]
    article = rf'<article id="post-{posts[1].id}".*?</article>'
    assert "including you" not in re.search(article, theirs, re.S).group(0)
    assert "including you" in re.search(article, mine, re.S).group(0)


def test_new_marks_follow_each_readers_read_marker(app, make, db, cache):
    thread, _, people = _busy_thread(make, db)
    path = f"/threads/{thread.id}"
    reader = _reader(app, people["reader"])
    _page(reader, path)
    make.reply(thread, author=people["author"], body="Something new")
    again = _page(reader, path)
    assert again.count("nhsuk-tag--blue") == 1 and "Go to the first new post" in again
    assert "nhsuk-tag--blue" not in _page(reader, path)


def test_memo_render_keeps_one_copy_per_context_and_escapes(app, cache) -> None:
    from forum.render_cache import memo_render

    contacts = [{"name": "Line <one>", "detail": "Call 1", "href": ""}]
    with app.test_request_context():
        first = memo_render("moderation/_watch_banner.html", watch={"contacts": contacts})
        again = memo_render("moderation/_watch_banner.html", watch={"contacts": contacts})
        other = memo_render("moderation/_watch_banner.html",
                            watch={"contacts": [dict(contacts[0], name="Line two")]})
    assert first == again and "Line &lt;one&gt;" in first and "Line <one>" not in first
    assert "Line two" in other and len(cache) == 2
