"""Closing an account: identity gone, words gone (or kept as "Former member"), replies
still make sense, moderation records kept without the name, one audit entry without data."""

from __future__ import annotations

import pytest
from helpers import PASSWORD
from sqlalchemy import func, select

from forum.accounts.actions import authenticate, do_create_token
from forum.accounts.models import ApiToken, User, UserStatus
from forum.audit.models import AuditEntry
from forum.boards.models import BoardMembership
from forum.errors import Conflict, Invalid
from forum.notifications.models import Notification
from forum.privacy.actions import do_delete_account
from forum.privacy.erasure import ERASED_TITLE, QUOTE_REMOVED, rewrite_quotes
from forum.threads.actions import do_add_reaction, quote_source
from forum.threads.models import Post, PostQuote, PostRevision, PostState, Reaction, ThreadFollow
from moderation.actions.members import do_add_staff_note
from moderation.models import StaffNote


@pytest.fixture()
def scene(db, make):  # type: ignore[no-untyped-def]
    board = make.board("Carers")
    wren = make.member_of(board, "wren")
    heron = make.member_of(board, "heron")
    opening = make.thread(board, wren, title="Caring for my dad with COPD",
                          body="My dad's breathing is worse at night.")
    quoting = make.reply(opening.thread, heron,
                         body=quote_source(opening.post) + "Ours too. A fan helped.",
                         quote_post_id=opening.post.id)
    wren_reply = make.reply(opening.thread, wren, body="Thank you, heron.")
    do_add_reaction(db, actor=make.viewer(wren), post=quoting.post, kind="hug")
    do_add_reaction(db, actor=make.viewer(heron), post=opening.post, kind="hug")
    do_create_token(db, actor=make.viewer(wren), name="Laptop")
    admin = make.admin()
    do_add_staff_note(db, actor=make.viewer(admin), user=wren, body="Checked in by message.")
    return {"board": board, "wren": wren, "heron": heron, "opening": opening,
            "quoting": quoting.post, "wren_reply": wren_reply.post}


def _delete(db, make, user, mode="erase", **kwargs):  # type: ignore[no-untyped-def]
    fields = {"password": PASSWORD, "confirmation": "Delete my account", "mode": mode}
    fields.update(kwargs)
    return do_delete_account(db, actor=make.viewer(user), **fields)


def test_erase_removes_words_identity_and_quotes(db, make, scene, captured_events) -> None:
    wren, heron = scene["wren"], scene["heron"]
    uid, version = wren.id, wren.session_version
    _delete(db, make, wren)
    db.expire_all()
    user = db.get(User, uid)
    assert user.username == f"former-member-{uid}"
    assert "wren" not in user.email and user.status == UserStatus.DELETED
    assert user.session_version == version + 1
    assert authenticate(db, "wren", PASSWORD) is None
    assert authenticate(db, "wren@example.org", PASSWORD) is None
    opening = db.get(Post, scene["opening"].post.id)
    assert opening.state == PostState.DELETED and opening.body_source == ""
    assert opening.author_id is None
    assert scene["opening"].thread.title == ERASED_TITLE
    quoting = db.get(Post, scene["quoting"].id)
    assert "breathing" not in quoting.body_source and "breathing" not in quoting.body_html
    assert QUOTE_REMOVED in quoting.body_html and "A fan helped." in quoting.body_html
    assert "wren" not in quoting.body_source
    assert db.scalar(select(func.count()).select_from(PostQuote).where(
        PostQuote.quoted_author_id == uid)) == 0
    for model, column in ((ApiToken, ApiToken.user_id), (Reaction, Reaction.user_id),
                          (ThreadFollow, ThreadFollow.user_id),
                          (BoardMembership, BoardMembership.user_id),
                          (Notification, Notification.user_id)):
        assert db.scalar(select(func.count()).select_from(model).where(column == uid)) == 0
    # heron's reaction to the erased post went with it; heron's own post is untouched.
    assert db.get(User, heron.id).username == "heron"
    # The staff note stays, pointing at the nameless account.
    assert db.scalar(select(StaffNote.subject_id)) == uid
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "user:delete")).one()
    assert (entry.actor_id, entry.subject_id, entry.after, entry.before) == (
        uid, uid, {"mode": "erase"}, {})
    assert entry.reason == ""
    names = {(e.name, e.payload.get("post_id")) for e in captured_events}
    assert ("post.deleted", scene["opening"].post.id) in names
    assert ("post.deleted", scene["wren_reply"].id) in names
    assert ("post.updated", scene["quoting"].id) in names
    assert ("reaction.changed", scene["quoting"].id) in names


