"""Rota shifts start within a sane range: not before the year before the site launched
(``SITE_LAUNCH_YEAR``), not more than two years ahead. A shift in year 1 was once accepted.
Page and API answer 422 with a clear message, never a 500."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forum.db import utcnow
from forum.errors import Invalid
from moderation import duty as D
from moderation.duty_models import Shift
from tests.helpers import assert_error
from tests.moderation.duty_scene import scene_with_lead

pytestmark = pytest.mark.usefixtures("fake_checks")

API = "/api/v1/moderation"
FMT = "%Y-%m-%dT%H:%M"
# (start, end) as typed: far past, far future, the very last minute a datetime can hold.
OUT_OF_RANGE = [("0001-01-01T09:00", "0001-01-01T17:00"),
                ("1999-06-01T09:00", "1999-06-01T17:00"),
                ("9999-12-31T20:00", "9999-12-31T23:59")]


def _in_days(days: float) -> datetime:
    return (utcnow() + timedelta(days=days)).replace(second=0, microsecond=0)


def test_the_action_refuses_a_shift_outside_the_range(db, make, app) -> None:
    s, _ = scene_with_lead(db, make)
    admin = make.viewer(s.admin)
    launch = app.config["SITE_LAUNCH_YEAR"]
    too_early = datetime(launch - 2, 12, 31, 9, tzinfo=UTC)
    for start in (datetime(1, 1, 1, 9, tzinfo=UTC), too_early, _in_days(2 * 366)):
        with pytest.raises(Invalid) as refused:
            D.do_add_shift(db, actor=admin, user=s.guide, starts_at=start,
                           ends_at=start + timedelta(hours=8))
        assert "starts_at" in refused.value.fields
    message = refused.value.fields["starts_at"]
    assert "two years" in message
    earliest = datetime(launch - 1, 1, 1, 9, tzinfo=UTC)
    for start in (earliest, _in_days(2 * 365 - 2)):
        D.do_add_shift(db, actor=admin, user=s.guide, starts_at=start,
                       ends_at=start + timedelta(hours=8))
    assert len(db.scalars(select(Shift)).all()) == 2


@pytest.mark.parametrize(("start", "end"), OUT_OF_RANGE)
def test_the_rota_page_answers_422(db, make, login, start, end) -> None:
    s, _ = scene_with_lead(db, make)
    page = login(s.admin).post("/moderation/admin/rota", data={
        "user": str(s.guide.id), "starts_at": start, "ends_at": end})
    assert page.status_code == 422
    text = page.get_data(as_text=True)
    assert "onwards" in text or "two years" in text
    assert db.scalar(select(Shift.id)) is None


@pytest.mark.parametrize(("start", "end"), OUT_OF_RANGE)
def test_the_rota_api_answers_422(db, make, login, start, end) -> None:
    s, _ = scene_with_lead(db, make)
    answer = login(s.admin).post(f"{API}/rota", json={
        "user": s.guide.username, "starts_at": start + ":00Z", "ends_at": end + ":00Z"})
    assert_error(answer, 422)
    assert "starts_at" in answer.get_json()["error"]["fields"]
    assert db.scalar(select(Shift.id)) is None
