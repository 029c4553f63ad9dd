"""Shifts and out-of-hours safety: who is on duty, the banner, risky posts held, report
hides waiting, the handover queue, unanswered posts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.db import utcnow
from forum.errors import Conflict, Forbidden, Invalid
from forum.threads.models import Post, PostState, Thread
from moderation import duty as D
from moderation.actions import do_report_post
from moderation.duty_models import HandoverItem, Shift
from moderation.unanswered import quiet_members, unanswered_threads
from tests.moderation.duty_scene import add_course, train
from tests.moderation.mod_scene import build_scene

pytestmark = pytest.mark.usefixtures("fake_checks")


@pytest.fixture()
def out_of_hours_on(app, monkeypatch):
    monkeypatch.setitem(app.config, "OUT_OF_HOURS_ENABLED", True)


@pytest.mark.usefixtures("out_of_hours_on")
def test_nobody_on_duty_risky_post_is_held_and_banner_shows(db, make, client):
    board = make.board(risk_policy="publish_and_flag")
    guide = make.facilitator(board)
    assert D.out_of_hours(db, board.id)
    outcome = make.thread(board, body="I can't go on [risk]")
    assert outcome.post.state == PostState.HELD
    assert "waiting for a facilitator" in outcome.notices[0]["text"]
    calm = make.thread(board, body="Mornings are hard")
    assert calm.post.state == PostState.PUBLISHED  # only risky posts wait
    page = client.get(f"/boards/{board.slug}").get_data(as_text=True)
    assert "This board is not being watched by a facilitator right now" in page
    assert "116 123" in page
    thread_page = client.get(f"/threads/{calm.thread.id}").get_data(as_text=True)
    assert "not being watched" in thread_page
    # A facilitator goes on duty: the banner goes, the queue holds what happened.
    D.do_go_on_duty(db, actor=make.viewer(guide))
    assert not D.out_of_hours(db, board.id)
    assert "not being watched" not in client.get(f"/boards/{board.slug}").get_data(
        as_text=True)
    items = D.handover_items(db, make.viewer(guide))
    assert {i.kind for i in items} >= {"held", "escalation"}
    assert all(i.post_id == outcome.post.id for i in items)
    later = make.thread(board, body="Another bad night [risk]")
    assert later.post.state == PostState.PUBLISHED  # watched again: board policy applies


@pytest.mark.usefixtures("out_of_hours_on")
def test_going_on_duty_over_http_leads_to_the_handover_queue(db, make, login):
    board = make.board()
    guide = make.facilitator(board)
    make.thread(board, body="Tonight [risk]")
    client = login(guide)
    response = client.post("/moderation/duty", data={"go": "on"})
    assert response.status_code == 302 and response.location.endswith("/moderation/handover")
    page = client.get("/moderation/handover").get_data(as_text=True)
    assert "Automatic check: risk (held)" in page
    item = db.scalar(select(HandoverItem).where(HandoverItem.kind == "held"))
    assert client.post("/moderation/handover", data={"item": str(item.id)}).status_code == 302
    db.refresh(item)
    assert item.cleared_by_id == guide.id
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "handover:clear"))
    assert "Go off duty" in client.get("/moderation/duty").get_data(as_text=True)
    assert client.post("/moderation/duty", data={"go": "off"}).status_code == 302
    assert D.current_shift(db, guide.id) is None


@pytest.mark.usefixtures("out_of_hours_on")
def test_report_count_hide_waits_for_a_person(db, make):
    board = make.board(report_hide_threshold=2)
    make.facilitator(board)
    outcome = make.thread(board, body="Something unkind")
    for _ in range(2):
        do_report_post(db, actor=make.viewer(make.user()), post=outcome.post, reason="abuse")
    assert db.get(Post, outcome.post.id).state == PostState.PUBLISHED
    kinds = set(db.scalars(select(HandoverItem.kind)))
    assert "auto_hide_waiting" in kinds
    assert not db.scalar(select(AuditEntry).where(AuditEntry.action == "post:auto_hide"))


@pytest.mark.usefixtures("out_of_hours_on")
def test_untrained_facilitator_cannot_go_on_duty_and_a_lapse_on_duty_does_not_count(db, make):
    board = make.board()
    guide = make.facilitator(board)
    course = add_course(db, "Safeguarding adults")
    with pytest.raises(Forbidden):
        D.do_go_on_duty(db, actor=make.viewer(guide))  # training missing: renew first
    record = train(db, guide, course)
    D.do_go_on_duty(db, actor=make.viewer(guide))
    assert not D.out_of_hours(db, board.id)
    record.expires_on = utcnow().date() - timedelta(days=1)
    db.commit()
    assert D.out_of_hours(db, board.id)  # still on duty, but the training lapsed
    record.expires_on = utcnow().date() + timedelta(days=90)
    db.commit()
    assert not D.out_of_hours(db, board.id)


def test_shift_actions_audit_and_refuse(db, make, captured_events):
    s = build_scene(db, make, reported=False)
    guide = make.viewer(s.guide)
    shift = D.do_go_on_duty(db, actor=guide, hours=8)
    assert shift.ends_at - shift.starts_at == timedelta(hours=8)
    assert ("duty.changed", f"staff:{s.board.slug}") in [(e.name, e.room)
                                                          for e in captured_events]
    assert ("duty.changed", "staff:leads") in [(e.name, e.room) for e in captured_events]
    with pytest.raises(Conflict):
        D.do_go_on_duty(db, actor=guide)
    names = [r.user.username for r in D.on_duty_now(db, guide)]
    assert names == [s.guide.username]
    with pytest.raises(Forbidden):
        D.do_go_on_duty(db, actor=make.viewer(s.member))
    with pytest.raises(Forbidden):
        D.on_duty_now(db, make.viewer(s.member))
    assert db.scalar(select(Shift).where(Shift.user_id == s.member.id)) is None
    with pytest.raises(Invalid):
        D.do_go_on_duty(db, actor=make.viewer(s.guide2), hours=30)
    D.do_go_off_duty(db, actor=guide)
    assert {a for a in db.scalars(select(AuditEntry.action))} >= {"shift:start", "shift:end"}


def test_coverage_shows_gaps_for_the_coming_week(db, make):
    s = build_scene(db, make, reported=False)
    admin = make.viewer(s.admin)
    now = utcnow()
    start = now + timedelta(days=1)
    D.do_add_shift(db, actor=admin, user=s.guide, starts_at=start,
                   ends_at=start + timedelta(hours=8), board_ids=[s.board.id])
    with pytest.raises(Invalid):
        D.do_add_shift(db, actor=admin, user=s.guide, starts_at=start, ends_at=start,
                       board_ids=[s.board.id])
    with pytest.raises(Invalid):
        D.do_add_shift(db, actor=admin, user=s.guide, starts_at=start,
                       ends_at=start + timedelta(hours=2), board_ids=[s.other_board.id])
    with pytest.raises(Forbidden):
        D.coverage(db, make.viewer(s.guide), now)
    rows = {c.board.id: c for c in D.coverage(db, admin, now)}
    mine = rows[s.board.id]
    assert [(a, b) for a, b in mine.gaps] == [(now, start),
                                             (start + timedelta(hours=8),
                                              now + timedelta(days=7))]
    assert rows[s.other_board.id].gaps == [(now, now + timedelta(days=7))]


def test_a_facilitator_whose_training_will_have_lapsed_is_not_put_on_the_rota(db, make):
    s = build_scene(db, make, reported=False)
    admin = make.viewer(s.admin)
    course = add_course(db, "Responding to suicidal content")
    train(db, s.guide, course, expires_in_days=3)
    soon, later = utcnow() + timedelta(days=1), utcnow() + timedelta(days=5)
    D.do_add_shift(db, actor=admin, user=s.guide, starts_at=soon,
                   ends_at=soon + timedelta(hours=8), board_ids=[s.board.id])
    with pytest.raises(Invalid) as refused:
        D.do_add_shift(db, actor=admin, user=s.guide, starts_at=later,
                       ends_at=later + timedelta(hours=8), board_ids=[s.board.id])
    message = refused.value.fields["user"]
    assert "Responding to suicidal content" in message and "renewal" in message
    # Never trained at all: refused too.
    with pytest.raises(Invalid) as untrained:
        D.do_add_shift(db, actor=admin, user=s.guide2, starts_at=soon,
                       ends_at=soon + timedelta(hours=8), board_ids=[])
    assert "renewal" in untrained.value.fields["user"]
    assert len(list(db.scalars(select(Shift)))) == 1


def test_unanswered_posts_on_a_seeded_board(db, make):
    board = make.board()
    guide = make.facilitator(board)
    lonely = make.user("lonely")
    old = utcnow() - timedelta(hours=30)
    quiet = make.thread(board, lonely, title="Nobody answered").thread
    answered = make.thread(board, make.user(), title="Got a reply").thread
    make.reply(answered, make.user())
    fresh = make.thread(board, make.user(), title="Just posted").thread
    second = make.thread(board, make.user(), title="Asked again").thread
    make.reply(second, lonely, body="Any ideas?")  # lonely's reply is the last word
    for t in (quiet, answered, second):
        t.created_at = old
        for p in db.scalars(select(Post).where(Post.thread_id == t.id)):
            p.created_at = old
    db.commit()
    viewer = make.viewer(guide)
    titles = [t.title for t in unanswered_threads(db, viewer)]
    assert titles == ["Nobody answered"]
    assert fresh.title not in titles
    members = quiet_members(db, viewer)
    assert members[0].user.id == lonely.id and members[0].unanswered == 2
    with pytest.raises(Forbidden):
        unanswered_threads(db, make.viewer(make.user()))
    other = make.facilitator(make.board())
    assert unanswered_threads(db, make.viewer(other)) == []
    assert db.get(Thread, quiet.id).reply_count == 0


def _seed_unanswered(db, make, board, guide):  # type: ignore[no-untyped-def]
    """On ``board``, older than the wait: a conversation nobody answered (its author is
    the one member left without a reply) and one the facilitator answered; and a fresh
    one."""
    lonely = make.user("lonelyann")
    old = utcnow() - timedelta(hours=30)
    quiet = make.thread(board, lonely, title="Nobody answered").thread
    answered = make.thread(board, make.user(), title="Got a reply").thread
    make.reply(answered, guide)
    make.thread(board, make.user(), title="Just posted")
    for t in (quiet, answered):
        t.created_at = old
        for p in db.scalars(select(Post).where(Post.thread_id == t.id)):
            p.created_at = old
    db.commit()
    return lonely


def test_unanswered_posts_surface_in_the_queue_and_on_duty(db, make, login):
    board = make.board()
    guide = make.facilitator(board)
    lonely = _seed_unanswered(db, make, board, guide)
    client = login(guide)
    page = client.get("/moderation/unanswered").get_data(as_text=True)
    assert "Nobody answered" in page and "Got a reply" not in page
    assert "Just posted" not in page and lonely.username in page
    queue = client.get("/moderation/queue/items").get_data(as_text=True)
    assert ("Waiting for a reply: 1 conversation nobody has answered and 1 member whose "
            "recent posts got no reply.") in " ".join(queue.split())
    # The duty page tells the facilitator on duty.
    assert "duty-waiting" not in client.get("/moderation/duty").get_data(as_text=True)
    D.do_go_on_duty(db, actor=make.viewer(guide))
    duty = " ".join(client.get("/moderation/duty").get_data(as_text=True).split())
    assert ("Waiting for a reply on your boards: 1 conversation nobody has answered, and 1 "
            "member whose recent posts got no reply.") in duty
    # Another board's facilitator hears nothing of it; a guidance reply answers it.
    other = make.facilitator(make.board())
    assert "Waiting for a reply" not in login(other).get("/moderation/queue/items").get_data(
        as_text=True)
    from moderation.actions import do_guide

    quiet = db.scalar(select(Thread).where(Thread.title == "Nobody answered"))
    do_guide(db, actor=make.viewer(guide), thread=quiet, mode="post",
             message="Welcome. Others here have felt the same.")
    assert 'id="queue-waiting"' in queue
    assert 'id="queue-waiting"' not in login(guide).get("/moderation/queue/items").get_data(
        as_text=True)


def test_the_duty_page_updates_itself_when_duty_changes(db, make, login):
    s = build_scene(db, make, reported=False)
    html = login(s.guide).get("/moderation/duty").get_data(as_text=True)
    assert 'data-listen="duty"' in html and f'data-boards="{s.board.slug}"' in html
    assert "js/queue.js" in html
    D.do_go_on_duty(db, actor=make.viewer(s.guide2))
    html = login(s.guide).get("/moderation/duty").get_data(as_text=True)
    assert f"<strong>{s.guide2.username}</strong>: {s.board.name}" in html


@pytest.mark.usefixtures("out_of_hours_on")
def test_an_escalation_moving_up_out_of_hours_goes_into_the_handover_queue(db, make):
    from moderation import escalations as E
    from tests.moderation.duty_scene import escalate, scene_with_lead

    s, _ = scene_with_lead(db, make)
    esc = escalate(db, make, s, "high")
    E.check_escalation_deadlines(db, esc.created_at + timedelta(minutes=16))
    items = D.handover_items(db, make.viewer(s.guide))
    moved = [i for i in items if i.escalation_id == esc.id and "level 2" in i.summary]
    assert len(moved) == 1
    assert moved[0].summary == ("High risk escalation moved to level 2 (Lead facilitator or "
                                "clinical lead): not acknowledged in time")
    # With someone trained on duty for the board, the move is theirs to see live instead.
    D.do_go_on_duty(db, actor=make.viewer(s.guide2))
    E.check_escalation_deadlines(db, esc.created_at + timedelta(minutes=40))
    db.refresh(esc)
    assert esc.level == 3
    assert not [i for i in D.handover_items(db, make.viewer(s.guide)) if "level 3" in i.summary]


@pytest.mark.usefixtures("out_of_hours_on")
def test_going_on_duty_for_some_boards_on_the_page(db, make, login):
    first, second, elsewhere = make.board(), make.board(), make.board()
    guide = make.facilitator(first)
    from forum.boards.actions import do_assign_facilitator

    do_assign_facilitator(db, actor=None, board=second, user=guide)
    client = login(guide)
    page = client.get("/moderation/duty").get_data(as_text=True)
    assert "Which boards? (optional)" in page and first.name in page and second.name in page
    assert elsewhere.name not in page
    refused = client.post("/moderation/duty", data={"go": "on", "boards": [str(elsewhere.id)]})
    assert refused.status_code == 422
    assert "Choose only boards you facilitate." in refused.get_data(as_text=True)
    assert D.current_shift(db, guide.id) is None
    assert client.post("/moderation/duty", data={"go": "on", "boards": [str(first.id)]}
                       ).status_code == 302
    assert D.current_shift(db, guide.id).board_ids == [first.id]
    assert not D.out_of_hours(db, first.id) and D.out_of_hours(db, second.id)
    # One board only: no choice to make, so no checkboxes.
    solo = make.facilitator(make.board())
    assert "Which boards?" not in login(solo).get("/moderation/duty").get_data(as_text=True)
