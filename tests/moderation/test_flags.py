"""Members report posts: reasons, one report per member, snapshot, threshold hiding."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.errors import Forbidden, Invalid
from forum.threads.actions import do_delete_post, do_edit_post
from forum.threads.models import PostState
from moderation.actions import do_report_post
from moderation.actions.flags import AlreadyReported
from moderation.models import Case, Flag, FlagReason, Severity
from moderation.queries import list_my_reports
from tests.moderation.mod_scene import build_scene

pytestmark = pytest.mark.usefixtures("fake_checks")


def test_report_opens_case_with_snapshot_and_audit(db, make, captured_events):
    s = build_scene(db, make, reported=False)
    captured_events.clear()
    flag = do_report_post(db, actor=make.viewer(s.member), post=s.post, reason="self_harm")
    assert flag.reason == FlagReason.SELF_HARM
    assert flag.snapshot_source == "Something that upset people."
    assert flag.snapshot_state == "published" and flag.snapshot_author_id == s.author.id
    case = s.case(db)
    assert case.severity == Severity.URGENT and flag.case_id == case.id
    audit = db.scalar(select(AuditEntry).where(AuditEntry.action == "flag:create"))
    assert audit.actor_id == s.member.id and audit.after["reason"] == "self_harm"
    assert [(e.name, e.room) for e in captured_events] == [
        ("case.opened", f"staff:{s.board.slug}")]
    assert "Something" not in str(captured_events[0].payload)


def test_snapshot_survives_edit_and_delete(db, make):
    s = build_scene(db, make)
    author = make.viewer(s.author)
    do_edit_post(db, actor=author, post=s.post, body="Changed my words")
    do_delete_post(db, actor=author, post=s.post)
    flag = db.scalar(select(Flag).where(Flag.post_id == s.post.id))
    assert flag.snapshot_source == "Something that upset people."
    assert "upset" in flag.snapshot_html


def test_one_report_per_member_and_other_needs_note(db, make):
    s = build_scene(db, make)
    with pytest.raises(AlreadyReported) as again:
        do_report_post(db, actor=make.viewer(s.member), post=s.post, reason="spam")
    assert "with the facilitators" in again.value.message
    assert len(db.scalars(select(Flag).where(Flag.post_id == s.post.id)).all()) == 1
    with pytest.raises(Invalid) as err:
        do_report_post(db, actor=make.viewer(make.user()), post=s.post, reason="other")
    assert "note" in err.value.fields
    with pytest.raises(Invalid):
        do_report_post(db, actor=make.viewer(make.user()), post=s.post, reason="system")
    with pytest.raises(Forbidden):
        do_report_post(db, actor=make.viewer(s.author), post=s.post, reason="spam")
    assert db.scalar(select(Flag.id).where(Flag.reason == FlagReason.OTHER)) is None


def test_a_report_racing_another_from_the_same_member_is_already_reported(
        db, make, monkeypatch):
    """Two requests at once both find no report yet; the table's one-per-member rule
    stops the second, which must be the same kind answer, not a server error."""
    s = build_scene(db, make)
    from moderation.actions import flags

    monkeypatch.setattr(flags, "_own_report", lambda session, post_id, user_id: None)
    with pytest.raises(AlreadyReported):
        do_report_post(db, actor=make.viewer(s.member), post=s.post, reason="spam")
    assert len(db.scalars(select(Flag).where(Flag.post_id == s.post.id)).all()) == 1


def test_reports_from_threshold_members_hide_post(db, make, captured_events):
    s = build_scene(db, make, report_hide_threshold=2)
    assert s.post.state == PostState.PUBLISHED
    do_report_post(db, actor=make.viewer(make.user()), post=s.post, reason="abuse")
    assert s.post.state == PostState.HIDDEN
    assert ("post.deleted", f"thread:{s.thread.id}") in [(e.name, e.room)
                                                         for e in captured_events]
    assert db.scalar(select(AuditEntry).where(AuditEntry.action == "post:auto_hide"))
    assert db.scalar(select(Case).where(Case.post_id == s.post.id)).is_open


def test_my_reports_shows_review_state(db, make):
    s = build_scene(db, make)
    [row] = list_my_reports(db, make.viewer(s.member))
    assert not row.reviewed
    from moderation.actions import do_close_case

    do_close_case(db, actor=make.viewer(s.guide), case=s.case(db), state="rejected")
    [row] = list_my_reports(db, make.viewer(s.member))
    assert row.reviewed
