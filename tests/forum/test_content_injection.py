"""Member text beyond posts never becomes active content on a real page or in an email.

Thread titles, usernames, board names, descriptions and guidelines, staff notes and
watched-word messages are plain text, escaped by Jinja. Each surface is filled with a
fixed list of injection tricks (each carrying ``MARK`` where it would land if it escaped:
a tag's attribute name, a script's text, a handler's value) and with hypothesis-made
mixtures, then the real pages are rendered and parsed: nothing member-made may run
script, carry an ``on*`` handler or a ``javascript:`` link, style the page, or make a
form or frame (``helpers.active_content`` with a marker). Emails are checked to be plain
text only, with member text unable to add a header.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from helpers import Factories, active_content
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from forum.boards.actions import do_assign_facilitator
from forum.db import utcnow
from forum.notifications.actions import do_set_email_frequency
from forum.notifications.jobs import send_due_emails
from moderation.actions import do_add_staff_note, do_save_watched_word

MARK = "zq9"
TRICKS = [
    f"<script>{MARK}()</script>",
    f"<img data-{MARK} src=x onerror=alert(1)>",
    f'"><img data-{MARK} src=x onerror=alert(1)>',
    f"'><svg data-{MARK} onload=alert(1)>",
    f'" onfocus="{MARK}()" autofocus="',
    f"' onmouseover='{MARK}()",
    f"<iframe data-{MARK} src=//evil.example></iframe>",
    f"<form data-{MARK} action=/sign-out method=post><button>Win</button></form>",
    f'<a data-{MARK} href="javascript:alert(1)">x</a>',
    f"javascript:{MARK}()",
    f"<div data-{MARK} style='position:fixed;inset:0'>overlay</div>",
    f"<style>.{MARK}{{display:none}}</style>",
    f"</title><script>{MARK}()</script>",
    f"</textarea><script>{MARK}()</script>",
    f"<math data-{MARK}><mtext><style><img src=x onerror=alert(1)>",
    f"{{{{7*7}}}}{MARK}",
    f"&lt;script&gt;{MARK}&lt;/script&gt;",
]
# Short enough for a username (32 characters at most).
SHORT_TRICKS = [t for t in TRICKS if len(t) <= 28] + [f"<b data-{MARK} onclick=x>"]
fragments = st.sampled_from(["<", ">", '"', "'", "=", "/", " ", "script", "on", "error",
                             "style", "javascript:", "&#", ";", "{{", "}}", "iframe",
                             "form", "img", "svg", "data-" + MARK, MARK, "(", ")"])
mixtures = st.lists(fragments, min_size=1, max_size=25).map(lambda parts: "".join(parts)
                                                              + " " + MARK)
FUZZ = settings(max_examples=12, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])
_n = itertools.count(1)


def _checked(client: FlaskClient, *paths: str) -> None:
    for path in paths:
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        page = response.get_data(as_text=True)
        assert active_content(page, MARK) == [], (path, active_content(page, MARK))
        assert f"49{MARK}" not in page  # no template evaluation of member text


def test_the_page_checker_can_fail() -> None:
    assert active_content(f"<p><img data-{MARK} src=x onerror=alert(1)></p>", MARK)
    assert active_content(f"<script>{MARK}()</script>", MARK)
    assert active_content(f'<input value="" onfocus="{MARK}()">', MARK)
    assert active_content(f'<a href="javascript:{MARK}()">x</a>', MARK)
    # The layout's own script, and escaped member text in attributes, are fine.
    assert active_content(f'<script src="/x.js"></script><input value="&quot;{MARK}">',
                          MARK) == []


def _world(make: Factories, db: Session) -> tuple:  # type: ignore[type-arg]
    admin = make.admin()
    board = make.board(f"Board {next(_n)}")
    do_assign_facilitator(db, actor=None, board=board, user=admin)
    member = make.member_of(board)
    return admin, board, member


def _title_and_board_pages(client: FlaskClient, make: Factories, db: Session,
                           text: str) -> None:
    admin, board, member = _world(make, db)
    thread = make.thread(board, member, title=text[:150], body=text).thread
    other = make.board(f"{text[:60]} {next(_n)}", description=text, guidelines=text)
    client.get("/")  # warm
    with client.session_transaction() as sess:
        sess["_user_id"] = admin.get_id()
        sess["_fresh"] = True
    _checked(client, "/", f"/boards/{board.slug}", f"/threads/{thread.id}",
             f"/boards/{other.slug}", f"/admin/boards/{other.slug}/edit", "/admin/boards")


def test_titles_and_board_texts_with_known_tricks(
        client: FlaskClient, make: Factories, db: Session) -> None:
    for trick in TRICKS:
        _title_and_board_pages(client, make, db, trick)


@FUZZ
@given(text=mixtures)
def test_titles_and_board_texts_fuzzed(
        client: FlaskClient, make: Factories, db: Session, text: str) -> None:
    _title_and_board_pages(client, make, db, text)


def test_usernames_with_tricks(client: FlaskClient, make: Factories, db: Session) -> None:
    """Made directly (the sign-up form refuses such names): the pages must hold anyway."""
    admin, board, _member = _world(make, db)
    for trick in SHORT_TRICKS:
        name = f"{trick}{next(_n)}"
        assert MARK in name and len(name) <= 32
        author = make.user(name, email=f"u{next(_n)}@example.org")
        outcome = make.thread(board, author, title="Hello")
        make.reply(outcome.thread, author, body=f"@{name} hello")
        do_add_staff_note(db, actor=make.viewer(admin), user=author, body="Note")
        with client.session_transaction() as sess:
            sess["_user_id"] = admin.get_id()
            sess["_fresh"] = True
        _checked(client, f"/threads/{outcome.thread.id}", f"/boards/{board.slug}",
                 f"/moderation/members/{author.id}/notes")


def _staff_and_watched_pages(client: FlaskClient, make: Factories, db: Session,
                             text: str) -> None:
    admin, board, member = _world(make, db)
    do_add_staff_note(db, actor=make.viewer(admin), user=member, body=text)
    word = f"blocked{next(_n)}word"
    rule = do_save_watched_word(db, actor=make.viewer(admin), pattern=word, action="block",
                                message=text)
    with client.session_transaction() as sess:
        sess["_user_id"] = admin.get_id()
        sess["_fresh"] = True
    _checked(client, f"/moderation/members/{member.id}/notes",
             "/moderation/admin/watched-words", f"/moderation/admin/watched-words/{rule.id}")
    # The member meets the watched-word message when their post is blocked.
    thread = make.thread(board, member).thread
    with client.session_transaction() as sess:
        sess["_user_id"] = member.get_id()
    response = client.post(f"/threads/{thread.id}/reply", data={"body": f"a {word} b"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert active_content(page, MARK) == []


def test_staff_notes_and_watched_word_messages_with_known_tricks(
        client: FlaskClient, make: Factories, db: Session) -> None:
    for trick in TRICKS:
        _staff_and_watched_pages(client, make, db, trick)


@FUZZ
@given(text=mixtures)
def test_staff_notes_and_watched_word_messages_fuzzed(
        client: FlaskClient, make: Factories, db: Session, text: str) -> None:
    _staff_and_watched_pages(client, make, db, text)


def test_emails_stay_plain_text_whatever_the_title(
        app: Flask, db: Session, make: Factories, mailbox) -> None:  # type: ignore[no-untyped-def]
    board = make.board()
    reader = make.user("emailreader")
    do_set_email_frequency(db, actor=make.viewer(reader), frequency="immediate")
    titles = [*TRICKS, f"Hi\r\nBcc: victim@example.org\r\n\r\n<script>{MARK}</script>"]
    for title in titles:
        thread = make.thread(board, author=reader, title=title[:150]).thread
        make.reply(thread, author=make.user(f"<b>{MARK}</b>{next(_n)}"), body="Same here.")
    assert send_due_emails(app, now=utcnow() + timedelta(seconds=30)).sent == len(titles)
    messages = mailbox.to("emailreader@example.org")
    assert len(messages) == len(titles)
    for msg in messages:
        assert not msg.is_multipart() and msg.get_content_type() == "text/plain"
        assert msg["Bcc"] is None and "victim" not in str(msg["To"])
        assert "\n" not in str(msg["Subject"])
