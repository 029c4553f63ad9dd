from __future__ import annotations

import pytest
from sqlalchemy import func, select

from forum.accounts.models import Role
from forum.audit.models import AuditEntry
from forum.boards.actions import (
    do_archive_board,
    do_assign_facilitator,
    do_create_board,
    do_invite_member,
    do_join_board,
    do_leave_board,
    do_update_board,
)
from forum.boards.models import Board, BoardFacilitator, BoardMembership, Visibility
from forum.errors import Forbidden, Invalid


def _audits(db, action: str, subject_id: int | None = None) -> list[AuditEntry]:
    query = select(AuditEntry).where(AuditEntry.action == action)
    if subject_id is not None:
        query = query.where(AuditEntry.subject_id == subject_id)
    return list(db.scalars(query))


def _count(db, model) -> int:
    return db.scalar(select(func.count(model.id))) or 0


def test_admin_creates_board_with_audit(db, make):
    admin = make.viewer(make.admin())
    board = do_create_board(db, actor=admin, name="Living with MS", condition="MS",
                            support_model={"who_for": "People with MS", "why": ""})
    assert board.slug == "living-with-ms"
    assert board.support_model == {"who_for": "People with MS"}
    [entry] = _audits(db, "board:create", board.id)
    assert entry.actor_id == admin.id


def test_member_cannot_create_board_and_leaves_no_trace(db, make):
    member = make.viewer(make.user())
    boards, audits = _count(db, Board), _count(db, AuditEntry)
    with pytest.raises(Forbidden):
        do_create_board(db, actor=member, name="Mine")
    assert (_count(db, Board), _count(db, AuditEntry)) == (boards, audits)


def test_create_board_refuses_bad_fields(db, make):
    admin = make.viewer(make.admin())
    with pytest.raises(Invalid) as bad:
        do_create_board(db, actor=admin, name="Fine", held_first_posts="many",
                        visibility="secret", support_model={"colour": "blue"})
    assert set(bad.value.fields) == {"held_first_posts", "visibility", "support_model"}
    with pytest.raises(Invalid) as slug:
        do_create_board(db, actor=admin, name="Fine", slug="Bad Slug")
    assert "slug" in slug.value.fields
    with pytest.raises(Invalid) as invisible:
        do_create_board(db, actor=admin, name="\u202e\u200b")
    assert invisible.value.fields["name"] == "Enter a name for the board."
    board = do_create_board(db, actor=admin, name="\u202eCarers\x07 together",
                            condition="Dementia\u2066")
    assert (board.name, board.condition) == ("Carers together", "Dementia")


def test_update_board_records_changed_fields_only(db, make):
    admin = make.viewer(make.admin())
    board = make.board("Before")
    do_update_board(db, actor=admin, board=board, name="After", description="")
    [entry] = _audits(db, "board:update", board.id)
    assert entry.before == {"name": "Before"} and entry.after == {"name": "After"}
    with pytest.raises(Forbidden):
        do_update_board(db, actor=make.viewer(make.user()), board=board, name="Hijack")
    assert board.name == "After"
    assert len(_audits(db, "board:update", board.id)) == 1


def test_archive_and_restore(db, make):
    admin = make.viewer(make.admin())
    board = make.board()
    do_archive_board(db, actor=admin, board=board)
    assert board.archived is True
    do_archive_board(db, actor=admin, board=board, archived=False)
    assert board.archived is False
    assert len(_audits(db, "board:archive", board.id)) == 1
    assert len(_audits(db, "board:unarchive", board.id)) == 1
    with pytest.raises(Forbidden):
        do_archive_board(db, actor=make.viewer(make.user()), board=board)
    assert board.archived is False


def test_join_and_leave_with_audit(db, make):
    board = make.board()
    user = make.user()
    viewer = make.viewer(user)
    do_join_board(db, actor=viewer, board=board)
    assert viewer.is_member_of(board.id)
    do_join_board(db, actor=viewer, board=board)  # joining twice changes nothing
    assert len(_audits(db, "board:join", board.id)) == 1
    do_leave_board(db, actor=viewer, board=board)
    assert not viewer.is_member_of(board.id)
    assert db.scalar(select(BoardMembership.id).where(
        BoardMembership.board_id == board.id, BoardMembership.user_id == user.id)) is None
    assert len(_audits(db, "board:leave", board.id)) == 1


def test_private_board_cannot_be_joined_without_invitation(db, make, captured_events):
    board = make.board(visibility=Visibility.PRIVATE)
    user = make.user()
    memberships, audits = _count(db, BoardMembership), _count(db, AuditEntry)
    captured_events.clear()
    with pytest.raises(Forbidden):
        do_join_board(db, actor=make.viewer(user), board=board)
    assert (_count(db, BoardMembership), _count(db, AuditEntry)) == (memberships, audits)
    assert captured_events == []


def test_facilitator_invites_member_and_they_hear_of_it(db, make, captured_events):
    board = make.board(visibility=Visibility.PRIVATE)
    guide = make.facilitator(board)
    user = make.user()
    captured_events.clear()
    do_invite_member(db, actor=make.viewer(guide), board=board, user=user)
    assert make.viewer(user).is_member_of(board.id)
    [entry] = _audits(db, "board:invite")
    assert entry.subject_id == user.id and entry.actor_id == guide.id
    assert [(e.name, e.room) for e in captured_events] == [
        ("board.invited", f"user:{user.id}")]


def test_member_cannot_invite(db, make, captured_events):
    board = make.board(visibility=Visibility.PRIVATE)
    insider = make.user()
    do_invite_member(db, actor=make.viewer(make.facilitator(board)), board=board, user=insider)
    captured_events.clear()
    audits = _count(db, AuditEntry)
    with pytest.raises(Forbidden):
        do_invite_member(db, actor=make.viewer(insider), board=board, user=make.user())
    assert _count(db, AuditEntry) == audits
    assert captured_events == []


def test_assign_and_unassign_facilitator(db, make):
    admin = make.viewer(make.admin())
    board = make.board()
    user = make.user()
    do_assign_facilitator(db, actor=admin, board=board, user=user)
    assert user.role == Role.FACILITATOR
    assert make.viewer(user).facilitates(board.id)
    assert len(_audits(db, "board:assign_facilitator", user.id)) == 1
    do_assign_facilitator(db, actor=admin, board=board, user=user, assign=False)
    assert db.scalar(select(BoardFacilitator.id).where(
        BoardFacilitator.user_id == user.id)) is None
    assert len(_audits(db, "board:unassign_facilitator", user.id)) == 1


def test_member_cannot_assign_facilitators(db, make):
    board = make.board()
    member = make.user()
    before = _count(db, BoardFacilitator)
    with pytest.raises(Forbidden):
        do_assign_facilitator(db, actor=make.viewer(member), board=board, user=member)
    assert _count(db, BoardFacilitator) == before
    assert member.role == Role.MEMBER