def test_erased_words_stay_for_staff_only_until_the_purge(db, make, scene) -> None:
    _delete(db, make, scene["wren"])
    revision = db.scalars(select(PostRevision).where(
        PostRevision.post_id == scene["opening"].post.id,
        PostRevision.reason == "account closed")).one()
    assert revision.editor_id is None and "breathing" in revision.body_source


def test_keep_leaves_posts_under_former_member(db, make, scene, captured_events) -> None:
    uid = scene["wren"].id
    _delete(db, make, scene["wren"], mode="keep")
    db.expire_all()
    opening = db.get(Post, scene["opening"].post.id)
    assert opening.state == PostState.PUBLISHED and "breathing" in opening.body_source
    assert opening.author_id is None
    quoting = db.get(Post, scene["quoting"].id)
    assert "**Former member** wrote" in quoting.body_source and "wren" not in quoting.body_source
    assert "breathing" in quoting.body_source
    assert db.scalar(select(PostQuote.quoted_author_id).where(
        PostQuote.post_id == quoting.id)) is None
    assert db.get(User, uid).username == f"former-member-{uid}"
    assert ("post.updated", opening.id) in {(e.name, e.payload.get("post_id"))
                                            for e in captured_events}


@pytest.mark.parametrize(("fields", "field"), [
    ({"password": "wrong"}, "password"),
    ({"confirmation": "delete"}, "confirmation"),
    ({"mode": "shred"}, "mode"),
])
def test_refused_without_password_and_confirmation(db, make, scene, captured_events,
                                                   fields, field) -> None:
    wren = scene["wren"]
    with pytest.raises(Invalid) as exc:
        _delete(db, make, wren, **fields)
    assert field in exc.value.fields
    db.expire_all()
    assert db.get(User, wren.id).username == "wren"
    assert db.get(Post, scene["opening"].post.id).body_source.startswith("My dad")
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "user:delete")).all() == []
    assert captured_events == []


def test_a_quote_pasted_by_hand_is_found_too(db, make, scene) -> None:
    pasted = make.reply(scene["opening"].thread, make.user("kite"),
                        body=quote_source(scene["opening"].post) + "Same for my mum.").post
    _delete(db, make, scene["wren"])
    db.expire_all()
    assert "breathing" not in db.get(Post, pasted.id).body_source
    assert QUOTE_REMOVED in db.get(Post, pasted.id).body_source


def test_the_only_admin_cannot_close_their_account(db, make) -> None:
    admin = make.admin()
    others = db.scalar(select(func.count(User.id)).where(User.role == "admin"))
    if others == 1:
        with pytest.raises(Conflict):
            _delete(db, make, admin)
        assert db.get(User, admin.id).status == UserStatus.ACTIVE
    second = make.admin()
    _delete(db, make, second)
    assert db.get(User, second.id).status == UserStatus.DELETED


def test_rewrite_quotes_only_touches_the_named_posts() -> None:
    source = ("> **wren** wrote ([post 4](#post-4)):\n>\n> night is worse\n\n"
              "> **kite** wrote ([post 9](#post-9)):\n>\n> keep this\n\nMy reply.")
    out = rewrite_quotes(source, {4}, remove=True)
    assert "night is worse" not in out and "keep this" in out and "My reply." in out
    assert out.startswith(QUOTE_REMOVED)
    kept = rewrite_quotes(source, {4}, remove=False)
    assert kept.startswith("> **Former member** wrote ([post 4](#post-4)):")
    assert "night is worse" in kept and "wren" not in kept


