"""Request ids, the access log, and the rule that logs never hold what members wrote."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from helpers import PASSWORD, Factories
from sqlalchemy import select
from stubs import is_stub, sign_in

from forum.accounts.email_change import make_email_change_token
from forum.accounts.jobs import send_account_emails
from forum.accounts.models import PendingEmailChange, PendingRegistration, User
from forum.accounts.registration import make_registration_token
from forum.accounts.reset import make_reset_token
from forum.logging_setup import JsonFormatter
from forum.security.request_log import choose_request_id
from forum.threads.models import Post


class Capture(logging.Handler):
    """Every record, formatted as production would (JSON, with exceptions)."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.setFormatter(JsonFormatter())
        self.lines: list[str] = []
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self.lines.append(self.format(record))


@pytest.fixture()
def captured_logs() -> Iterator[Capture]:
    handler = Capture()
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_safe_request_ids_are_kept_and_others_replaced() -> None:
    assert choose_request_id("3f2a9c1e-77aa-4c1b-9a51-0c3a6d2e8f10") \
        == "3f2a9c1e-77aa-4c1b-9a51-0c3a6d2e8f10"
    for unsafe in (None, "", "short", "has space in it", "line\nbreak-injected",
                   "x" * 65, "<script>alert(1)</script>", "me@example.org-request"):
        chosen = choose_request_id(unsafe)
        assert chosen != unsafe
        assert len(chosen) == 32


def test_the_request_id_is_echoed_and_on_every_log_line(
        sclient: FlaskClient, captured_logs: Capture) -> None:
    given = sclient.get("/healthz", headers={"X-Request-ID": "lb-0123456789abcdef"})
    assert given.headers["X-Request-ID"] == "lb-0123456789abcdef"
    fresh = sclient.get("/healthz", headers={"X-Request-ID": "bad id"})
    assert fresh.headers["X-Request-ID"] != "bad id"
    access = [json.loads(line) for line in captured_logs.lines
              if json.loads(line)["logger"] == "forum.access"]
    assert [a["request_id"] for a in access] == ["lb-0123456789abcdef",
                                                 fresh.headers["X-Request-ID"]]
    first = access[0]
    assert (first["method"], first["endpoint"], first["status"]) == ("GET", "health.healthz", 200)
    assert isinstance(first["duration_ms"], float)


def test_access_lines_name_the_endpoint_never_the_path_or_query(
        sclient: FlaskClient, captured_logs: Capture) -> None:
    sclient.get("/boards/hiv-support?email=someone@example.org&token=alo_secretvalue")
    sclient.get("/healthz?email=someone@example.org")
    text = "\n".join(captured_logs.lines)
    assert "hiv-support" not in text
    assert "someone@example.org" not in text
    assert "alo_secretvalue" not in text
    assert '"endpoint": "boards.show"' in text


def _url(app: Flask, endpoint: str, **values: Any) -> str:
    with app.test_request_context():
        return url_for(endpoint, **values)


