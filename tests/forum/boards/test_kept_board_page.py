"""Board pages kept whole while nothing is written (forum/boards/views.py,
forum/change_clock.py): after every kind of change, each kind of reader gets exactly the
board page that would be built with nothing kept, although the pages from before the change
were kept; and nobody is given a page built for someone with other rights."""

from __future__ import annotations

import pytest

from forum.boards.actions import do_invite_member
from forum.boards.models import Visibility
from forum.change_feed import fresh_answers
from tests.forum.threads.test_page_cache import (  # noqa: F401 - ``caches`` is a fixture
    _changes,
    _check_every_reader,
    _reader,
    _scene,
    _warm,
    caches,
)


@pytest.mark.usefixtures("caches")
def test_no_reader_ever_gets_a_stale_board_page_after_any_change(app, make, db, monkeypatch):
    monkeypatch.setitem(app.config, "OUT_OF_HOURS_ENABLED", True)
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 2)
    thread, posts, held, people, other_board = _scene(make, db)
    for n in range(3):  # a second page of conversations on the board
        make.thread(thread.board, author=people["author"], body=f"Another thread {n}")
    kept = fresh_answers(app, "board-pages")
    paths = [f"/boards/{thread.board.slug}", f"/boards/{thread.board.slug}?page=2",
             f"/boards/{other_board.slug}"]
    checked = 0
    for name, change in _changes(make, db, thread, posts, held, people, other_board):
        for path in paths:
            _warm(app, people, path)
        hits = kept.hits
        for path in paths:
            _warm(app, people, path)
        assert kept.hits > hits, name  # kept before the change
        change()
        db.expire_all()
        if name == "erase reactor":
            people.pop("reactor")
        for path in paths:
            _check_every_reader(app, db, people, path)
            checked += 1
    assert checked == 22 * 3


@pytest.mark.usefixtures("caches")
def test_a_private_board_page_is_kept_only_for_those_who_may_read_it(app, make, db) -> None:
    board = make.board(visibility=Visibility.PRIVATE)
    guide = make.facilitator(board)
    member = make.user()
    do_invite_member(db, actor=make.viewer(guide), board=board, user=member)
    make.thread(board, author=member, title="Only for us")
    path = f"/boards/{board.slug}"
    for _ in range(2):
        assert "Only for us" in _reader(app, member).get(path).get_data(as_text=True)
        assert "Only for us" in _reader(app, guide).get(path).get_data(as_text=True)
    for _ in range(2):
        assert _reader(app).get(path).status_code == 404
        outsider = _reader(app, make.user()).get(path)
        assert outsider.status_code == 404
        assert "Only for us" not in outsider.get_data(as_text=True)