def test_closing_through_the_page_signs_out(db, make, login, scene) -> None:
    client = login(scene["wren"])
    page = client.get("/settings/close-account")
    assert page.status_code == 200
    assert "cannot be undone" in page.get_data(as_text=True)
    bad = client.post("/settings/close-account", data={
        "mode": "erase", "confirmation": "yes", "password": PASSWORD})
    assert bad.status_code == 422 and "Error: " in bad.get_data(as_text=True)
    response = client.post("/settings/close-account", data={
        "mode": "erase", "confirmation": "delete my account", "password": PASSWORD})
    assert response.status_code == 303 and response.headers["Location"].endswith(
        "/account-closed")
    assert "Your account is closed" in client.get("/account-closed").get_data(as_text=True)
    again = client.get("/settings")
    assert again.status_code == 302 and "/sign-in" in again.headers["Location"]


def test_the_thread_still_reads_after_erasure(db, make, client, scene) -> None:
    _delete(db, make, scene["wren"])
    page = client.get(f"/threads/{scene['opening'].thread.id}").get_data(as_text=True)
    assert ERASED_TITLE in page and "A fan helped." in page
    assert "breathing" not in page and "wren" not in page


def test_erase_leaves_no_session_secret_or_mail_behind(db, make, scene) -> None:
    from forum.accounts.models import RecoveryCode, UserSession
    from forum.accounts.sessions import Device, start_session
    from forum.mail_models import OutgoingMail

    wren = scene["wren"]
    uid = wren.id
    start_session(db, wren, Device(ip="192.0.2.40", user_agent="Firefox", remember=True))
    db.add(RecoveryCode(user_id=uid, code_hash="0" * 64))
    db.add(OutgoingMail(user_id=uid, kind="password-changed", to_address="wren@example.org",
                        subject="Your password was changed", text="Hello wren"))
    wren.totp_secret_enc = "encrypted-secret"
    wren.totp_enabled_at = wren.created_at
    db.commit()
    _delete(db, make, wren)
    db.expire_all()
    for model in (UserSession, RecoveryCode, OutgoingMail):
        assert db.scalar(select(func.count()).select_from(model).where(
            model.user_id == uid)) == 0, model.__name__
    assert db.scalar(select(func.count()).select_from(OutgoingMail).where(
        OutgoingMail.to_address == "wren@example.org")) == 0
    user = db.get(User, uid)
    assert user.totp_secret_enc is None and user.totp_enabled_at is None


def _everything_cached(app) -> str:  # type: ignore[no-untyped-def]
    from forum.page_cache import page_cache
    from forum.render_cache import render_cache

    held = []
    for cache in (render_cache(app), page_cache(app)):
        for key, (value, _cost) in list(cache._items.items()):
            held.append(repr(key))
            parts = getattr(value, "parts", None)
            held.append(b"".join(p for p in parts if isinstance(p, bytes)).decode()
                        if parts is not None else str(value))
    return "\n".join(held)


@pytest.fixture()
def caches_on(app):  # type: ignore[no-untyped-def]
    from forum.page_cache import page_cache
    from forum.render_cache import render_cache

    kept = [render_cache(app), page_cache(app)]
    budgets = [c.max_bytes for c in kept]
    for c in kept:
        c.clear()
        c.max_bytes = 8 * 1024 * 1024
    yield
    for c, budget in zip(kept, budgets, strict=True):
        c.max_bytes = budget
        c.clear()


@pytest.mark.parametrize("mode", ["erase", "keep"])
def test_no_cached_copy_of_the_member_survives(app, db, make, client, scene, caches_on,
                                               mode) -> None:
    thread_id = scene["opening"].thread.id
    # Read twice: the second read is served from the kept page.
    for _ in range(2):
        page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
        assert "breathing" in page and "wren" in page
    before = _everything_cached(app)
    assert "breathing" in before and "wren" in before  # the check can fail
    _delete(db, make, scene["wren"], mode=mode)
    after = _everything_cached(app)
    assert "wren" not in after
    if mode == "erase":
        assert "breathing" not in after
    page = client.get(f"/threads/{thread_id}").get_data(as_text=True)
    assert "wren" not in page and ("breathing" in page) is (mode == "keep")


