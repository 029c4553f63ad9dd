"""API tokens and the member's own account: POST /tokens, DELETE /tokens/current, GET /me."""

from __future__ import annotations

from helpers import PASSWORD, assert_error
from sqlalchemy import select

from forum.accounts.actions import do_create_token
from forum.accounts.models import ApiToken, UserStatus
from forum.audit.models import AuditEntry
from forum.auth import hash_token
from forum.privacy.models import SignInAddress


def test_create_token_with_username_then_use_it(client, db, make):
    user = make.user("quietharbour")
    resp = client.post("/api/v1/tokens", json={"login": "quietharbour", "password": PASSWORD,
                                               "name": "My phone"})
    assert resp.status_code == 201
    data = resp.get_json()
    secret = data["token"]
    assert secret.startswith("alo_") and data["name"] == "My phone"
    assert "not be shown again" in data["message"]
    stored = db.get(ApiToken, data["id"])
    assert stored.user_id == user.id and stored.token_hash == hash_token(secret)
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert me.status_code == 200
    assert me.get_json()["username"] == "quietharbour"
    assert me.get_json()["authenticated_by"] == "token"
    assert me.headers["Cache-Control"] == "no-store"


def test_creating_a_token_with_a_password_is_a_sign_in_with_its_address_kept(client, db,
                                                                            make):
    """Like the web sign-in, the address joins the member's sign-in history (what an admin
    sees with a reason, and what the member downloads); a wrong password keeps nothing."""
    user = make.user("quietharbour")
    assert client.post("/api/v1/tokens", json={"login": "quietharbour", "password": "nope"},
                       environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 401
    assert db.scalar(select(SignInAddress).where(SignInAddress.user_id == user.id)) is None
    resp = client.post("/api/v1/tokens", json={"login": "quietharbour", "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert resp.status_code == 201
    [address] = db.scalars(select(SignInAddress).where(SignInAddress.user_id == user.id))
    assert address.ip == "198.51.100.7"
    db.refresh(user)
    assert user.last_seen_at is not None


def _columns(entry: AuditEntry) -> tuple[object, ...]:
    return (entry.actor_id, entry.subject_type, entry.subject_id, entry.board_id,
            entry.reason, entry.before, entry.after)


def test_a_token_sign_in_is_audited_like_a_web_sign_in(app, client, db, make):
    """``user:login`` with the same columns as the sign-in page writes, and nothing of the
    password, the token or the address in it; a wrong password audits no sign-in."""
    user = make.user("quietharbour")
    assert client.post("/api/v1/tokens", json={"login": "quietharbour",
                                               "password": "nope"}).status_code == 401
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "user:login")).all() == []
    resp = client.post("/api/v1/tokens", json={"login": "quietharbour", "password": PASSWORD},
                       environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert resp.status_code == 201
    secret = resp.get_json()["token"]
    [api_entry] = db.scalars(select(AuditEntry).where(AuditEntry.action == "user:login"))
    assert _columns(api_entry) == (user.id, "user", user.id, None, "", {}, {})
    written = repr(_columns(api_entry))
    for private in (PASSWORD, secret, secret[:12], "198.51.100.7", user.email):
        assert private not in written

    web = app.test_client()
    assert web.post("/sign-in", data={"login": "quietharbour",
                                      "password": PASSWORD}).status_code == 303
    entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "user:login")
                         .order_by(AuditEntry.id)).all()
    assert len(entries) == 2
    assert _columns(entries[1]) == _columns(api_entry)


def test_a_token_made_on_the_settings_page_is_not_a_sign_in(db, make):
    user = make.user()
    do_create_token(db, actor=make.viewer(user), name="From settings")
    assert db.scalar(select(SignInAddress).where(SignInAddress.user_id == user.id)) is None
    assert db.scalars(select(AuditEntry).where(AuditEntry.action == "user:login")).all() == []


def test_create_token_with_email(client, make):
    user = make.user()
    resp = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert resp.status_code == 201
    assert resp.get_json()["name"] == "API token"


def test_create_token_with_wrong_password_is_401_and_creates_nothing(client, db, make):
    user = make.user()
    resp = client.post("/api/v1/tokens", json={"login": user.username, "password": "wrong one"})
    error = assert_error(resp, 401, "unauthorised")
    assert "not right" in error["message"]
    assert db.scalar(select(ApiToken.id).where(ApiToken.user_id == user.id)) is None


def test_create_token_for_unknown_or_suspended_account_is_401(client, make):
    suspended = make.user(status=UserStatus.SUSPENDED)
    assert_error(client.post("/api/v1/tokens", json={"login": "nobody", "password": PASSWORD}),
                 401)
    assert_error(client.post("/api/v1/tokens", json={"login": suspended.username,
                                                     "password": PASSWORD}), 401)


def test_create_token_missing_fields_is_422_in_plain_english(client):
    error = assert_error(client.post("/api/v1/tokens", json={}), 422, "invalid")
    assert error["fields"] == {"login": "Enter your username or email address.",
                               "password": "Enter your password."}


def test_revoke_current_token(client, db, make, bearer):
    user = make.user()
    headers = bearer(user)
    resp = client.delete("/api/v1/tokens/current", headers=headers)
    assert resp.status_code == 204 and resp.get_data() == b""
    token = db.scalar(select(ApiToken).where(ApiToken.user_id == user.id))
    assert token.revoked_at is not None
    assert db.scalar(select(AuditEntry.id).where(AuditEntry.action == "token:revoke",
                                                 AuditEntry.subject_id == token.id))
    assert_error(client.get("/api/v1/me", headers=headers), 401)


def test_revoke_current_token_needs_a_token_not_a_cookie(client, make, login):
    login(make.user())
    assert_error(client.delete("/api/v1/tokens/current"), 401)


def test_an_invalid_token_is_refused_even_on_public_routes(client, make):
    make.board("Open board")
    resp = client.get("/api/v1/boards", headers={"Authorization": "Bearer alo_not-a-token"})
    error = assert_error(resp, 401, "unauthorised")
    assert "token is not valid" in error["message"]
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_needs_authentication(client):
    assert_error(client.get("/api/v1/me"), 401, "unauthorised")


def test_me_shows_own_email_and_works_with_the_sign_in_cookie(client, make, login):
    user = make.user()
    login(user)
    data = client.get("/api/v1/me").get_json()
    assert data["email"] == user.email and data["authenticated_by"] == "session"
    assert data["id"] == user.id and data["role"] == "member"


def test_token_refusals_are_identical_whether_or_not_the_account_exists(client, make):
    user = make.user(email="wren@example.org")
    suspended = make.user(status=UserStatus.SUSPENDED)
    answers = [client.post("/api/v1/tokens", json={"login": login, "password": password})
               for login, password in ((user.username, "wrong one"),
                                       ("wren@example.org", "wrong one"),
                                       ("nobody", PASSWORD),
                                       ("nobody@example.org", PASSWORD),
                                       (suspended.username, PASSWORD))]
    assert {a.status_code for a in answers} == {401}
    assert len({a.get_data(as_text=True) for a in answers}) == 1
