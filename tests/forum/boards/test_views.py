from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from forum.audit.models import AuditEntry
from forum.boards.models import Board, BoardFacilitator, BoardMembership, Visibility
from forum.threads.actions import do_mark_read


def _as(app, user):
    other = app.test_client()
    with other.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
    return other


def test_index_lists_visible_boards_and_hides_private_ones(client, make):
    make.board("Living with COPD", description="Breathing and everyday life.")
    make.board("Secret carers group", visibility=Visibility.PRIVATE)
    html = client.get("/").get_data(as_text=True)
    assert "Living with COPD" in html
    assert "Breathing and everyday life." in html
    assert "Secret carers group" not in html


def test_index_shows_my_boards_with_unread_counts(client, login, make, db):
    board = make.board("Heart failure")
    member = make.member_of(board)
    started = make.thread(board)
    login(member)
    html = client.get("/").get_data(as_text=True)
    assert "Your boards" in html
    assert "1 conversation with new posts" in html
    do_mark_read(db, actor=make.viewer(member), thread=started.thread,
                 up_to_post_id=started.post.id)
    assert "with new posts" not in client.get("/").get_data(as_text=True)


def test_board_page_lists_threads_pinned_first_then_newest(client, make, db):
    board = make.board()
    old = make.thread(board, title="Older conversation")
    pinned = make.thread(board, title="Read this first")
    newer = make.thread(board, title="Newer conversation")
    make.reply(old.thread, body="bump")  # old now has the newest activity
    pinned.thread.pinned = True
    db.commit()
    html = client.get(f"/boards/{board.slug}").get_data(as_text=True)
    positions = [html.index(t) for t in ("Read this first", "Older conversation",
                                         "Newer conversation")]
    assert positions == sorted(positions)
    assert "Pinned" in html
    assert newer.thread.id


def test_board_page_shows_about_and_guidelines(client, make):
    board = make.board("Type 2 diabetes", condition="Type 2 diabetes",
                       guidelines="Please do not recommend unproven diets.",
                       support_model={"who_for": "Adults with type 2 diabetes",
                                      "frequency": "Any time"})
    guide = make.facilitator(board, username="riverguide")
    html = client.get(f"/boards/{board.slug}").get_data(as_text=True)
    assert "About this board" in html
    assert "Who it is for" in html and "Adults with type 2 diabetes" in html
    assert "How often" in html and "Any time" in html
    assert "Please do not recommend unproven diets." in html
    assert "/guidelines" in html
    assert guide.username in html


def test_unread_marker_per_thread_on_board_page(client, login, make, db):
    board = make.board()
    member = make.member_of(board)
    read = make.thread(board, title="Already read")
    unread = make.thread(board, title="Not read yet")
    do_mark_read(db, actor=make.viewer(member), thread=read.thread, up_to_post_id=read.post.id)
    login(member)
    html = client.get(f"/boards/{board.slug}").get_data(as_text=True)
    unread_row = html[html.index(f'id="thread-{unread.thread.id}"'):][:1500]
    read_row = html[html.index(f'id="thread-{read.thread.id}"'):][:1500]
    assert "New posts" in unread_row
    assert "New posts" not in read_row
    assert f"/threads/{unread.thread.id}/new" in unread_row


def test_join_and_leave(client, login, make, db, captured_events):
    board = make.board("Long COVID")
    member = make.user()
    login(member)
    page = client.get(f"/boards/{board.slug}").get_data(as_text=True)
    assert "Join this board" in page
    resp = client.post(f"/boards/{board.slug}/join", follow_redirects=True)
    assert "You have joined Long COVID." in resp.get_data(as_text=True)
    assert "Leave this board" in resp.get_data(as_text=True)
    assert db.scalar(select(BoardMembership.id).where(
        BoardMembership.board_id == board.id, BoardMembership.user_id == member.id))
    resp = client.post(f"/boards/{board.slug}/leave", follow_redirects=True)
    assert "You have left Long COVID." in resp.get_data(as_text=True)
    assert db.scalar(select(BoardMembership.id).where(
        BoardMembership.board_id == board.id, BoardMembership.user_id == member.id)) is None


def test_join_needs_sign_in(client, make):
    board = make.board()
    assert client.post(f"/boards/{board.slug}/join").status_code == 401


