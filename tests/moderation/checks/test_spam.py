"""Spam rules and the history helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from moderation.checks.spam import is_burst, is_near_duplicate, scan_spam
from moderation.checks.types import AuthorMeta

NEW = AuthorMeta(account_age_days=1, post_count=0)
OLD = AuthorMeta(account_age_days=400, post_count=120)


def rules(text: str, meta: AuthorMeta | None) -> list[str]:
    return [f.rule for f in scan_spam(text, meta)]


def test_link_from_new_account_but_not_from_established() -> None:
    text = "Have a look at https://shop.example.com/deal"
    assert "spam.new_account_link" in rules(text, NEW)
    assert rules(text, OLD) == []
    assert rules(text, None) == []


def test_trusted_link_from_new_account_is_fine() -> None:
    assert rules("See https://www.nhs.uk/conditions/lupus/", NEW) == []


def test_shortener_at_any_age() -> None:
    assert "spam.url_shortener" in rules("this helped me http://bit.ly/abc123", OLD)


def test_medicine_sale_at_any_age() -> None:
    assert "spam.medicine_sale" in rules("Selling my spare diazepam, £2 each, DM me", OLD)
    assert "spam.medicine_sale" in rules("Anyone want my leftover Mounjaro pens? £60", OLD)
    assert rules("Has anyone come off pregabalin? Tapering slowly.", OLD) == []
    assert rules("Selling my old mobility scooter, message me", OLD) == []


def test_near_duplicate() -> None:
    base = "Check out my amazing supplement shop for the best deals on vitamins!"
    assert is_near_duplicate(base + " ", [base.upper()])
    assert is_near_duplicate(base, ["something else", base.replace("amazing", "amazing!")])
    assert not is_near_duplicate(base, ["Does anyone know a good physio in Leeds?"])
    assert not is_near_duplicate(base, [])


def test_burst() -> None:
    now = datetime(2025, 1, 1, 12, 0, tzinfo=UTC)
    recent = [now - timedelta(seconds=s) for s in (5, 20, 40)]
    assert is_burst(recent, now, limit=3, window_seconds=60)
    assert not is_burst(recent, now, limit=4, window_seconds=60)
    assert not is_burst(recent, now, limit=3, window_seconds=30)
    assert not is_burst([now + timedelta(seconds=1)], now, limit=1, window_seconds=60)
