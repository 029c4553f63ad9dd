"""Two-step sign-in: staff must set it up, codes and recovery codes, replay, slow-down."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Any

import pyotp
import pytest
from flask import Flask
from helpers import PASSWORD
from sqlalchemy import select

from forum.accounts.models import RecoveryCode, UserSession
from forum.accounts.two_factor import do_begin_two_factor, do_confirm_two_factor
from forum.audit.models import AuditEntry


@pytest.fixture()
def limits_on(app: Flask) -> Iterator[Any]:
    limiter = app.extensions["forum_limiter"]
    limiter.enabled = True
    limiter.reset()
    app.extensions.pop("forum_login_throttle_memory", None)
    try:
        yield limiter
    finally:
        limiter.reset()
        limiter.enabled = False


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/settings").status_code == 200


def _secret_from(page: str) -> str:
    match = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', page)
    assert match, "the set-up page shows the secret for typing in"
    return match.group(1).replace(" ", "")


def _next_code(secret: str) -> str:
    return pyotp.TOTP(secret).at(time.time() + 30)


def _enrolled(db, user) -> tuple[str, list[str]]:  # type: ignore[no-untyped-def]
    secret = do_begin_two_factor(db, user=user)
    codes = do_confirm_two_factor(db, user=user, code=pyotp.TOTP(secret).now())
    return secret, codes


def test_staff_must_set_up_two_step_before_they_are_signed_in(client, db, make, sign_in) -> None:
    guide = make.user("Guide", role="facilitator")
    resp = sign_in(client, "Guide")
    assert resp.status_code == 303 and resp.headers["Location"].endswith(
        "/sign-in/set-up-two-step")
    assert not _signed_in(client)
    assert db.scalar(select(UserSession).where(UserSession.user_id == guide.id)) is None
    page = client.get("/sign-in/set-up-two-step").get_data(as_text=True)
    secret = _secret_from(page)
    assert "otpauth://totp/" in page and 'src="data:image/png;base64,' in page
    db.expire_all()
    assert guide.totp_secret_enc and secret not in guide.totp_secret_enc  # stored encrypted
    wrong = client.post("/sign-in/set-up-two-step", data={"code": "000000"})
    assert wrong.status_code == 422 and "Error: " in wrong.get_data(as_text=True)
    done = client.post("/sign-in/set-up-two-step", data={"code": pyotp.TOTP(secret).now()})
    shown = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", done.get_data(as_text=True))
    assert done.status_code == 200 and len(shown) == 10
    assert _signed_in(client)
    db.expire_all()
    stored = db.scalars(select(RecoveryCode.code_hash).where(
        RecoveryCode.user_id == guide.id)).all()
    assert len(stored) == 10 and not set(stored) & {c.replace("-", "") for c in shown}
    assert db.scalar(select(AuditEntry).where(
        AuditEntry.action == "user:enable_two_factor", AuditEntry.actor_id == guide.id))


def test_staff_with_two_step_give_a_code_after_the_password(client, db, make, sign_in) -> None:
    guide = make.user("Guide", role="admin")
    secret, _codes = _enrolled(db, guide)
    resp = sign_in(client, "Guide", next_url="/settings")
    assert resp.headers["Location"].endswith("/sign-in/code")
    assert not _signed_in(client)
    assert client.post("/sign-in/code", data={"code": "123456"}).status_code == 422
    # Six characters that str.isdigit() calls digits but no authenticator shows.
    for odd in ("²²²²²²", "١٢٣٤٥٦"):
        assert client.post("/sign-in/code", data={"code": odd}).status_code == 422
    # Setting up used this step's code, so the next step's (accepted too) signs in.
    code = _next_code(secret)
    done = client.post("/sign-in/code", data={"code": code})
    assert done.status_code == 303 and done.headers["Location"] == "/settings"
    assert _signed_in(client)
    # The same code cannot be used again, even within its 30 seconds.
    other = client.application.test_client()
    sign_in(other, "Guide")
    assert other.post("/sign-in/code", data={"code": code}).status_code == 422
    assert not _signed_in(other)


def test_a_code_from_the_step_before_or_after_is_accepted(db, make) -> None:
    from forum.accounts.sessions import Device
    from forum.accounts.two_factor import do_login_second_step

    guide = make.user("Guide", role="facilitator")
    secret, _codes = _enrolled(db, guide)
    totp = pyotp.TOTP(secret)
    later = time.time() + 60
    key = do_login_second_step(db, user=guide, code=totp.at(later - 30), device=Device(),
                               now=later)
    assert key
    from forum.errors import Invalid

    with pytest.raises(Invalid):
        do_login_second_step(db, user=guide, code=totp.at(later - 90), device=Device(),
                             now=later)


def test_a_recovery_code_works_once(client, db, make, sign_in) -> None:
    guide = make.user("Guide", role="facilitator")
    _secret, codes = _enrolled(db, guide)
    sign_in(client, "Guide")
    assert client.post("/sign-in/code", data={"code": codes[3].upper()}).status_code == 303
    assert _signed_in(client)
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "user:use_recovery_code"))
    other = client.application.test_client()
    sign_in(other, "Guide")
    assert other.post("/sign-in/code", data={"code": codes[3]}).status_code == 422


def test_the_half_signed_in_state_expires_after_five_minutes(client, db, make, sign_in) -> None:
    guide = make.user("Guide", role="facilitator")
    secret, _codes = _enrolled(db, guide)
    sign_in(client, "Guide")
    with client.session_transaction() as sess:
        sess["pending_sign_in"] = {**sess["pending_sign_in"], "until": int(time.time()) - 1}
    resp = client.post("/sign-in/code", data={"code": _next_code(secret)})
    assert resp.status_code == 303 and resp.headers["Location"].endswith("/sign-in")
    assert not _signed_in(client)


def test_code_guessing_is_slowed_down(app, client, db, make, sign_in, limits_on) -> None:
    guide = make.user("Guide", role="facilitator")
    secret, _codes = _enrolled(db, guide)
    sign_in(client, "Guide")
    # Five wrong codes, then one more try a minute: that one is wrong too.
    for _ in range(6):
        assert client.post("/sign-in/code", data={"code": "000000"}).status_code == 422
    slowed = client.post("/sign-in/code", data={"code": _next_code(secret)})
    assert slowed.status_code == 422 and "Please wait" in slowed.get_data(as_text=True)
    assert not _signed_in(client)


def test_a_member_may_turn_two_step_on_and_off(client, db, make, login, sign_in) -> None:
    user = make.user("Rowan")
    sign_in(client, "Rowan")
    page = client.get("/settings/two-step").get_data(as_text=True)
    secret = _secret_from(page)
    assert client.post("/settings/two-step", data={"code": pyotp.TOTP(secret).now()}
                       ).status_code == 200
    db.expire_all()
    assert user.has_two_factor
    refused = client.post("/settings/two-step/off", data={"current_password": "wrong one"})
    assert refused.status_code == 422
    assert client.post("/settings/two-step/off", data={"current_password": PASSWORD}
                       ).status_code == 303
    db.expire_all()
    assert not user.has_two_factor
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "user:disable_two_factor"))


def test_staff_cannot_turn_two_step_off(client, db, make, login) -> None:
    guide = make.user("Guide", role="facilitator")
    _enrolled(db, guide)
    login(guide)
    assert client.post("/settings/two-step/off", data={"current_password": PASSWORD}
                       ).status_code == 403
    db.expire_all()
    assert guide.has_two_factor


def test_the_api_will_not_hand_two_step_accounts_a_token(client, db, make) -> None:
    make.user("Guide", role="facilitator")
    resp = client.post("/api/v1/tokens", json={"login": "Guide", "password": PASSWORD})
    assert resp.status_code == 403
