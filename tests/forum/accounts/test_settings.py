"""Settings: changing the password (ends other sessions), and the email address form's
refusals (the change itself, confirmed by email, is in test_email_change.py)."""

from __future__ import annotations

import pytest
from helpers import PASSWORD
from sqlalchemy import select

from forum.accounts.models import AccountEmail, PendingEmailChange
from forum.accounts.passwords import verify_password
from forum.audit.models import AuditEntry

NEW_PASSWORD = "seven green umbrellas upstairs"


def _entries(db, action: str) -> list[AuditEntry]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_settings_page_shows_the_account_and_links(client, make, login) -> None:
    user = make.user("Rowan", email="rowan@example.org")
    page = login(user).get("/settings").get_data(as_text=True)
    assert "Rowan" in page and "rowan@example.org" in page
    assert 'href="/settings/password"' in page and 'href="/settings/email"' in page
    assert "Personal access tokens" in page


def test_change_password_ends_other_sessions_but_not_this_one(
        app, client, db, make, mailbox, sign_in, signed_in) -> None:
    user = make.user("Rowan")
    other = app.test_client()
    sign_in(other, "Rowan")
    sign_in(client, "Rowan")
    assert signed_in(other)
    version = user.session_version

    resp = client.post("/settings/password", data={"current_password": PASSWORD,
                                                   "new_password": NEW_PASSWORD})

    assert resp.status_code == 303 and resp.headers["Location"] == "/settings"
    assert signed_in(client)
    assert not signed_in(other)
    db.refresh(user)
    assert user.session_version == version + 1
    assert verify_password(user.password_hash, NEW_PASSWORD)
    [entry] = _entries(db, "user:change_password")
    assert entry.actor_id == user.id
    [notice] = mailbox.deliver().to(user.email)
    assert "password has been changed" in notice["Subject"]
    assert NEW_PASSWORD not in mailbox.body(notice)


def test_change_password_keeps_remember_me_working(client, make, sign_in, signed_in) -> None:
    make.user("Rowan")
    sign_in(client, "Rowan", remember=True)
    client.post("/settings/password", data={"current_password": PASSWORD,
                                            "new_password": NEW_PASSWORD})
    client.delete_cookie("session")
    assert signed_in(client)


@pytest.mark.parametrize(("data", "message"), [
    ({"current_password": "not my password at all", "new_password": NEW_PASSWORD},
     "Your current password is not right"),
    ({"current_password": PASSWORD, "new_password": "short"}, "at least 10 characters"),
    ({"current_password": PASSWORD, "new_password": "password123"}, "too common"),
    ({"current_password": "", "new_password": ""}, "Enter your current password"),
    ({"current_password": "x" * 5000, "new_password": "y" * 5000}, "too long"),
])
def test_change_password_refusals_change_nothing(client, db, make, login, data: dict[str, str],
                                                 message: str) -> None:
    user = make.user("Rowan")
    before = (user.password_hash, user.session_version)
    resp = login(user).post("/settings/password", data=data)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert message in page and "<title>Error: " in page
    assert data["new_password"] not in page or data["new_password"] == ""
    db.refresh(user)
    assert (user.password_hash, user.session_version) == before
    assert _entries(db, "user:change_password") == []


@pytest.mark.parametrize(("email", "password", "message"), [
    ("new@example.org", "not my password at all", "Your current password is not right"),
    ("not-an-email", PASSWORD, "correct format"),
    ("rowan@example.org", PASSWORD, "already your email address"),
    ("Rowan@Example.org", PASSWORD, "already your email address"),
    ("nul\x00@example.org", PASSWORD, "correct format"),
    ("", PASSWORD, "Enter your new email address"),
])
def test_change_email_refusals_change_nothing(client, db, make, login, mailbox, email: str,
                                              password: str, message: str) -> None:
    """Mistakes in the form are said on the form; none of them is about whether another
    account has an address (the confirm-by-email tests are in test_email_change.py)."""
    make.user("Taken", email="taken@example.org")
    user = make.user("Rowan", email="rowan@example.org")
    resp = login(user).post("/settings/email", data={"email": email,
                                                     "current_password": password})
    assert resp.status_code == 422
    assert message in resp.get_data(as_text=True)
    db.refresh(user)
    assert user.email == "rowan@example.org"
    assert db.scalar(select(PendingEmailChange)) is None
    assert db.scalar(select(AccountEmail)) is None
    assert mailbox.messages == []
    assert _entries(db, "user:change_email") == []


@pytest.mark.parametrize("path", ["/settings", "/settings/password", "/settings/email"])
def test_settings_pages_need_sign_in(client, path: str) -> None:
    resp = client.get(path)
    assert resp.status_code == 302 and "/sign-in" in resp.headers["Location"]
