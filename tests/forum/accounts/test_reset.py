"""Password reset by emailed link, end to end through a real SMTP server on loopback."""

from __future__ import annotations

import re
import time

import pytest
from helpers import PASSWORD
from sqlalchemy import select

from forum.accounts.actions import do_change_password
from forum.accounts.reset import check_reset_token, make_reset_token
from forum.audit.models import AuditEntry
from forum.errors import Invalid

NEW_PASSWORD = "seven green umbrellas upstairs"
SENT = "If an account uses that address, we've sent a link"
LINK_GONE = "expired or has already been used"


def _link_path(mailbox, address: str) -> str:  # type: ignore[no-untyped-def]
    [msg] = mailbox.to(address)
    match = re.search(r"http://localhost(/reset-password/\S+)", mailbox.body(msg))
    assert match is not None
    return match.group(1)


def _page(resp) -> str:  # type: ignore[no-untyped-def]
    # The script nonce is new on every page; everything else must match.
    return re.sub(r'nonce="[^"]*"', "", resp.get_data(as_text=True))


def _actions(db, user_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == user_id)))


def test_reset_end_to_end_link_works_once(app, client, db, make, mailbox, sign_in,
                                           signed_in) -> None:
    user = make.user("Rowan", email="rowan@example.org")
    elsewhere = app.test_client()
    sign_in(elsewhere, "Rowan")

    resp = client.post("/reset-password", data={"email": "Rowan@Example.org"})
    assert resp.status_code == 200 and SENT in resp.get_data(as_text=True)
    path = _link_path(mailbox, "rowan@example.org")
    [request_mail] = mailbox.messages
    assert "works once" in mailbox.body(request_mail)

    form = client.get(path)
    assert form.status_code == 200
    assert 'autocomplete="new-password"' in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"

    done = client.post(path, data={"password": NEW_PASSWORD})
    assert done.status_code == 303 and done.headers["Location"] == "/sign-in"

    assert sign_in(client, "Rowan", PASSWORD).status_code == 422
    assert sign_in(client, "Rowan", NEW_PASSWORD).status_code == 303
    assert not signed_in(elsewhere)  # every other session ended
    assert "user:request_password_reset" in _actions(db, user.id)
    assert "user:reset_password" in _actions(db, user.id)
    assert any("password has been changed" in m["Subject"] for m in mailbox.to(user.email))

    again = app.test_client()
    assert again.get(path).status_code == 400
    second = again.post(path, data={"password": "another long passphrase here"})
    assert second.status_code == 400 and LINK_GONE in second.get_data(as_text=True)
    assert sign_in(again, "Rowan", NEW_PASSWORD).status_code == 303


def test_reset_request_never_says_whether_an_account_exists(client, db, make,
                                                            mailbox) -> None:
    make.user("Rowan", email="rowan@example.org")
    known = client.post("/reset-password", data={"email": "rowan@example.org"})
    unknown = client.post("/reset-password", data={"email": "stranger@example.org"})
    assert known.status_code == unknown.status_code == 200
    assert _page(known) == _page(unknown)
    assert SENT in unknown.get_data(as_text=True)
    assert mailbox.to("stranger@example.org") == []
    assert len(mailbox.to("rowan@example.org")) == 1


def test_reset_link_expires(app, client, make) -> None:
    user = make.user("Rowan")
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    old = make_reset_token(user, clock=lambda: time.time() - max_age - 60)
    resp = client.get(f"/reset-password/{old}")
    assert resp.status_code == 400 and LINK_GONE in resp.get_data(as_text=True)
    assert client.post(f"/reset-password/{old}",
                       data={"password": NEW_PASSWORD}).status_code == 400


def test_reset_link_is_good_until_its_age_runs_out(app, db, make) -> None:
    user = make.user("Rowan")
    max_age = app.config["PASSWORD_RESET_MAX_AGE"]
    token = make_reset_token(user)
    assert check_reset_token(db, token, clock=lambda: time.time() + max_age - 60)[0] == user
    with pytest.raises(Invalid):
        check_reset_token(db, token, clock=lambda: time.time() + max_age + 60)


def test_reset_link_dies_when_the_password_changes_another_way(client, db, make) -> None:
    user = make.user("Rowan")
    token = make_reset_token(user)
    assert client.get(f"/reset-password/{token}").status_code == 200
    do_change_password(db, actor=make.viewer(user), current_password=PASSWORD,
                       new_password=NEW_PASSWORD)
    assert client.get(f"/reset-password/{token}").status_code == 400


def test_reset_with_a_weak_password_keeps_the_link_usable(client, make) -> None:
    user = make.user("Rowan")
    token = make_reset_token(user)
    weak = client.post(f"/reset-password/{token}", data={"password": "short"})
    assert weak.status_code == 422
    assert "at least 10 characters" in weak.get_data(as_text=True)
    ok = client.post(f"/reset-password/{token}", data={"password": NEW_PASSWORD})
    assert ok.status_code == 303


@pytest.mark.parametrize("token", [
    "nonsense", "a" * 5000, "eyJ1IjoxfQ.aaaa.bbbb", "%00", "..%2F..%2Fetc",
])
def test_reset_with_a_broken_link_is_a_calm_400(client, token: str) -> None:
    resp = client.get(f"/reset-password/{token}")
    assert resp.status_code in (400, 404)
    assert "Ask for a new link" in resp.get_data(as_text=True) or resp.status_code == 404


def test_reset_with_a_tampered_link_fails(client, make) -> None:
    user = make.user("Rowan")
    token = make_reset_token(user)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/reset-password/{tampered}").status_code == 400


@pytest.mark.parametrize("email", ["", "not-an-email", "x" * 1000, "nul\x00@example.org"])
def test_reset_request_bad_input_is_a_clear_4xx(client, email: str) -> None:
    resp = client.post("/reset-password", data={"email": email})
    assert resp.status_code == 422
    assert "There is a problem" in resp.get_data(as_text=True)