def test_other_processes_empty_their_caches_when_they_hear_of_a_closed_account(
        monkeypatch) -> None:
    import socketio

    from forum.render_cache import PURGE_EVENT, PURGE_ROOM, FragmentCache
    from forum.session_sockets import EmbeddedManager, ScaleManager

    cache: FragmentCache[str] = FragmentCache(4096)

    def filled() -> FragmentCache[str]:
        cache.put(("post", 1), "My dad's breathing is worse at night.")
        assert len(cache) == 1
        return cache

    # One process: the emit itself.
    filled()
    server = socketio.Server(client_manager=EmbeddedManager())
    server.emit("post.updated", {}, to="thread:1")
    assert len(cache) == 1  # other events leave the caches alone
    server.emit(PURGE_EVENT, {}, to=PURGE_ROOM)
    assert len(cache) == 0
    # Scale mode: every process handles the message that came through Redis.
    filled()
    monkeypatch.setattr(socketio.RedisManager, "_handle_emit", lambda self, message: None)
    manager = ScaleManager.__new__(ScaleManager)
    manager._handle_emit({"event": PURGE_EVENT, "namespace": "/", "room": PURGE_ROOM,
                          "data": {}})
    assert len(cache) == 0


def test_every_column_pointing_at_members_has_a_decision_on_closing() -> None:
    from forum.models import metadata
    from forum.privacy.inventory import (
        CLOSE_DELETES,
        CLOSE_DETACHES,
        CLOSE_KEEPS,
        CLOSE_KEEPS_STAFF_WORK,
        user_foreign_keys,
    )

    groups = [CLOSE_DELETES, CLOSE_DETACHES, set(CLOSE_KEEPS), CLOSE_KEEPS_STAFF_WORK]
    decided = set().union(*groups)
    keys = user_foreign_keys(list(metadata.sorted_tables))
    assert keys - decided == set(), "decide in forum/privacy/inventory.py what closing does"
    assert decided - keys == set()
    assert sum(len(g) for g in groups) == len(decided)  # each in one group only
    assert all(len(reason) > 20 for reason in CLOSE_KEEPS.values())


@pytest.mark.parametrize("mode", ["erase", "keep"])
def test_after_closing_no_deleted_or_detached_row_points_at_the_member(db, make, scene,
                                                                       mode) -> None:
    from sqlalchemy import text

    from forum.accounts.sessions import Device, start_session
    from forum.boards.actions import do_assign_facilitator
    from forum.boards.models import Visibility
    from forum.mail_models import OutgoingMail
    from forum.privacy.inventory import CLOSE_DELETES, CLOSE_DETACHES
    from forum.privacy.models import SignInAddress
    from forum.threads.actions import do_follow_thread

    wren, heron = scene["wren"], scene["heron"]
    uid = wren.id
    # Rows in as many of the tables as a member can have.
    start_session(db, wren, Device(ip="192.0.2.40"))
    db.add(SignInAddress(user_id=uid, ip="192.0.2.40"))
    db.add(OutgoingMail(user_id=uid, to_address="wren@example.org", subject="s", text="t"))
    do_follow_thread(db, actor=make.viewer(wren), thread=scene["opening"].thread,
                     follow=True)
    # wren as a trained facilitator of a private board, who invited someone to it.
    private = make.board("Private corner", visibility=Visibility.PRIVATE)
    do_assign_facilitator(db, actor=None, board=private, user=wren)  # a member too
    db.add(BoardMembership(board_id=private.id, user_id=make.user("tern").id,
                           invited_by_id=uid))
    make.reply(scene["opening"].thread, heron, body="Thanks wren.")  # notifies wren
    db.commit()
    _delete(db, make, wren, mode=mode)
    left = {}
    for table, column in sorted(CLOSE_DELETES | CLOSE_DETACHES):
        left[(table, column)] = db.execute(text(
            f"SELECT COUNT(*) FROM {table} WHERE {column} = :uid"), {"uid": uid}).scalar()
    assert {key: n for key, n in left.items() if n} == {}
