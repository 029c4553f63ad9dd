"""An administrator resets a staff member's two-step sign-in (a lost phone): audited, every
session ends, and the set-up is asked for again at the next sign-in."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from forum.accounts.models import RecoveryCode
from forum.accounts.two_factor import (
    do_begin_two_factor,
    do_confirm_two_factor,
    do_reset_two_factor,
)
from forum.audit.models import AuditEntry
from forum.errors import Forbidden, Invalid

REASON = "Lost phone, confirmed by a call to their lead"


def _enrol(db, user) -> None:  # type: ignore[no-untyped-def]
    secret = do_begin_two_factor(db, user=user)
    do_confirm_two_factor(db, user=user, code=pyotp.TOTP(secret).now())


def _signed_in(client) -> bool:  # type: ignore[no-untyped-def]
    return client.get("/settings").status_code == 200


def _second_step(app, sign_in, username: str) -> str:  # type: ignore[no-untyped-def]
    resp = sign_in(app.test_client(), username)
    assert resp.status_code == 303
    return str(resp.headers["Location"])


def test_admin_resets_a_facilitators_two_step_sign_in(app, client, db, make, login, mailbox,
                                                      sign_in, captured_events) -> None:
    guide = make.user("Guide", role="facilitator")
    _enrol(db, guide)
    assert _second_step(app, sign_in, "Guide").endswith("/sign-in/code")
    elsewhere = app.test_client()

    with elsewhere.session_transaction() as sess:
        sess["_user_id"] = guide.get_id()
        sess["_fresh"] = True
    assert _signed_in(elsewhere)
    admin = make.admin("Boss")
    login(admin)

    page = client.get("/admin/members/Guide/two-step")
    assert page.status_code == 200
    assert "signed out on every device" in page.get_data(as_text=True)
    done = client.post("/admin/members/Guide/two-step", data={"reason": REASON})
    assert done.status_code == 303 and done.headers["Location"] == "/admin/members/Guide"

    db.refresh(guide)
    assert not guide.has_two_factor and guide.totp_secret_enc is None
    assert db.scalar(select(RecoveryCode).where(RecoveryCode.user_id == guide.id)) is None
    assert not _signed_in(elsewhere)  # every session ended at once
    assert any(e.name == "session.ended" and e.room == f"user:{guide.id}"
               for e in captured_events)
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "user:reset_two_factor"))
    assert entry is not None
    assert (entry.actor_id, entry.subject_id, entry.reason) == (admin.id, guide.id, REASON)
    [mail] = [m for m in mailbox.deliver().to(guide.email) if "reset" in m["Subject"]]
    assert "set up your authenticator app again" in mailbox.body(mail)
    # The next sign-in asks for the set-up again, before anything else.
    assert _second_step(app, sign_in, "Guide").endswith("/sign-in/set-up-two-step")


@pytest.mark.parametrize("role", ["member", "facilitator"])
def test_only_admins_can_reset_it(client, db, make, login, role: str) -> None:
    guide = make.user("Guide", role="facilitator")
    _enrol(db, guide)
    login(make.user("Someone", role=role))
    assert client.get("/admin/members/Guide/two-step").status_code == 403
    assert client.post("/admin/members/Guide/two-step",
                       data={"reason": REASON}).status_code == 403
    db.refresh(guide)
    assert guide.has_two_factor
    assert db.scalar(select(AuditEntry).where(
        AuditEntry.action == "user:reset_two_factor")) is None


def test_an_admin_cannot_reset_their_own(db, make) -> None:
    admin = make.admin("Boss")
    _enrol(db, admin)
    with pytest.raises(Forbidden):
        do_reset_two_factor(db, actor=make.viewer(admin), user=admin, reason=REASON)
    db.refresh(admin)
    assert admin.has_two_factor


def test_a_reason_is_needed(client, db, make, login) -> None:
    guide = make.user("Guide", role="facilitator")
    _enrol(db, guide)
    login(make.admin("Boss"))
    for reason in ("", "lost"):
        resp = client.post("/admin/members/Guide/two-step", data={"reason": reason})
        assert resp.status_code == 422
        assert "There is a problem" in resp.get_data(as_text=True)
    db.refresh(guide)
    assert guide.has_two_factor


def test_a_member_without_two_step_has_nothing_to_reset(client, db, make, login) -> None:
    make.user("Plain")
    login(make.admin("Boss"))
    page = client.get("/admin/members/Plain/two-step").get_data(as_text=True)
    assert "nothing to reset" in page
    resp = client.post("/admin/members/Plain/two-step", data={"reason": REASON})
    assert resp.status_code == 422
    with pytest.raises(Invalid):
        do_reset_two_factor(db, actor=make.viewer(make.admin("Boss2")),
                            user=make.user("Plain2"), reason=REASON)