def test_a_register_sign_in_and_post_flow_logs_no_private_words(
        sclient: FlaskClient, secure_app: Flask, smake: Factories, sdb: Any,
        captured_logs: Capture) -> None:
    """Uses the real pages where this branch has them, the actions where it does not."""
    email = "private.person.4471@example.org"
    password = "quiet harbour lantern 4471"
    title = "Feeling low after my diagnosis 4471"
    body = "My consultant said the scan showed something 4471, I am scared."
    reply_text = "Thank you for listening 4471, it helps to say it."
    board = smake.board()
    secrets_seen: list[str] = []

    if not is_stub(secure_app, "accounts.register"):
        response = sclient.post(_url(secure_app, "accounts.register"), data={
            "username": "quietharbour", "email": email, "password": password,
            "accept_guidelines": "y"})
        assert response.status_code < 400
        # The emailed link finishes it (the account-mail job and its log lines too).
        send_account_emails(secure_app)
        pending = sdb.scalar(select(PendingRegistration).where(
            PendingRegistration.username == "quietharbour"))
        assert pending is not None
        secrets_seen.append(make_registration_token(pending))
        link = _url(secure_app, "accounts.confirm_registration", token=secrets_seen[-1])
        sclient.get(link)
        assert sclient.post(link).status_code == 303
        user = sdb.scalar(select(User).where(User.username == "quietharbour"))
        sclient.post(_url(secure_app, "accounts.logout"))
        response = sclient.post(_url(secure_app, "accounts.login"), data={
            "login": email, "password": "wrong " + password})
        response = sclient.post(_url(secure_app, "accounts.login"), data={
            "login": email, "password": password})
        assert response.status_code < 400
    else:
        user = smake.user("quietharbour", email=email)
        sclient.post(_url(secure_app, "accounts.login"),
                     data={"login": email, "password": PASSWORD})
        sign_in(sclient, user)
    assert user is not None

    # Moving the account to a new address (and trying one someone else has): the form, the
    # job's mail and the emailed link.
    new_email = "new.private.person.4471@example.org"
    smake.user("someone_else", email="taken.person.4471@example.org")
    for address in ("taken.person.4471@example.org", new_email):
        response = sclient.post(_url(secure_app, "accounts.change_email"), data={
            "email": address,
            "current_password": PASSWORD if is_stub(secure_app, "accounts.register") else password})
        assert response.status_code == 303
        send_account_emails(secure_app)
    change = sdb.scalar(select(PendingEmailChange).where(
        PendingEmailChange.user_id == user.id))
    assert change is not None
    secrets_seen.append(make_email_change_token(change))
    link = _url(secure_app, "accounts.confirm_email_change", token=secrets_seen[-1])
    sclient.get(link)
    assert sclient.post(link).status_code == 303
    send_account_emails(secure_app)

    if not is_stub(secure_app, "threads.new"):
        response = sclient.post(_url(secure_app, "threads.new", slug=board.slug),
                                data={"title": title, "body": body})
        assert response.status_code < 400
    else:
        smake.thread(board, user, title=title, body=body)
    thread_post = sdb.scalar(select(Post).where(Post.author_id == user.id))
    assert thread_post is not None and body in thread_post.body_source
    thread = thread_post.thread
    if not is_stub(secure_app, "threads.reply"):
        response = sclient.post(_url(secure_app, "threads.reply", thread_id=thread.id),
                                data={"body": reply_text})
        assert response.status_code < 400
    else:
        smake.reply(thread, user, body=reply_text)
    sclient.get(_url(secure_app, "threads.show", thread_id=thread.id))
    sclient.get(_url(secure_app, "boards.show", slug=board.slug))
    # A password reset (the request, the job's mail, the link) and an API token made
    # with the new password, then used, and a wrong one tried.
    if not is_stub(secure_app, "accounts.request_reset"):
        new_password = "reset harbour lantern 4471"
        response = sclient.post(_url(secure_app, "accounts.request_reset"),
                                data={"email": new_email})
        assert response.status_code == 200
        send_account_emails(secure_app)
        sdb.expire_all()
        secrets_seen.append(make_reset_token(sdb.get(User, user.id)))
        link = _url(secure_app, "accounts.reset_password", token=secrets_seen[-1])
        sclient.get(link)
        assert sclient.post(link, data={"password": new_password}).status_code == 303
        secrets_seen.append(new_password)
        if not is_stub(secure_app, "api.create_token"):
            response = sclient.post("/api/v1/tokens", json={
                "login": new_email, "password": new_password, "name": "My phone"})
            assert response.status_code == 201, response.get_data(as_text=True)
            api_token = response.get_json()["token"]
            secrets_seen.append(api_token)
            assert sclient.get("/api/v1/me", headers={
                "Authorization": f"Bearer {api_token}"}).status_code == 200
            assert sclient.get("/api/v1/me", headers={
                "Authorization": f"Bearer {api_token}x"}).status_code == 401
    # A failure on the way must not spill the request either.
    sclient.post("/no-such-page", data={"body": body, "email": email})

    text = "\n".join(captured_logs.lines)
    assert captured_logs.lines, "the flow was logged"
    for secret in (email, new_email, "taken.person.4471@example.org", password, PASSWORD,
                   title, body, reply_text,
                   user.password_hash, *secrets_seen):
        assert secret not in text, f"{secret!r} appeared in the logs"
