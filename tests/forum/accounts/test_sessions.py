"""Server-side sessions: created at sign-in, ended for real, time-outs, the settings page,
and live connections cut when sessions end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.actions import do_change_password
from forum.accounts.models import ApiToken, UserSession
from forum.accounts.sessions import truncate_ip, user_agent_summary
from forum.audit.models import AuditEntry
from forum.db import utcnow
from forum.extensions import socketio
from forum.realtime import bind_socketio

FIREFOX_ANDROID = ("Mozilla/5.0 (Android 14; Mobile; rv:128.0) Gecko/128.0 Firefox/128.0")


def _rows(db: Session, user_id: int) -> list[UserSession]:
    db.expire_all()
    return list(db.scalars(select(UserSession).where(UserSession.user_id == user_id)))


def _browser(app: Flask, ip: str = "203.0.113.77") -> FlaskClient:
    client = app.test_client()
    client.environ_base.update({"REMOTE_ADDR": ip, "HTTP_USER_AGENT": FIREFOX_ANDROID})
    return client


def _signed_in(client: FlaskClient) -> bool:
    return client.get("/settings").status_code == 200


def test_sign_in_records_a_session_with_only_a_rough_device_and_place(app, db, make, sign_in
                                                                       ) -> None:
    user = make.user("Rowan")
    browser = _browser(app)
    sign_in(browser, "Rowan")
    [row] = _rows(db, user.id)
    assert row.user_agent == "Firefox on Android"
    assert row.ip_network == "203.0.113.0/24"
    assert row.revoked_at is None and row.remember is False
    with browser.session_transaction() as sess:
        key = sess["_user_id"].split(":")[2]
    assert key not in row.id  # only a digest of the key is stored


def test_signing_out_ends_the_session_so_an_old_cookie_is_worthless(app, db, make, sign_in
                                                                     ) -> None:
    user = make.user("Rowan")
    browser = _browser(app)
    sign_in(browser, "Rowan")
    with browser.session_transaction() as sess:
        stolen = dict(sess)
    browser.post("/sign-out")
    [row] = _rows(db, user.id)
    assert row.revoked_at is not None
    thief = _browser(app)
    with thief.session_transaction() as sess:
        sess.update(stolen)
    assert not _signed_in(thief)


def test_ending_a_session_kills_its_remember_me_cookie(app, db, make, sign_in) -> None:
    user = make.user("Rowan")
    phone = _browser(app)
    sign_in(phone, "Rowan", remember=True)
    with phone.session_transaction() as sess:
        sess.clear()  # the browser was closed: only the remember-me cookie is left
    assert _signed_in(phone)
    laptop = _browser(app, "198.51.100.4")
    sign_in(laptop, "Rowan")
    page = laptop.get("/settings/sessions").get_data(as_text=True)
    assert page.count('<li class="nhsuk-card') == 2
    laptop.post("/settings/sessions/end-others")
    with phone.session_transaction() as sess:
        sess.clear()
    assert not _signed_in(phone)
    assert _signed_in(laptop)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "session:end_others"))
    assert entry is not None and entry.actor_id == user.id


def test_sign_out_one_other_device_from_the_list(app, db, make, sign_in) -> None:
    user = make.user("Rowan")
    phone, laptop = _browser(app), _browser(app, "2001:db8:1:2:3:4:5:6")
    sign_in(phone, "Rowan")
    sign_in(laptop, "Rowan")
    phone_row = next(r for r in _rows(db, user.id) if r.ip_network == "203.0.113.0/24")
    laptop_row = next(r for r in _rows(db, user.id) if r is not phone_row)
    assert laptop_row.ip_network == "2001:db8:1:2::/64"
    resp = laptop.post(f"/settings/sessions/{phone_row.id[:32]}/end")
    assert resp.status_code == 303
    assert not _signed_in(phone) and _signed_in(laptop)
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "session:end")) is not None
    # Someone else's session is not found, and nothing changes.
    other = make.user("Sam")
    sam = _browser(app)
    sign_in(sam, "Sam")
    assert sam.post(f"/settings/sessions/{laptop_row.id[:32]}/end").status_code == 404
    assert _signed_in(laptop)
    assert other.id != user.id


@pytest.mark.parametrize(("role", "idle", "signed_in"), [
    ("member", timedelta(minutes=119), True),
    ("member", timedelta(minutes=121), False),
    ("facilitator", timedelta(minutes=29), True),
    ("facilitator", timedelta(minutes=31), False),
])
def test_idle_time_outs_are_shorter_for_staff(app, db, make, sign_in, role, idle, signed_in
                                              ) -> None:
    from forum.accounts.sessions import Device, start_session

    user = make.user("Rowan", role=role)
    key = start_session(db, user, Device())
    db.commit()
    [row] = _rows(db, user.id)
    row.last_seen_at = utcnow() - idle
    db.commit()
    browser = _browser(app)
    with browser.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}:{user.session_version}:{key}"
    assert _signed_in(browser) is signed_in


def test_remembered_members_stay_longer_but_not_past_the_absolute_limit(app, db, make) -> None:
    from forum.accounts.sessions import Device, start_session

    user = make.user("Rowan")
    key = start_session(db, user, Device(remember=True))
    db.commit()
    [row] = _rows(db, user.id)
    row.last_seen_at = utcnow() - timedelta(days=13)
    db.commit()
    browser = _browser(app)
    with browser.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}:{user.session_version}:{key}"
    assert _signed_in(browser)
    row.created_at = utcnow() - timedelta(days=31)
    db.commit()
    assert not _signed_in(browser)


def test_last_seen_is_written_at_most_once_a_minute(app, db, make, sign_in) -> None:
    user = make.user("Rowan")
    browser = _browser(app)
    sign_in(browser, "Rowan")
    [row] = _rows(db, user.id)
    first = row.last_seen_at
    browser.get("/settings")
    assert _rows(db, user.id)[0].last_seen_at == first
    row.last_seen_at = first - timedelta(minutes=2)
    db.commit()
    browser.get("/settings")
    assert _rows(db, user.id)[0].last_seen_at > first - timedelta(minutes=2)


def test_an_id_without_a_session_key_is_refused_outside_tests(app, make, login) -> None:
    user = make.user("Rowan")
    client = login(user)
    app.config["ALLOW_KEYLESS_SESSIONS"] = False
    try:
        assert not _signed_in(client)
    finally:
        app.config["ALLOW_KEYLESS_SESSIONS"] = True


def test_changing_password_ends_other_sessions_but_keeps_this_one(app, db, make, sign_in
                                                                   ) -> None:
    user = make.user("Rowan")
    phone, laptop = _browser(app), _browser(app)
    sign_in(phone, "Rowan", remember=True)
    sign_in(laptop, "Rowan")
    resp = laptop.post("/settings/password", data={"current_password": PASSWORD,
                                                   "new_password": "quiet harbour lanterns"})
    assert resp.status_code == 303
    assert _signed_in(laptop)
    with phone.session_transaction() as sess:
        sess.clear()
    assert not _signed_in(phone)
    live = [r for r in _rows(db, user.id) if r.revoked_at is None]
    assert len(live) == 1


@pytest.fixture()
def sockets(app: Flask, db: Session) -> Iterator[list[Any]]:
    if socketio.server is not app.extensions.get("socketio_server"):
        bind_socketio(app)
    opened: list[Any] = []
    yield opened
    for client in opened:
        if client.is_connected():
            client.disconnect()


def _socket(app: Flask, http: FlaskClient, opened: list[Any]) -> Any:
    client = socketio.test_client(app, flask_test_client=http)
    opened.append(client)
    return client


def test_password_change_disconnects_every_live_connection_at_once(app, db, make, sign_in,
                                                                    sockets) -> None:
    user = make.user("Rowan")
    phone = _browser(app)
    sign_in(phone, "Rowan")
    live = _socket(app, phone, sockets)
    assert live.is_connected()
    do_change_password(db, actor=make.viewer(user), current_password=PASSWORD,
                       new_password="quiet harbour lanterns")
    # The client was told why, then the server closed the connection.
    assert [m["name"] for m in live.queue] == ["session.ended"]
    assert not live.is_connected()


def test_signing_out_one_device_cuts_only_its_connections(app, db, make, sign_in,
                                                          sockets) -> None:
    user = make.user("Rowan")
    phone, laptop = _browser(app), _browser(app, "198.51.100.4")
    sign_in(phone, "Rowan")
    sign_in(laptop, "Rowan")
    phone_socket, laptop_socket = _socket(app, phone, sockets), _socket(app, laptop, sockets)
    phone_row = next(r for r in _rows(db, user.id) if r.ip_network == "203.0.113.0/24")
    laptop.post(f"/settings/sessions/{phone_row.id[:32]}/end")
    assert not phone_socket.is_connected()
    assert laptop_socket.is_connected()


def test_a_suspension_disconnects_the_member(app, db, make, sign_in, sockets) -> None:
    from forum.accounts.actions import do_set_role

    user = make.user("Rowan")
    phone = _browser(app)
    sign_in(phone, "Rowan")
    live = _socket(app, phone, sockets)
    do_set_role(db, actor=None, user=user, role="facilitator")
    assert not live.is_connected()
    assert not _signed_in(phone)


def test_device_summary_and_network_reveal_little() -> None:
    assert user_agent_summary(FIREFOX_ANDROID) == "Firefox on Android"
    assert user_agent_summary(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
        "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1") == "Safari on iPhone"
    assert user_agent_summary("") == ""
    assert truncate_ip("192.0.2.200") == "192.0.2.0/24"
    assert truncate_ip("::ffff:192.0.2.9") == "192.0.2.0/24"
    assert truncate_ip("2001:db8::1") == "2001:db8::/64"
    assert truncate_ip("not an address") == ""


def test_a_token_notes_when_it_was_last_used_at_most_once_a_minute(client, db, make) -> None:
    from forum.accounts.actions import do_create_token

    user = make.user("Rowan")
    token, secret = do_create_token(db, actor=make.viewer(user), name="phone")
    assert token.last_used_at is None
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    db.expire_all()
    first = db.get(ApiToken, token.id).last_used_at
    assert first is not None
    client.get("/api/v1/me", headers=headers)
    db.expire_all()
    assert db.get(ApiToken, token.id).last_used_at == first


def _end_by(how: str, db: Session, make: Any, user: Any, keep: str | None) -> None:
    from forum.accounts.actions import do_set_role
    from forum.accounts.sessions import do_end_other_sessions
    from moderation.actions import do_suspend_member

    if how == "password":
        do_change_password(db, actor=make.viewer(user), current_password=PASSWORD,
                           new_password="quiet harbour lanterns")
    elif how == "role":
        do_set_role(db, actor=None, user=user, role="facilitator")
    elif how == "suspension":
        do_suspend_member(db, actor=make.viewer(make.admin()), user=user, days=30,
                          reason="Repeated abuse of other members")
    else:
        do_end_other_sessions(db, actor=make.viewer(user), current_digest=keep)


@pytest.mark.parametrize("how", ["password", "role", "suspension", "everywhere else"])
def test_each_way_of_ending_sessions_ends_cookie_remember_me_and_socket(
        app, db, make, sign_in, sockets, how) -> None:
    user = make.user("Rowan")
    phone, laptop = _browser(app), _browser(app, "198.51.100.4")
    sign_in(phone, "Rowan", remember=True)
    sign_in(laptop, "Rowan")
    assert phone.get_cookie("remember_token") is not None
    live = _socket(app, phone, sockets)
    assert live.is_connected() and _signed_in(phone)
    laptop_row = next(r for r in _rows(db, user.id) if r.ip_network == "198.51.100.0/24")
    _end_by(how, db, make, user, laptop_row.id)
    assert not live.is_connected()
    assert not _signed_in(phone)
    # The remember-me cookie alone does not bring the session back either.
    with phone.session_transaction() as sess:
        sess.clear()
    assert not _signed_in(phone)
    if how == "everywhere else":
        assert _signed_in(laptop)  # "everywhere else" keeps this browser


@pytest.mark.parametrize(("role", "age", "signed_in"), [
    ("member", timedelta(days=29), True),
    ("member", timedelta(days=31), False),
    ("facilitator", timedelta(hours=11), True),
    ("facilitator", timedelta(hours=13), False),
    ("admin", timedelta(hours=13), False),
])
def test_absolute_time_outs_are_shorter_for_staff(app, db, make, role, age, signed_in
                                                  ) -> None:
    from forum.accounts.sessions import Device, start_session

    user = make.user("Rowan", role=role)
    key = start_session(db, user, Device(remember=True))
    db.commit()
    [row] = _rows(db, user.id)
    # Busy all along (seen a moment ago): only the session's age can end it.
    row.created_at = utcnow() - age
    row.last_seen_at = utcnow()
    db.commit()
    browser = _browser(app)
    with browser.session_transaction() as sess:
        sess["_user_id"] = f"{user.id}:{user.session_version}:{key}"
    assert _signed_in(browser) is signed_in


# Sessions are signed, so only a holder of SECRET_KEY can write these; in development that
# key is the public placeholder. Whatever the id, the visitor is simply not signed in.
@pytest.mark.parametrize("user_id", ["9" * 30, "²:1:key", 3, ["3"], None, "-1:1:key"])
def test_a_session_naming_no_possible_member_is_nobody(app, db, make, client, user_id) -> None:
    make.user()
    with client.session_transaction() as sess:
        sess["_user_id"] = user_id
    assert client.get("/").status_code == 200
    assert client.get("/settings").status_code in (302, 401)
    assert client.get("/api/v1/me").status_code == 401
