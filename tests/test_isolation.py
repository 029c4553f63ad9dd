"""Each test's writes vanish afterwards: the second test cannot see the first one's user."""

from __future__ import annotations

from sqlalchemy import select

from forum.accounts.models import User


def test_isolation_first_writes(db, make):
    make.user("isolation_probe")
    assert db.scalar(select(User).where(User.username == "isolation_probe")) is not None


def test_isolation_second_sees_nothing(db):
    assert db.scalar(select(User).where(User.username == "isolation_probe")) is None
