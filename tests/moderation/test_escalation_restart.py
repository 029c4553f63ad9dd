"""A restart loses no deadline, shown with real processes: escalations are opened here
and committed to a database file; each scheduler tick then runs in a NEW process
(``forum jobs run-once --now …``, the controllable clock), which knows nothing but the
database, and sends its alerts to a real SMTP server (aiosmtpd) on loopback.

Runs on its own SQLite file whatever ``TEST_DATABASE_URL`` says: the other processes
must see committed rows, which the suite's rolled-back test transaction never has."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from forum import create_app
from forum.db import new_session
from forum.models import metadata
from moderation import actions as A
from moderation import escalations as E
from moderation.duty_models import StaffLead
from moderation.models import Case, Escalation, EscalationEvent
from tests.forum.conftest import MailBox, _free_port
from tests.helpers import Factories

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def smtp() -> Iterator[MailBox]:
    box = MailBox(None)  # type: ignore[arg-type]  # the other process sends, not this app
    box.port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture()
def file_app(tmp_path: Path) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'restart.db'}"
    app = create_app({"DATABASE_URL": url}, env="test")
    metadata.create_all(app.extensions["db_engine"])
    try:
        with app.app_context():
            yield app
    finally:
        app.extensions["db_engine"].dispose()


def _tick(app: Flask, smtp: MailBox, now: datetime) -> None:
    """One scheduler tick in a new process, at ``now``."""
    env = {**os.environ, "FORUM_ENV": "test", "PYTHONPATH": str(ROOT),
           "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": "",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp.port)}
    env.pop("TEST_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "forum", "jobs", "run-once", "--now",
                           now.isoformat()], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]


def test_each_tick_in_a_new_process_keeps_the_deadline(file_app, smtp):
    session = new_session(file_app)
    make = Factories(session)
    board = make.board()
    guide = make.facilitator(board)
    other_guide = make.facilitator(board)
    lead = make.user("restartlead", role="facilitator", email="restartlead@example.org")
    session.add(StaffLead(user_id=lead.id, title="Clinical lead"))
    session.commit()
    watched, ignored = (make.thread(board, make.user(), body=f"Post {n}").post
                        for n in (1, 2))
    reporter = make.viewer(make.user())
    escs = []
    for post in (watched, ignored):
        A.do_report_post(session, actor=reporter, post=post, reason="abuse")
        case = session.scalar(select(Case).where(Case.post_id == post.id))
        escs.append(A.do_escalate_case(session, actor=make.viewer(guide), case=case,
                                       reason="Worried", tier="high"))
    acked, unacked = escs
    E.do_acknowledge_escalation(session, actor=make.viewer(other_guide), escalation=acked)
    opened, ids = unacked.created_at, (acked.id, unacked.id)
    session.close()  # this process forgets everything; only the database remains

    # 14 minutes on: nothing is due. The tick sends the level-1 alerts queued at opening.
    _tick(file_app, smtp, opened + timedelta(minutes=14))
    assert {m["To"] for m in smtp.messages} == {guide.email, other_guide.email}
    assert smtp.to(lead.email) == []

    # Just past 15 minutes, another new process: the unacknowledged one moves to level 2
    # and the lead is mailed; the acknowledged one's clock had stopped.
    _tick(file_app, smtp, opened + timedelta(minutes=15, seconds=1))
    [mail] = smtp.to(lead.email)
    assert "level 2" in mail["Subject"]
    assert f"/moderation/escalations/{ids[1]}" in MailBox.body(mail)
    assert "not acknowledged" in MailBox.body(mail)

    check = new_session(file_app)
    try:
        levels = {e.id: e.level for e in check.scalars(select(Escalation))}
        assert levels == {ids[0]: 1, ids[1]: 2}
        moved = check.scalars(select(EscalationEvent.kind).where(
            EscalationEvent.escalation_id == ids[1]).order_by(EscalationEvent.id))
        assert list(moved)[-2:] == ["level_up", "alerted"]
    finally:
        check.close()
