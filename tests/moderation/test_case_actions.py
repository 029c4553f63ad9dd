"""Facilitators handle cases: claims, notes, approve, hide, restore, edit, guide, thread
actions, escalation — and who may not."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from forum.audit.models import AuditEntry
from forum.errors import Conflict, Forbidden, Invalid
from forum.permissions import can_edit_post
from forum.threads.models import Post, PostRevision, PostState
from forum.threads.queries import get_thread_page
from moderation import actions as A
from moderation.models import ActionNotice, CaseEvent, CaseState, Escalation
from tests.moderation.mod_scene import build_scene

pytestmark = pytest.mark.usefixtures("fake_checks")


def _audits(db, action):
    return db.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def test_claim_lapses_and_conflicts(db, make, captured_events):
    s = build_scene(db, make)
    case = s.case(db)
    A.do_claim_case(db, actor=make.viewer(s.guide), case=case)
    assert case.state == CaseState.IN_PROGRESS and case.claimed_by_id == s.guide.id
    with pytest.raises(Conflict):
        A.do_claim_case(db, actor=make.viewer(s.guide2), case=case)
    case.claimed_at -= timedelta(minutes=31)
    db.commit()
    A.do_claim_case(db, actor=make.viewer(s.guide2), case=case)
    assert case.claimed_by_id == s.guide2.id
    assert ("case.updated", f"staff:{s.board.slug}") in [(e.name, e.room)
                                                         for e in captured_events]
    assert _audits(db, "case:claim") == 2


def test_other_board_facilitator_and_member_leave_no_trace(db, make, captured_events):
    s = build_scene(db, make)
    case = s.case(db)
    before = _audits(db, "case:claim")
    count = len(captured_events)
    for who in (s.other_guide, s.member):
        with pytest.raises(Forbidden):
            A.do_claim_case(db, actor=make.viewer(who), case=case)
        with pytest.raises(Forbidden):
            A.do_hide_post(db, actor=make.viewer(who), post=s.post, reason="x")
    assert case.claimed_by_id is None and s.post.state == PostState.PUBLISHED
    assert _audits(db, "case:claim") == before and len(captured_events) == count


def test_note_and_close(db, make):
    s = build_scene(db, make)
    case = s.case(db)
    A.do_add_case_note(db, actor=make.viewer(s.guide), case=case, text="Checked their history")
    assert db.scalar(select(CaseEvent).where(CaseEvent.kind == "note")).text.startswith("Checked")
    A.do_close_case(db, actor=make.viewer(s.guide), case=case, state="rejected", note="Fine")
    assert case.state == CaseState.REJECTED
    with pytest.raises(Conflict):
        A.do_close_case(db, actor=make.viewer(s.guide), case=case, state="resolved")


def test_approve_held_post_publishes_and_tells_author(db, make, captured_events):
    s = build_scene(db, make, reported=False, posting_policy="all_held")
    assert s.post.state == PostState.HELD and not s.thread.visible
    A.do_approve_post(db, actor=make.viewer(s.guide), post=s.post)
    assert s.post.state == PostState.PUBLISHED and s.thread.visible
    assert s.board.thread_count == 1
    assert s.case(db).state == CaseState.RESOLVED
    notice = db.scalar(select(ActionNotice).where(ActionNotice.user_id == s.author.id))
    assert notice.kind == "approved" and not notice.appealable
    rooms = [(e.name, e.room) for e in captured_events]
    assert ("thread.created", f"board:{s.board.slug}") in rooms
    assert ("moderation.notice", f"user:{s.author.id}") in rooms
    assert _audits(db, "post:approve") == 1


def test_reject_held_post_tells_why(db, make):
    s = build_scene(db, make, reported=False, posting_policy="all_held")
    with pytest.raises(Invalid):
        A.do_reject_post(db, actor=make.viewer(s.guide), post=s.post, reason="")
    A.do_reject_post(db, actor=make.viewer(s.guide), post=s.post, reason="Shares a name")
    assert s.post.state == PostState.DECLINED
    notice = db.scalar(select(ActionNotice).where(ActionNotice.user_id == s.author.id))
    assert "Shares a name" in notice.message and notice.appealable


def test_declined_reply_leaves_no_placeholder_and_can_be_published_after_all(db, make):
    s = build_scene(db, make, reported=False)
    s.board.posting_policy = "all_held"
    held = make.reply(s.thread, s.author, body="A reply that names a nurse.").post
    assert held.state == PostState.HELD
    A.do_reject_post(db, actor=make.viewer(s.guide), post=held, reason="Names a nurse")

    def listed(user):
        page = get_thread_page(db, make.viewer(user), s.thread, 1, 25, placeholders=True)
        return [p.id for p in page.posts], page.total

    # Others never knew it existed: no "hidden" note, not counted.
    assert listed(s.member) == ([s.post.id], 1)
    assert listed(s.author) == ([s.post.id, held.id], 2)
    assert s.thread.reply_count == 0
    assert not can_edit_post(make.viewer(s.author), held, s.thread)

    A.do_restore_post(db, actor=make.viewer(s.guide2), post=held, reason="Name was public")
    assert held.state == PostState.PUBLISHED and s.thread.reply_count == 1
    assert listed(s.member) == ([s.post.id, held.id], 2)


def test_hide_then_restore(db, make, captured_events):
    s = build_scene(db, make)
    A.do_hide_post(db, actor=make.viewer(s.guide), post=s.post, reason="Unkind",
                   message="Adjusted message {guidelines_url}")
    assert s.post.state == PostState.HIDDEN and s.case(db).state == CaseState.RESOLVED
    notice = db.scalar(select(ActionNotice).where(ActionNotice.kind == "hidden"))
    assert notice.message.startswith("Adjusted message") and "Unkind" in notice.message
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "post:hide"))
    assert entry.before == {"state": "published"} and entry.after["state"] == "hidden"
    assert ("post.deleted", f"thread:{s.thread.id}") in [(e.name, e.room)
                                                         for e in captured_events]
    A.do_restore_post(db, actor=make.viewer(s.guide2), post=s.post)
    assert s.post.state == PostState.PUBLISHED
    with pytest.raises(Conflict):
        A.do_restore_post(db, actor=make.viewer(s.guide2), post=s.post)


def test_default_hide_message_links_guidelines(db, make):
    s = build_scene(db, make)
    A.do_hide_post(db, actor=make.viewer(s.guide), post=s.post, reason="Unkind")
    notice = db.scalar(select(ActionNotice).where(ActionNotice.kind == "hidden"))
    assert "/guidelines" in notice.message and s.author.username in notice.message


def test_moderate_edit_keeps_original(db, make):
    s = build_scene(db, make)
    A.do_moderate_edit_post(db, actor=make.viewer(s.guide), post=s.post, body="Kinder words",
                            reason="Removed a name")
    assert s.post.body_source == "Kinder words"
    revision = db.scalar(select(PostRevision).where(PostRevision.post_id == s.post.id))
    assert revision.body_source == "Something that upset people."
    assert revision.reason == "Removed a name"


def test_guide_post_and_private_message(db, make, captured_events):
    s = build_scene(db, make)
    case = s.case(db)
    outcome = A.do_guide(db, actor=make.viewer(s.guide), thread=s.thread, mode="post",
                         message="Please keep it kind", case=case)
    assert outcome.post.is_guidance and outcome.post.state == PostState.PUBLISHED
    notice = A.do_guide(db, actor=make.viewer(s.guide), thread=s.thread, mode="message",
                        message="Checking in with you", case=case)
    assert notice.user_id == s.author.id and not notice.appealable
    kinds = [e.kind for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case.id))]
    assert "guidance_post" in kinds and "guidance_message" in kinds
    assert ("post.created", f"thread:{s.thread.id}") in [(e.name, e.room)
                                                         for e in captured_events]


def test_lock_pin_move(db, make, captured_events):
    s = build_scene(db, make)
    guide = make.viewer(s.guide)
    A.do_lock_thread(db, actor=guide, thread=s.thread, locked=True, reason="Heated")
    A.do_pin_thread(db, actor=guide, thread=s.thread, pinned=True)
    assert s.thread.locked and s.thread.pinned
    with pytest.raises(Forbidden):
        A.do_move_thread(db, actor=guide, thread=s.thread, board=s.other_board)
    admin = make.viewer(s.admin)
    A.do_move_thread(db, actor=admin, thread=s.thread, board=s.other_board)
    assert s.thread.board_id == s.other_board.id
    assert s.case(db).board_id == s.other_board.id
    assert s.other_board.thread_count == 1 and s.board.thread_count == 0
    assert _audits(db, "thread:move") == 1 and _audits(db, "thread:lock") == 1


def test_escalate_opens_an_escalation_with_a_clock(db, make):
    s = build_scene(db, make)
    case = s.case(db)
    A.do_escalate_case(db, actor=make.viewer(s.guide), case=case, reason="Child at risk",
                       tier="high")
    assert case.escalated
    esc = db.scalar(select(Escalation).where(Escalation.case_id == case.id))
    assert esc.state == "open" and esc.tier == "high" and esc.level == 1
    assert esc.ack_due_at is not None and esc.source == "queue"


def test_approve_keeps_published_flagged_post(db, make):
    s = build_scene(db, make)
    A.do_approve_post(db, actor=make.viewer(s.guide), post=s.post)
    assert s.case(db).state == CaseState.REJECTED
    assert db.scalar(select(ActionNotice.id)) is None  # author never hears about reports
    assert db.get(Post, s.post.id).state == PostState.PUBLISHED
