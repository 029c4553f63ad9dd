"""Signing in and out: one message for every failure, remember-me cookie, fresh sessions,
and no redirects off the site."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parsedate_to_datetime

import pytest
from argon2 import PasswordHasher
from helpers import PASSWORD
from sqlalchemy import select

from config import load_config
from forum.accounts.actions import SIGN_IN_FAILED
from forum.accounts.models import UserStatus
from forum.accounts.passwords import verify_password
from forum.audit.models import AuditEntry
from forum.db import utcnow


def _audits(db, action: str, user_id: int) -> int:  # type: ignore[no-untyped-def]
    return len(db.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.actor_id == user_id)).all())


def _cookie_header(resp, name: str) -> str:  # type: ignore[no-untyped-def]
    [header] = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(name + "=")]
    return str(header)


def test_sign_in_page_has_autocomplete_hints(client) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    assert 'autocomplete="username"' in page and 'autocomplete="current-password"' in page


@pytest.mark.parametrize("login", ["Rowan", "rowan", "rowan@example.org", "ROWAN@example.org"])
def test_sign_in_with_username_or_email(client, db, make, sign_in, signed_in,
                                        login: str) -> None:
    user = make.user("Rowan", email="rowan@example.org")
    resp = sign_in(client, login)
    assert resp.status_code == 303 and resp.headers["Location"] == "/"
    assert signed_in(client)
    db.refresh(user)
    assert user.last_seen_at is not None
    assert _audits(db, "user:login", user.id) == 1


def test_sign_in_failures_all_say_the_same(client, db, make, sign_in, signed_in) -> None:
    make.user("Rowan", email="rowan@example.org")
    make.user("Sleeper", status=UserStatus.SUSPENDED)
    answers = [sign_in(client, "Rowan", "not the right password at all"),
               sign_in(client, "nobody-here", PASSWORD),
               sign_in(client, "nobody@example.org", PASSWORD),
               sign_in(client, "Sleeper", PASSWORD)]
    for resp in answers:
        page = resp.get_data(as_text=True)
        assert resp.status_code == 422
        assert SIGN_IN_FAILED in page
        assert "not the right password" not in page and PASSWORD not in page
    assert not signed_in(client)
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "user:login")).all() == []


def test_remember_me_sets_a_long_lived_httponly_lax_cookie(app, client, make, sign_in) -> None:
    make.user("Rowan")
    resp = sign_in(client, "Rowan", remember=True)
    cookie = _cookie_header(resp, "remember_token")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    days = app.config["REMEMBER_COOKIE_DAYS"]
    assert timedelta(days=days - 1) < expires - utcnow() <= timedelta(days=days)


def test_remember_me_keeps_a_member_signed_in_without_the_session(client, make, sign_in,
                                                                   signed_in) -> None:
    make.user("Rowan")
    sign_in(client, "Rowan", remember=True)
    client.delete_cookie("session")  # the browser was closed
    assert signed_in(client)


def test_without_remember_me_there_is_no_remember_cookie(client, make, sign_in) -> None:
    make.user("Rowan")
    resp = sign_in(client, "Rowan")
    assert not any(h.startswith("remember_token=") for h in resp.headers.getlist("Set-Cookie"))


def test_remember_cookie_is_secure_when_session_cookies_are(app, client, make, sign_in,
                                                            monkeypatch) -> None:
    assert load_config("test", {"SESSION_COOKIE_SECURE": True})["REMEMBER_COOKIE_SECURE"]
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_SECURE", True)
    make.user("Rowan")
    resp = sign_in(client, "Rowan", remember=True)
    assert "Secure" in _cookie_header(resp, "remember_token")


def test_sign_in_starts_a_fresh_session(client, make, sign_in) -> None:
    user = make.user("Rowan")
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    sign_in(client, "Rowan")
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"].startswith(f"{user.id}:{user.session_version}:")


def test_sign_in_upgrades_an_old_password_hash(client, db, make, sign_in) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user = make.user("Rowan")
    user.password_hash = weak
    db.commit()
    sign_in(client, "Rowan")
    db.refresh(user)
    assert user.password_hash != weak
    assert "m=19456,t=2,p=1" in user.password_hash
    assert verify_password(user.password_hash, PASSWORD)


def test_sign_out_ends_the_session_and_is_audited(client, db, make, sign_in,
                                                  signed_in) -> None:
    user = make.user("Rowan")
    sign_in(client, "Rowan", remember=True)
    resp = client.post("/sign-out")
    assert resp.status_code == 303
    assert "remember_token=;" in _cookie_header(resp, "remember_token")
    assert not signed_in(client)
    assert _audits(db, "user:logout", user.id) == 1


def test_sign_out_needs_post_and_a_csrf_token(app, client, make, sign_in, signed_in,
                                              monkeypatch) -> None:
    make.user("Rowan")
    sign_in(client, "Rowan")
    assert client.get("/sign-out").status_code == 405
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    assert client.post("/sign-out").status_code == 400
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    assert signed_in(client)


def test_sign_out_when_not_signed_in_just_goes_home(client) -> None:
    resp = client.post("/sign-out")
    assert resp.status_code == 303 and resp.headers["Location"] == "/"


def test_sign_in_returns_to_a_page_on_this_site(client, make, sign_in) -> None:
    make.user("Rowan")
    resp = sign_in(client, "Rowan", next_url="/threads/7?page=2")
    assert resp.headers["Location"] == "/threads/7?page=2"


@pytest.mark.parametrize("target", [
    "//evil.example", "https://evil.example", "https://evil.example/sign-in",
    "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "javascript:alert(1)",
    "http:evil.example", "evil.example", "",
])
def test_sign_in_never_redirects_off_the_site(client, make, sign_in, target: str) -> None:
    make.user("Rowan")
    resp = sign_in(client, "Rowan", next_url=target)
    assert resp.status_code == 303
    assert resp.headers["Location"] == "/"


def test_sign_in_page_drops_an_outside_next_address(client) -> None:
    page = client.get("/sign-in?next=//evil.example").get_data(as_text=True)
    assert "evil.example" not in page
    page = client.get("/sign-in?next=/settings").get_data(as_text=True)
    assert 'value="/settings"' in page


def test_members_only_pages_send_people_to_sign_in(client) -> None:
    resp = client.get("/settings")
    assert resp.status_code == 302
    assert resp.headers["Location"].startswith("/sign-in?next=")


@pytest.mark.parametrize("data", [
    {},
    {"login": "", "password": ""},
    {"login": "x" * 10000, "password": "y" * 10000},
    {"login": "nul\x00", "password": "nul\x00password"},
    {"login": "@", "password": "whatever12345"},
])
def test_sign_in_bad_input_is_a_clear_4xx(client, data: dict[str, str]) -> None:
    resp = client.post("/sign-in", data=data)
    assert resp.status_code == 422
    assert "There is a problem" in resp.get_data(as_text=True)


def test_sign_in_and_out_work_with_csrf_protection_on(app, client, make, monkeypatch,
                                                      signed_in) -> None:
    make.user("Rowan")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    page = client.get("/sign-in").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    resp = client.post("/sign-in", data={"login": "Rowan", "password": PASSWORD,
                                         "csrf_token": token})
    assert resp.status_code == 303
    settings = client.get("/settings").get_data(as_text=True)
    header_token = settings.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/sign-out", data={"csrf_token": header_token}).status_code == 303
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    assert not signed_in(client)
