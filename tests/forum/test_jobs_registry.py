"""The job registry: registered jobs run on each scheduler tick, one failing does not stop
the others, and moderation's lifting of expired sanctions is one of them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from forum.accounts.models import UserStatus
from forum.db import utcnow
from forum.jobs import register_job, registered_jobs, run_jobs, unregister_job
from forum.notifications.jobs import run_tick
from moderation.actions import do_suspend_member
from moderation.cli import lift_expired_job


@pytest.fixture()
def calls():
    seen: list[str] = []

    def broken(app, now):  # type: ignore[no-untyped-def]
        seen.append("broken")
        raise RuntimeError("boom")

    def counter(app, now):  # type: ignore[no-untyped-def]
        seen.append(f"counter {now:%Y}")
        return 3

    register_job(broken)
    register_job(counter)
    register_job(counter)  # twice is still once
    yield seen
    unregister_job(broken)
    unregister_job(counter)


def test_jobs_run_in_order_and_a_failure_does_not_stop_the_rest(app, calls):
    results = run_jobs(app, utcnow().replace(year=2030))
    assert calls == ["broken", "counter 2030"]
    assert [v for k, v in results.items() if k.endswith(("broken", "counter"))] == [None, 3]


def test_moderation_registers_lifting_expired_sanctions(app):
    from forum.jobs import job_name

    assert job_name(lift_expired_job) in registered_jobs()


def test_the_scheduler_tick_lifts_an_expired_suspension(app, db, make, calls):
    member = make.user()
    sanction = do_suspend_member(db, actor=make.viewer(make.admin()), user=member, days=1,
                                 reason="Repeated abuse")
    assert member.status == UserStatus.SUSPENDED
    sanction.ends_at = utcnow() - timedelta(minutes=1)
    db.commit()
    run_tick(app)
    db.refresh(member)
    db.refresh(sanction)
    assert sanction.lifted_at is not None and member.status == UserStatus.ACTIVE
    assert "counter" in " ".join(calls)  # the other jobs ran on the same tick
