"""Staff access to a member's private details is for admins, with a reason, and logged."""

from __future__ import annotations

import pytest
from helpers import PASSWORD
from sqlalchemy import select

from forum.accounts.actions import do_login
from forum.audit.models import AuditEntry
from forum.errors import Forbidden, Invalid
from forum.privacy.actions import do_view_member_private
from forum.privacy.models import SignInAddress


def _views(db) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditEntry).where(
        AuditEntry.action == "member:view_private")))


def test_sign_in_records_the_address_outside_the_audit_log(db, make) -> None:
    member = make.user("wren")
    do_login(db, login="wren", password=PASSWORD, ip="198.51.100.4")
    assert db.scalar(select(SignInAddress.ip).where(SignInAddress.user_id == member.id)) == \
        "198.51.100.4"
    entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "user:login")).one()
    assert "198.51.100.4" not in str(entry.after) + str(entry.before) + entry.reason


def test_an_admin_sees_the_email_after_giving_a_reason(db, make, captured_events) -> None:
    admin, member = make.admin(), make.user("wren")
    db.add(SignInAddress(user_id=member.id, ip="198.51.100.5"))
    db.commit()
    seen = do_view_member_private(db, actor=make.viewer(admin), username="wren",
                                  reason="Member phoned: cannot get into their account")
    assert seen.email == "wren@example.org" and seen.addresses[0].ip == "198.51.100.5"
    entry = _views(db)[-1]
    assert (entry.actor_id, entry.subject_id) == (admin.id, member.id)
    assert entry.reason == "Member phoned: cannot get into their account"
    assert "wren@example.org" not in str(entry.after)
    assert captured_events == []


def test_no_reason_no_details(db, make) -> None:
    admin = make.admin()
    make.user("wren")
    with pytest.raises(Invalid) as exc:
        do_view_member_private(db, actor=make.viewer(admin), username="wren", reason="why")
    assert "reason" in exc.value.fields
    assert _views(db) == []


def test_facilitators_never_see_emails(db, make, login) -> None:
    board = make.board()
    guide = make.facilitator(board)
    make.user("wren")
    with pytest.raises(Forbidden):
        do_view_member_private(db, actor=make.viewer(guide), username="wren",
                               reason="I would like to contact them")
    assert _views(db) == []
    response = login(guide).post("/admin/members/wren",
                                 data={"reason": "I would like to contact them"})
    assert response.status_code == 403
    assert "wren@example.org" not in response.get_data(as_text=True)


def test_the_member_details_page(db, make, login) -> None:
    admin = make.admin()
    make.user("wren")
    client = login(admin)
    page = client.get("/admin/members/wren")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "wren@example.org" not in page.get_data(as_text=True)
    short = client.post("/admin/members/wren", data={"reason": "x"})
    assert short.status_code == 422 and "wren@example.org" not in short.get_data(as_text=True)
    shown = client.post("/admin/members/wren",
                        data={"reason": "Checking a safeguarding concern from the queue"})
    assert shown.status_code == 200 and "wren@example.org" in shown.get_data(as_text=True)
    assert len(_views(db)) == 1
    assert client.get("/admin/members/nobody-here").status_code == 404


def test_members_cannot_open_the_page(db, make, login) -> None:
    make.user("wren")
    assert login(make.user()).get("/admin/members/wren").status_code == 403
