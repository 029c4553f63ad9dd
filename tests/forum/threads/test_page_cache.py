"""Whole thread pages kept in memory (forum/page_cache.py, forum/threads/page_key.py).

A kept page must never show a reader anything stale, nor anything meant for a reader with
other rights, nor another request's nonce, CSRF token or notification count. The strongest
check: after every kind of change, each kind of reader gets exactly the page that would be
built without any cache, although the pages from before the change are still kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from forum.boards.actions import do_archive_board, do_invite_member, do_update_board
from forum.boards.models import PostingPolicy, Visibility
from forum.change_feed import fresh_answers
from forum.page_cache import page_cache
from forum.permissions import load_viewer
from forum.privacy.actions import do_delete_account
from forum.render_cache import render_cache
from forum.threads.actions import (
    do_add_reaction,
    do_delete_post,
    do_edit_post,
    do_follow_thread,
    do_remove_reaction,
)
from forum.threads.models import ReadMarker
from forum.threads.page_key import facts_from_view, read_page_facts
from forum.threads.queries import get_thread_page
from moderation import actions as moderation
from moderation import duty
from tests.helpers import PASSWORD

TOKEN = re.compile(r'(name="csrf_token" value="|nonce=")[^"]*(")')


# The database answers kept while nothing is written (forum/change_clock.py).
KEPT_ANSWERS = ("thread-page-facts", "member-row", "board-pages", "unread-count")


@pytest.fixture()
def caches(app, client, monkeypatch) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Both caches on and empty, before and after (the app outlives each test). Asks for
    ``client`` so that every test client runs each request in a context of its own. Kept
    answers last a minute here, so a page is only ever right because a change retired
    what was kept, never because it aged out on a slow machine."""
    kept = [render_cache(app), page_cache(app)]
    budgets = [c.max_bytes for c in kept]
    for c in kept:
        c.clear()
    for name in KEPT_ANSWERS:
        answers = fresh_answers(app, name)
        answers.clear()
        monkeypatch.setattr(answers, "seconds", 60.0)
    yield
    for c, budget in zip(kept, budgets, strict=True):
        c.max_bytes = budget
        c.clear()
    for name in KEPT_ANSWERS:
        fresh_answers(app, name).clear()


def _caches_on(app, on: bool) -> None:  # type: ignore[no-untyped-def]
    for c in (render_cache(app), page_cache(app)):
        c.max_bytes = 8 * 1024 * 1024 if on else 0


def _reader(app, user=None):  # type: ignore[no-untyped-def]
    reader = app.test_client()
    if user is not None:
        with reader.session_transaction() as sess:
            sess["_user_id"] = user.get_id()
            sess["_fresh"] = True
    return reader


