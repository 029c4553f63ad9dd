"""The per-login sign-in slow-down, password hashing strength and upgrades, and the
common-password list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from argon2 import PasswordHasher, extract_parameters
from flask import Flask
from helpers import PASSWORD
from sqlalchemy import select

from forum.accounts.models import User
from forum.accounts.passwords import hash_password, password_problem


@pytest.fixture()
def limits_on(app: Flask) -> Iterator[Any]:
    """Rate limits on for one test, with empty counters."""
    limiter = app.extensions["forum_limiter"]
    limiter.enabled = True
    limiter.reset()
    app.extensions.pop("forum_login_throttle_memory", None)
    try:
        yield limiter
    finally:
        limiter.reset()
        limiter.enabled = False


def _post(client, login: str, password: str, n: int):  # type: ignore[no-untyped-def]
    # A new address each time, so only the per-login slow-down is in play.
    return client.post("/sign-in", data={"login": login, "password": password},
                       environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})


@pytest.mark.parametrize("login", ["Rowan", "nobody-by-this-name"])
def test_repeated_failures_slow_sign_in_down_without_saying_who_exists(
        client, make, limits_on, login) -> None:
    make.user("Rowan")
    statuses = [_post(client, login, "not the password", n).status_code for n in range(6)]
    assert statuses == [422] * 6  # five failures, then one more try a minute
    slowed = _post(client, login, PASSWORD, 7)
    assert slowed.status_code == 429
    assert 1 <= int(slowed.headers["Retry-After"]) <= 60
    page = slowed.get_data(as_text=True)
    assert "please wait" in page and "seconds before trying to sign in again" in page
    # Another login is not slowed down.
    assert _post(client, "someone-else", "not the password", 8).status_code == 422


def test_the_slow_down_lets_the_owner_in_once_it_passes(client, make, limits_on) -> None:
    make.user("Rowan")
    for n in range(2):
        _post(client, "Rowan", "not the password", n)
    assert _post(client, "Rowan", PASSWORD, 3).status_code == 303


def test_the_token_endpoint_is_slowed_down_too(client, make, limits_on) -> None:
    make.user("Rowan")
    for n in range(6):
        resp = client.post("/api/v1/tokens", json={"login": "Rowan", "password": "nope nope"},
                           environ_base={"REMOTE_ADDR": f"198.51.100.{n}"})
        assert resp.status_code == 401
    slowed = client.post("/api/v1/tokens", json={"login": "Rowan", "password": PASSWORD},
                         environ_base={"REMOTE_ADDR": "198.51.100.9"})
    assert slowed.status_code == 429 and int(slowed.headers["Retry-After"]) >= 1
    assert slowed.get_json()["error"]["message"]


def test_passwords_are_hashed_with_argon2id_at_owasp_strength() -> None:
    params = extract_parameters(hash_password("quiet harbour lanterns"))
    assert params.type.name == "ID"
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism >= 1


def test_a_weaker_hash_is_upgraded_at_sign_in(client, db, make, sign_in) -> None:
    user = make.user("Rowan")
    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    db.commit()
    assert sign_in(client, "Rowan").status_code == 303
    db.expire_all()
    stored = db.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored != weak
    params = extract_parameters(stored)
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2


@pytest.mark.parametrize("password", ["password123", "qwertyuiop", "Password123"])
def test_common_passwords_are_refused(password: str) -> None:
    assert "too common" in (password_problem(password) or "")


def test_an_uncommon_password_is_fine() -> None:
    assert password_problem("quiet harbour lanterns") is None