def test_private_board_is_404_to_outsiders(client, login, make, app):
    board = make.board(visibility=Visibility.PRIVATE)
    assert client.get(f"/boards/{board.slug}").status_code == 404
    login(make.user())
    assert client.get(f"/boards/{board.slug}").status_code == 404
    assert client.post(f"/boards/{board.slug}/join").status_code == 404
    insider = make.user()
    guide = make.facilitator(board)
    resp = _as(app, guide).post(f"/boards/{board.slug}/invite",
                                data={"username": insider.username}, follow_redirects=True)
    assert f"{insider.username} can now see and post on" in resp.get_data(as_text=True)
    assert _as(app, insider).get(f"/boards/{board.slug}").status_code == 200


def test_invite_unknown_username_is_422(client, make, app):
    board = make.board(visibility=Visibility.PRIVATE)
    guide = make.facilitator(board)
    resp = _as(app, guide).post(f"/boards/{board.slug}/invite", data={"username": "nobody-here"})
    assert resp.status_code == 422
    assert "We could not find a member with that username." in resp.get_data(as_text=True)


def test_invite_is_for_facilitators_only(client, login, make):
    board = make.board(visibility=Visibility.MEMBERS)
    login(make.user())
    assert client.get(f"/boards/{board.slug}/invite").status_code == 403


def test_members_only_board_asks_to_sign_in(client, login, make):
    board = make.board("Members corner", visibility=Visibility.MEMBERS)
    resp = client.get(f"/boards/{board.slug}")
    assert resp.status_code == 401
    assert "sign in" in resp.get_data(as_text=True).lower()
    login(make.user())
    assert client.get(f"/boards/{board.slug}").status_code == 200


@pytest.mark.parametrize("page", ["abc", "-5", "0", "7", "²", "١", "9" * 30])
def test_bad_board_page_numbers_are_404(client, make, page):
    board = make.board()
    make.thread(board)
    assert client.get(f"/boards/{board.slug}?page={page}").status_code == 404


def test_unknown_board_is_404(client):
    assert client.get("/boards/no-such-board").status_code == 404


def test_board_pages_split_into_pages(client, make, app, monkeypatch):
    monkeypatch.setitem(app.config, "THREADS_PER_PAGE", 2)
    board = make.board()
    for n in range(5):
        make.thread(board, title=f"Conversation number {n}")
    page3 = client.get(f"/boards/{board.slug}?page=3").get_data(as_text=True)
    assert "Conversation number 0" in page3
    assert "Conversation number 4" not in page3
    assert 'aria-label="Pages of conversations"' in page3


# ---- admin pages ---------------------------------------------------------------------

ADMIN_PATHS = ["/admin/boards", "/admin/boards/new", "/admin/boards/{slug}/edit",
               "/admin/boards/{slug}/facilitators"]


@pytest.mark.parametrize("path", ADMIN_PATHS)
def test_admin_pages_are_403_for_members_and_facilitators(client, login, make, app, path):
    board = make.board()
    login(make.user())
    assert client.get(path.format(slug=board.slug)).status_code == 403
    assert _as(app, make.facilitator(board)).get(path.format(slug=board.slug)).status_code == 403
    assert app.test_client().get(path.format(slug=board.slug)).status_code == 401


def test_admin_can_post_to_admin_pages_only_when_admin(client, login, make, db):
    board = make.board("Unchanged")
    login(make.user())
    assert client.post(f"/admin/boards/{board.slug}/archive").status_code == 403
    assert client.post(f"/admin/boards/{board.slug}/edit",
                       data={"name": "Changed"}).status_code == 403
    db.expire_all()
    assert board.name == "Unchanged" and board.archived is False


def _board_form(**overrides):
    data = {"name": "Parkinson's", "slug": "parkinsons", "description": "Talk about it",
            "condition": "Parkinson's disease", "guidelines": "Be kind.",
            "visibility": "public", "posting_policy": "new_members_held",
            "held_first_posts": "2", "risk_policy": "hold_and_flag",
            "report_hide_threshold": "4", "position": "1",
            "sm_who_for": "People with Parkinson's and their carers",
            "sm_frequency": "Any time"}
    data.update(overrides)
    return data


def test_admin_creates_a_board(client, login, make, db):
    login(make.admin())
    assert client.get("/admin/boards/new").status_code == 200
    resp = client.post("/admin/boards/new", data=_board_form())
    assert resp.status_code == 302
    board = db.scalar(select(Board).where(Board.slug == "parkinsons"))
    assert board.name == "Parkinson's"
    assert board.held_first_posts == 2 and board.report_hide_threshold == 4
    assert str(board.risk_policy) == "hold_and_flag"
    assert board.support_model == {"who_for": "People with Parkinson's and their carers",
                                   "frequency": "Any time"}
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "board:create",
                                              AuditEntry.subject_id == board.id))
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "The board Parkinson&#39;s has been created." in page