def _get(client, path: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    resp = client.get(path)
    return resp.status_code, TOKEN.sub(r"\1T\2", resp.get_data(as_text=True))


def _scene(make, db):  # type: ignore[no-untyped-def]
    """A thread with replies, reactions, an edit, a deletion, a hidden post and a held one,
    read by every kind of reader."""
    board = make.board()
    other_board = make.board()
    guide = make.facilitator(board)
    author, reactor, reader = make.user(), make.user(), make.user()
    started = make.thread(board, author=author, body="Mornings are the <hardest>.")
    posts = [make.reply(started.thread, author=(reactor if n % 2 else author),
                        body=f"Reply {n} *with* words").post for n in range(6)]
    do_add_reaction(db, actor=make.viewer(reactor), post=started.post, kind="hug")
    do_add_reaction(db, actor=make.viewer(reader), post=posts[0], kind="me_too")
    do_edit_post(db, actor=make.viewer(author), post=posts[2], body="Edited words")
    do_delete_post(db, actor=make.viewer(author), post=posts[4])
    moderation.do_hide_post(db, actor=make.viewer(guide), post=posts[5], reason="Unkind")
    admin = make.admin()
    do_update_board(db, actor=make.viewer(admin), board=board,
                    posting_policy=PostingPolicy.ALL_HELD)
    held = make.reply(started.thread, author=author, body="Waiting words").post
    do_update_board(db, actor=make.viewer(admin), board=board,
                    posting_policy=PostingPolicy.OPEN)
    people = {"anonymous": None, "author": author, "reactor": reactor, "reader": reader,
              "guide": guide, "admin": admin}
    return started.thread, posts, held, people, other_board


def _markers(db, people) -> dict[str, int | None]:  # type: ignore[no-untyped-def]
    found = {}
    for name, user in people.items():
        if user is not None:
            found[name] = db.scalar(select(ReadMarker.last_read_post_id).where(
                ReadMarker.user_id == user.id))
    return found


def _set_markers(db, people, markers) -> None:  # type: ignore[no-untyped-def]
    for name, value in markers.items():
        row = db.scalar(select(ReadMarker).where(ReadMarker.user_id == people[name].id))
        if row is not None and value is not None:
            row.last_read_post_id = value
    db.commit()


def _check_every_reader(app, db, people, path: str) -> int:  # type: ignore[no-untyped-def]
    """Each reader's page with the caches on equals the page built without them. Reading a
    page moves the reader's marker, so it is put back before the page is built again."""
    hits_before = page_cache(app).hits
    markers = _markers(db, people)
    kept = {name: _get(_reader(app, user), path) for name, user in people.items()}
    _set_markers(db, people, markers)
    _caches_on(app, False)
    try:
        fresh = {name: _get(_reader(app, user), path) for name, user in people.items()}
    finally:
        _caches_on(app, True)
    for name in people:
        assert kept[name] == fresh[name], name
    return page_cache(app).hits - hits_before


def _warm(app, people, path: str) -> None:  # type: ignore[no-untyped-def]
    for user in people.values():
        for _ in range(2):
            _reader(app, user).get(path)


@pytest.mark.usefixtures("caches")
def test_a_kept_page_is_served_again_to_the_same_kind_of_reader(app, make, db) -> None:
    thread, _, _, people, _ = _scene(make, db)
    path = f"/threads/{thread.id}"
    _warm(app, people, path)
    # The second round is served whole, for every kind of reader.
    assert _check_every_reader(app, db, people, path) == len(people)
    # Two members who stand in the same relation to the page share one kept page.
    first, second = make.user(), make.user()
    _reader(app, first).get(path)
    _reader(app, first).get(path)
    hits = page_cache(app).hits
    _reader(app, second).get(path)  # first visit: nothing new for them, as for `first`
    assert page_cache(app).hits == hits + 1


@pytest.mark.usefixtures("caches")
def test_the_key_read_from_the_database_matches_the_page_it_was_built_from(app, make, db):
    thread, _, _, people, _ = _scene(make, db)
    for per_page in (3, 50):
        for name, user in people.items():
            viewer = load_viewer(db, user)
            view = get_thread_page(db, viewer, thread, 2 if per_page == 3 else 1, per_page,
                                   placeholders=True, shown=True)
            expected = facts_from_view(viewer, thread, view)
            found = read_page_facts(db, viewer, thread.id, view.page, per_page)
            assert found == expected, (name, per_page)


def _changes(make, db, thread, posts, held, people, other_board
             ) -> list[tuple[str, Callable[[], Any]]]:  # type: ignore[no-untyped-def]
    v = make.viewer
    author, reactor, reader, guide, admin = (people[k] for k in (
        "author", "reactor", "reader", "guide", "admin"))

    def rename() -> None:
        author.username = f"renamed{author.id}"
        db.commit()

    def go_on_duty() -> None:
        duty.do_go_on_duty(db, actor=v(guide))

    return [
        ("reply", lambda: make.reply(thread, author=reader, body="A new reply")),
        ("edit", lambda: do_edit_post(db, actor=v(author), post=posts[0], body="Said better")),
        ("delete", lambda: do_delete_post(db, actor=v(reactor), post=posts[1])),
        ("hide", lambda: moderation.do_hide_post(db, actor=v(guide), post=posts[2],
                                                 reason="Unkind")),
        ("restore", lambda: moderation.do_restore_post(db, actor=v(guide), post=posts[5])),
        ("approve held", lambda: moderation.do_approve_post(db, actor=v(guide), post=held)),
        ("react", lambda: do_add_reaction(db, actor=v(reader), post=posts[3], kind="hug")),
        ("react again", lambda: do_add_reaction(db, actor=v(author), post=posts[3],
                                                kind="hug")),
        ("take back", lambda: do_remove_reaction(db, actor=v(reader), post=posts[3],
                                                 kind="hug")),
        ("follow", lambda: do_follow_thread(db, actor=v(reader), thread=thread, follow=True)),
        ("lock", lambda: moderation.do_lock_thread(db, actor=v(guide), thread=thread,
                                                   locked=True)),
        ("unlock", lambda: moderation.do_lock_thread(db, actor=v(guide), thread=thread,
                                                     locked=False)),
        ("rename board", lambda: do_update_board(db, actor=v(admin), board=thread.board,
                                                 name="A calmer name")),
        ("members only", lambda: do_update_board(db, actor=v(admin), board=thread.board,
                                                 visibility=Visibility.MEMBERS)),
        ("public again", lambda: do_update_board(db, actor=v(admin), board=thread.board,
                                                 visibility=Visibility.PUBLIC)),
        ("archive", lambda: do_archive_board(db, actor=v(admin), board=thread.board)),
        ("unarchive", lambda: do_archive_board(db, actor=v(admin), board=thread.board,
                                               archived=False)),
        ("on duty", go_on_duty),
        ("off duty", lambda: duty.do_go_off_duty(db, actor=v(guide))),
        ("rename member", rename),
        ("move", lambda: moderation.do_move_thread(db, actor=v(admin), thread=thread,
                                                   board=other_board)),
        ("erase reactor", lambda: do_delete_account(
            db, actor=v(reactor), password=PASSWORD, confirmation="Delete my account")),
    ]


@pytest.mark.usefixtures("caches")
def test_no_reader_ever_gets_a_stale_page_after_any_change(app, make, db, monkeypatch):
    # The "not being watched" banner counts too.
    monkeypatch.setitem(app.config, "OUT_OF_HOURS_ENABLED", True)
    thread, posts, held, people, other_board = _scene(make, db)
    path = f"/threads/{thread.id}"
    # Two pages of three posts as well as one page of everything.
    paths = [path, f"{path}?page=2"]
    checked = 0
    for name, change in _changes(make, db, thread, posts, held, people, other_board):
        for small in (False, True):
            monkeypatch.setitem(app.config, "POSTS_PER_PAGE", 3 if small else 50)
            for shown in paths if small else [path]:
                _warm(app, people, shown)
        change()
        db.expire_all()
        if name == "erase reactor":
            people.pop("reactor")
        for small in (False, True):
            monkeypatch.setitem(app.config, "POSTS_PER_PAGE", 3 if small else 50)
            for shown in paths if small else [path]:
                _check_every_reader(app, db, people, shown)
                checked += 1
    assert checked == 22 * 3
    assert page_cache(app).hits > 0


@pytest.mark.usefixtures("caches")
def test_private_boards_and_held_posts_stay_with_those_who_may_see_them(app, make, db):
    board = make.board(visibility=Visibility.PRIVATE)
    member = make.user()
    do_invite_member(db, actor=make.viewer(make.facilitator(board)), board=board, user=member)
    started = make.thread(board, author=member, body="Only for us")
    path = f"/threads/{started.thread.id}"
    for _ in range(2):
        assert _reader(app, member).get(path).status_code == 200
    assert _reader(app).get(path).status_code == 404
    assert _reader(app, make.user()).get(path).status_code == 404

    # A held post: its author sees it, another member with the same rights does not.
    public = make.board(posting_policy=PostingPolicy.ALL_HELD)
    opening = make.thread(public, author=make.facilitator(public), body="Welcome")
    writer, other = make.user(), make.user()
    make.reply(opening.thread, author=writer, body="My words, waiting")
    path = f"/threads/{opening.thread.id}"
    for _ in range(2):
        assert "My words, waiting" in _reader(app, writer).get(path).get_data(as_text=True)
    for _ in range(2):
        assert "My words, waiting" not in _reader(app, other).get(path).get_data(as_text=True)
        assert "My words, waiting" not in _reader(app).get(path).get_data(as_text=True)


@pytest.mark.usefixtures("caches")
def test_notification_count_nonce_and_csrf_token_are_each_requests_own(app, make, db,
                                                                       monkeypatch) -> None:
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    thread, _, _, people, _ = _scene(make, db)
    path = f"/threads/{thread.id}"
    followed, quiet = people["author"], make.user()
    # The thread's author follows it: a reply gives them an unread notification.
    make.reply(thread, author=people["reader"], body="Someone answered")
    pages = {}
    for user in (followed, quiet, followed, quiet):
        pages[user.id] = _reader(app, user).get(path).get_data(as_text=True)
    assert page_cache(app).hits >= 1
    assert re.search(r'class="app-count">[1-9][0-9]*<', pages[followed.id])
    assert "app-count" not in pages[quiet.id]
    tokens = [set(re.findall(r'name="csrf_token" value="([^"]+)"', pages[u.id]))
              for u in (followed, quiet)]
    assert all(len(t) == 1 for t in tokens) and tokens[0] != tokens[1]
    nonces = [set(re.findall(r'nonce="([^"]+)"', _reader(app).get(path).get_data(as_text=True)))
              for _ in range(3)]
    assert all(len(n) == 1 for n in nonces) and len({n.pop() for n in nonces}) == 3
    assert "\x00" not in pages[followed.id] + pages[quiet.id]


@pytest.mark.usefixtures("caches")
def test_a_page_with_a_message_for_the_reader_is_never_kept(app, make, db) -> None:
    thread, _, _, people, _ = _scene(make, db)
    path = f"/threads/{thread.id}"
    reader = _reader(app, people["reader"])
    reader.get(path)
    with reader.session_transaction() as sess:
        sess["_flashes"] = [("success", "You are following this conversation.")]
    kept = len(page_cache(app))
    assert "You are following this conversation." in reader.get(path).get_data(as_text=True)
    assert len(page_cache(app)) == kept
    assert "You are following this conversation." not in reader.get(path).get_data(
        as_text=True)


@pytest.mark.usefixtures("caches")
def test_addresses_with_made_up_query_strings_are_not_kept(app, make, db) -> None:
    thread, _, _, _, _ = _scene(make, db)
    reader = _reader(app)
    reader.get(f"/threads/{thread.id}")
    kept = len(page_cache(app))
    for n in range(3):
        assert reader.get(f"/threads/{thread.id}?from=mail{n}").status_code == 200
    assert len(page_cache(app)) == kept


@pytest.mark.usefixtures("caches")
def test_a_kept_page_carries_the_csrf_token_of_the_session_reading_it(app, make, db,
                                                                       monkeypatch) -> None:
    """Two sign-ins of one member (two browsers), or two members with the same rights and
    relation to the page, are the same kind of reader: the second gets the page kept for
    the first. Its forms must carry the second session's token, or every reply, reaction
    and follow from it fails, and the first session's token is shown to another."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    thread, _, _, people, _ = _scene(make, db)
    path = f"/threads/{thread.id}"
    member = people["reader"]
    first, second = _reader(app, member), _reader(app, member)
    strangers = [_reader(app, make.user()), _reader(app, make.user())]
    tokens = []
    for reader in (first, second, second, *strangers):
        page = reader.get(path).get_data(as_text=True)
        tokens.append(set(re.findall(r'name="csrf_token" value="([^"]+)"', page)))
    assert page_cache(app).hits >= 3
    assert all(len(t) == 1 for t in tokens)
    assert tokens[1] != tokens[0] and tokens[2] == tokens[1]
    assert tokens[3] != tokens[4]
    resp = second.post(f"{path}/follow", data={"csrf_token": tokens[1].pop()})
    assert resp.status_code != 400, resp.get_data(as_text=True)[:300]
    resp = strangers[1].post(f"{path}/follow", data={"csrf_token": tokens[4].pop()})
    assert resp.status_code != 400, resp.get_data(as_text=True)[:300]