@pytest.mark.parametrize(("overrides", "message"), [
    ({"name": ""}, "Enter a name for the board."),
    ({"slug": "Not A Slug!"}, "Use lower-case letters, numbers and single dashes"),
    ({"held_first_posts": "lots"}, "Enter a whole number."),
    ({"report_hide_threshold": "5000"}, "Enter a number from 0 to 1,000."),
    ({"visibility": "everyone"}, "Choose one of: public, members, private"),
    ({"description": "x" * 2001}, "2,000 characters or fewer"),
])
def test_admin_board_form_errors_are_422_with_messages(client, login, make, db, overrides,
                                                       message):
    login(make.admin())
    before = db.scalar(select(func.count(Board.id)))
    resp = client.post("/admin/boards/new", data=_board_form(**overrides))
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "There is a problem" in html
    assert message in html
    assert "<title>Error: " in html
    assert db.scalar(select(func.count(Board.id))) == before


def test_admin_duplicate_slug_is_422(client, login, make):
    make.board("Taken", slug="taken")
    login(make.admin())
    resp = client.post("/admin/boards/new", data=_board_form(slug="taken"))
    assert resp.status_code == 422
    assert "Another board already uses that address." in resp.get_data(as_text=True)


def test_admin_edits_a_board(client, login, make, db):
    board = make.board("Old name")
    login(make.admin())
    page = client.get(f"/admin/boards/{board.slug}/edit").get_data(as_text=True)
    assert 'value="Old name"' in page
    resp = client.post(f"/admin/boards/{board.slug}/edit",
                       data=_board_form(name="New name", visibility="members"))
    assert resp.status_code == 302
    db.expire_all()
    assert board.name == "New name" and str(board.visibility) == "members"
    assert board.slug != "parkinsons"  # the address does not change
    bad = client.post(f"/admin/boards/{board.slug}/edit", data=_board_form(position="-1"))
    assert bad.status_code == 422
    assert "Enter a number from 0 to 1,000." in bad.get_data(as_text=True)


def test_admin_archives_and_restores_a_board(client, login, make, db):
    board = make.board("Quiet board")
    started = make.thread(board)
    login(make.admin())
    resp = client.post(f"/admin/boards/{board.slug}/archive", data={"archived": "1"},
                       follow_redirects=True)
    assert "Quiet board has been archived." in resp.get_data(as_text=True)
    db.expire_all()
    assert board.archived is True
    assert "Quiet board" not in client.get("/").get_data(as_text=True)
    thread_page = client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    assert "This board is archived." in thread_page
    client.post(f"/admin/boards/{board.slug}/archive", data={"archived": "0"})
    db.expire_all()
    assert board.archived is False


def test_admin_assigns_and_removes_facilitators(client, login, make, db):
    board = make.board()
    helper = make.user("kindhelper")
    login(make.admin())
    resp = client.post(f"/admin/boards/{board.slug}/facilitators",
                       data={"username": "KindHelper"}, follow_redirects=True)
    assert "kindhelper is now a facilitator of" in resp.get_data(as_text=True)
    assert db.scalar(select(BoardFacilitator.id).where(
        BoardFacilitator.board_id == board.id, BoardFacilitator.user_id == helper.id))
    missing = client.post(f"/admin/boards/{board.slug}/facilitators",
                          data={"username": "nobody-at-all"})
    assert missing.status_code == 422
    client.post(f"/admin/boards/{board.slug}/facilitators", data={"remove": str(helper.id)})
    assert db.scalar(select(BoardFacilitator.id).where(
        BoardFacilitator.board_id == board.id, BoardFacilitator.user_id == helper.id)) is None
    assert client.post(f"/admin/boards/{board.slug}/facilitators",
                       data={"remove": "999999"}).status_code == 404


def _statements(app, fetch):
    engine = app.extensions["db_engine"]
    seen: list[str] = []

    def _before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", _before)
    try:
        resp = fetch()
    finally:
        event.remove(engine, "before_cursor_execute", _before)
    assert resp.status_code == 200
    return len(seen)


def test_board_page_query_count_does_not_grow_with_threads(client, login, make, app):
    member = make.user()
    login(member)
    authors = [make.user() for _ in range(5)]
    small = make.board()
    large = make.board()
    for n in range(3):
        make.thread(small, author=authors[n % 5])
    for n in range(25):
        make.thread(large, author=authors[n % 5])
    for board in (small, large):
        make.facilitator(board)
    assert _statements(app, lambda: client.get(f"/boards/{small.slug}")) == _statements(
        app, lambda: client.get(f"/boards/{large.slug}"))
