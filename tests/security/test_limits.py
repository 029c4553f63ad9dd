"""Rate limits: the table, the keys, the friendly 429 and the sign-in slow-down."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import PASSWORD, Factories
from stubs import is_stub, sign_in

from forum.db import utcnow
from forum.security import login_throttle
from forum.security.limits import LIMITS, expected_endpoints, rules_for
from forum.security.ratelimit import client_network


def test_every_endpoint_in_the_table_exists_once_its_feature_is_merged(app: Flask) -> None:
    """A renamed or missing view would silently lose its limit: name it here.

    Every name in the table is a write (POST). A blueprint that takes writes at all has
    its feature merged, so each of its names in the table must exist.
    """
    writing_blueprints = {rule.endpoint.split(".", 1)[0] for rule in app.url_map.iter_rules()
                          if "POST" in (rule.methods or ()) and "." in rule.endpoint}
    missing = [name for name in expected_endpoints()
               if name.split(".", 1)[0] in writing_blueprints and name not in app.view_functions]
    assert missing == [], (
        "forum/security/limits.py limits these endpoints, but their blueprints do not "
        f"define them (renamed?): {missing}. Update LIMITS or the views.")


def test_every_existing_limited_endpoint_is_wrapped(app: Flask) -> None:
    for name in app.view_functions:
        if rules_for(name):
            assert getattr(app.view_functions[name], "_alongside_rate_limited", False), name


def test_limits_are_off_unless_switched_on(sclient: FlaskClient, secure_app: Flask) -> None:
    assert secure_app.extensions["forum_limiter"].enabled is False
    for _ in range(10):
        assert sclient.post("/_stub/accounts.login" if is_stub(secure_app, "accounts.login")
                            else "/sign-in", data={}).status_code != 429


def _url(app: Flask, endpoint: str, **values: Any) -> str:
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **values)


def test_sign_in_is_limited_per_network_with_a_friendly_page(
        sclient: FlaskClient, secure_app: Flask, rate_limits: Any) -> None:
    url = _url(secure_app, "accounts.login")
    form = {"login": "someone", "password": "not right"}
    # A spoofed X-Forwarded-For is not trusted (no proxy hops configured).
    # Different logins each time, so the per-login slow-down (5 failures) stays out of it.
    statuses = [sclient.post(url, data={**form, "login": f"someone{n}"},
                             headers={"X-Forwarded-For": f"10.0.0.{n}"}
                             ).status_code for n in range(6)]
    assert 429 not in statuses
    refused = sclient.post(url, data=form)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    page = refused.get_data(as_text=True)
    assert "You have tried to sign in a lot of times" in page
    assert "<title>" in page and "Traceback" not in page
    # Another network is not affected.
    other = sclient.post(url, data=form, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code != 429
    # Reading the sign-in page is never limited.
    assert sclient.get(url).status_code != 429


def test_the_429_json_shape_for_api_clients(
        sclient: FlaskClient, secure_app: Flask, rate_limits: Any) -> None:
    url = _url(secure_app, "accounts.login")
    for _ in range(6):
        sclient.post(url, data={"login": "x", "password": "y"})
    refused = sclient.post(url, data={"login": "x", "password": "y"},
                           headers={"Accept": "application/json"})
    assert refused.status_code == 429
    body = refused.get_json()
    assert body["error"]["code"] == "too_many_requests"
    assert "sign in" in body["error"]["message"]
    assert body["error"]["fields"] == {}
    assert int(refused.headers["Retry-After"]) >= 1


def test_password_reset_is_limited_per_address_without_revealing_it(
        sclient: FlaskClient, secure_app: Flask, rate_limits: Any) -> None:
    url = _url(secure_app, "accounts.request_reset")
    for _ in range(2):
        assert sclient.post(url, data={"email": "nobody@example.org"}).status_code != 429
    # Same address, different spelling: same count.
    assert sclient.post(url, data={"email": " Nobody@Example.org "}).status_code == 429
    assert sclient.post(url, data={"email": "another@example.org"}).status_code != 429


def test_registration_is_limited_per_address_the_same_whether_or_not_it_has_an_account(
        sclient: FlaskClient, secure_app: Flask, smake: Factories, rate_limits: Any) -> None:
    """Each sign-up emails the address typed: three an hour per address, counted only when
    the form was accepted, and the same answer for an address with an account."""
    smake.user("owner_here", email="owner@example.org")
    url = _url(secure_app, "accounts.register")
    answers = {}
    for address in ("owner@example.org", "stranger@example.org"):
        form = {"email": address, "password": "quiet harbour lantern 4471",
                "accept_guidelines": "y"}
        # A mistake in the form does not use up the allowance.
        assert sclient.post(url, data={**form, "username": "x"}).status_code == 422
        for n in range(3):
            done = sclient.post(url, data={**form, "username": f"newcomer{n}"})
            assert done.status_code == 200
        refused = sclient.post(url, data={**form, "username": "newcomer9"})
        answers[address] = (refused.status_code, refused.get_data(as_text=True).count(
            "already sent several emails"))
    assert answers["owner@example.org"] == answers["stranger@example.org"] == (429, 1)


def test_changing_email_is_limited_per_account(
        sclient: FlaskClient, secure_app: Flask, smake: Factories, rate_limits: Any) -> None:
    """Each change-email try emails the address typed, and a wrong password is a guess at
    it: five tries an hour per account, whatever the address."""
    smake.user("owner_here", email="owner@example.org")
    prober = smake.user("prober_here")
    sign_in(sclient, prober)
    url = _url(secure_app, "accounts.change_email")
    for n in range(5):
        tried = sclient.post(url, data={"email": f"guess{n}@example.org",
                                        "current_password": "not my password"})
        assert tried.status_code == 422
    assert sclient.post(url, data={"email": "owner@example.org",
                                   "current_password": PASSWORD}).status_code == 429
    other = secure_app.test_client()
    sign_in(other, smake.user("someone_else"))
    assert other.post(url, data={"email": "x@example.org"}).status_code == 422


def test_ipv6_clients_are_grouped_by_64(secure_app: Flask) -> None:
    with secure_app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}):
        first = client_network()
    with secure_app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:2:bbbb::9"}):
        same_home = client_network()
    with secure_app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"}):
        elsewhere = client_network()
    with secure_app.test_request_context(environ_base={"REMOTE_ADDR": "::ffff:192.0.2.1"}):
        mapped = client_network()
    assert first == same_home == "2001:db8:1:2::/64"
    assert elsewhere != first
    assert mapped == "192.0.2.1"


def _post_url(secure_app: Flask, smake: Factories, user: Any) -> str:
    """Where a member posts a reply (the stub until the pages branch is merged)."""
    if is_stub(secure_app, "threads.reply"):
        return _url(secure_app, "threads.reply")
    board = smake.board()
    thread = smake.thread(board, user).thread
    return _url(secure_app, "threads.reply", thread_id=thread.id)


@pytest.mark.parametrize(("age_days", "window"), [(1, 30), (30, 5)])
def test_posting_pace_depends_on_account_age(
        sclient: FlaskClient, secure_app: Flask, smake: Factories, rate_limits: Any,
        age_days: int, window: int) -> None:
    user = smake.user(created_at=utcnow() - timedelta(days=age_days))
    url = _post_url(secure_app, smake, user)
    sign_in(sclient, user)
    first = sclient.post(url, data={"body": "First reply, thank you all."})
    assert first.status_code < 400
    second = sclient.post(url, data={"body": "Second reply straight away."})
    assert second.status_code == 429
    retry_after = int(second.headers["Retry-After"])
    assert window - 5 < retry_after <= window
    assert "posting very quickly" in second.get_data(as_text=True)
    # The count is per account: another member can still post.
    sign_in(sclient, smake.user(created_at=utcnow() - timedelta(days=age_days)))
    assert sclient.post(url, data={"body": "Hello from me too."}).status_code < 400


def test_new_threads_and_tokens_have_their_rules() -> None:
    scopes = {rule.scope for rule in rules_for("threads.new")}
    assert {"posting", "new-threads"} <= scopes
    assert next(r for r in rules_for("threads.new") if r.scope == "new-threads").limit \
        == "20 per day"
    assert {r.scope for r in rules_for("api.create_token")} >= {"tokens", "sign-in", "api"}
    assert {r.scope for r in rules_for("api.boards")} == {"api"}
    assert LIMITS["moderation.report"][0].limit == "20 per hour"


def test_sign_in_slow_down_is_soft_temporary_and_the_same_for_unknown_names(
        secure_app: Flask, rate_limits: Any) -> None:
    with secure_app.test_request_context():
        for name in ("maple", "no-such-member-anywhere"):
            for _ in range(login_throttle.FAILURES):
                assert login_throttle.is_throttled(name) == 0
                login_throttle.record_failure(name)
            # One more try is allowed after the fifth failure...
            assert login_throttle.is_throttled(name) == 0
            login_throttle.record_failure(name)
            # ...then one a minute, never longer than the slow-down.
            wait = login_throttle.is_throttled(name)
            assert 0 < wait <= login_throttle.SLOW_DOWN_SECONDS
            assert login_throttle.is_throttled(name.upper()) == wait  # typed either way
        assert login_throttle.is_throttled("heron") == 0
        login_throttle.record_success("maple")
        assert login_throttle.is_throttled("maple") == 0


def test_sign_in_slow_down_is_off_when_limits_are_off(secure_app: Flask) -> None:
    with secure_app.test_request_context():
        for _ in range(10):
            login_throttle.record_failure("maple")
        assert login_throttle.is_throttled("maple") == 0


def test_limiter_hooks_run_only_for_limited_endpoints(secure_app: Flask) -> None:
    confined = [f for table in (secure_app.before_request_funcs, secure_app.after_request_funcs,
                                secure_app.teardown_request_funcs)
                for f in table.get(None, []) if getattr(f, "__confined_limiter_hook__", False)]
    assert len(confined) == 3
    limited = secure_app.extensions["forum_limited_endpoints"]
    assert "accounts.login" in limited and "threads.reply" in limited
    assert "threads.show" not in limited


def test_default_limits_keep_the_hooks_on_every_request(app: Flask) -> None:
    """Were default limits ever configured, every page must be counted again."""
    from forum import create_app

    limited_app = create_app({"DATABASE_URL": app.config["DATABASE_URL"],
                              "RATELIMIT_DEFAULT": "2 per minute",
                              "RATELIMIT_ENABLED": True}, env="test")
    assert not any(getattr(f, "__confined_limiter_hook__", False)
                   for f in limited_app.before_request_funcs.get(None, []))
    client = limited_app.test_client()
    answers = [client.get("/help/now").status_code for _ in range(3)]
    assert answers == [200, 200, 429]


def test_every_api_route_counts_against_the_api_allowance(app: Flask) -> None:
    """Whatever blueprint serves it (the moderation API is its own), /api/... is limited."""
    unlimited = [rule.endpoint for rule in app.url_map.iter_rules()
                 if rule.rule.startswith("/api/")
                 and "api" not in {r.scope for r in rules_for(rule.endpoint)}]
    assert unlimited == []
    # Reporting on the page and through the API share one allowance.
    assert "reports" in {r.scope for r in rules_for("moderation.report")}
    assert {"reports", "api"} <= {r.scope for r in rules_for("moderation_api.report")}


def test_reports_are_limited_per_member_across_page_and_api(
        sclient: FlaskClient, secure_app: Flask, smake: Factories, sdb: Any,
        rate_limits: Any) -> None:
    from forum.accounts.actions import do_create_token

    if is_stub(secure_app, "moderation.report"):
        pytest.fail("the report page is part of this project")
    reporter = smake.user(created_at=utcnow() - timedelta(days=30))
    board = smake.board()
    thread = smake.thread(board, smake.user()).thread
    posts = [smake.reply(thread, body=f"Reply number {n}.").post for n in range(22)]
    sign_in(sclient, reporter)
    for post in posts[:10]:
        page = sclient.post(f"/posts/{post.id}/report", data={"reason": "abuse"})
        assert page.status_code == 303, page.get_data(as_text=True)[:500]
    _row, secret = do_create_token(sdb, actor=smake.viewer(reporter), name="phone")
    api = secure_app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    for post in posts[10:20]:
        answer = api.post("/api/v1/moderation/flags", headers=headers,
                          json={"post_id": post.id, "reason": "abuse"})
        assert answer.status_code == 201, answer.get_data(as_text=True)
    refused = api.post("/api/v1/moderation/flags", headers=headers,
                       json={"post_id": posts[20].id, "reason": "abuse"})
    assert refused.status_code == 429
    assert "Thank you for your reports" in refused.get_json()["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 60
    page = sclient.post(f"/posts/{posts[21].id}/report", data={"reason": "abuse"})
    assert page.status_code == 429 and "call 999" in page.get_data(as_text=True)
    # Someone else can still report.
    sign_in(sclient, smake.user())
    assert sclient.post(f"/posts/{posts[21].id}/report",
                        data={"reason": "abuse"}).status_code == 303


def test_token_creation_is_limited_per_member(
        sclient: FlaskClient, secure_app: Flask, smake: Factories, rate_limits: Any) -> None:
    sign_in(sclient, smake.user())
    url = _url(secure_app, "accounts.create_token")
    for n in range(10):
        assert sclient.post(url, data={"name": f"Device {n}"}).status_code == 201
    refused = sclient.post(url, data={"name": "One more"})
    assert refused.status_code == 429
    assert "created a lot of API tokens" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 60


def test_twenty_new_conversations_a_day(
        sclient: FlaskClient, secure_app: Flask, smake: Factories, rate_limits: Any,
        monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    import flask_limiter._extension
    import limits.storage.memory
    import limits.strategies

    skipped = [0.0]

    class Clock:
        """The rate limiter's clock only, moved on by ``skipped`` seconds."""

        def time(self) -> float:
            return time.time() + skipped[0]

        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

    # Step past the posting pace (one every 5 seconds) between conversations.
    for module in (limits.storage.memory, limits.strategies, flask_limiter._extension):
        monkeypatch.setattr(module, "time", Clock())
    user = smake.user(created_at=utcnow() - timedelta(days=30))
    board = smake.board()
    sign_in(sclient, user)
    url = _url(secure_app, "threads.new", slug=board.slug)
    for n in range(20):
        answer = sclient.post(url, data={"title": f"Question {n} of today",
                                         "body": "Has anyone found a way through this?"})
        assert answer.status_code < 400, (n, answer.status_code)
        skipped[0] += 6
    refused = sclient.post(url, data={"title": "One question too many",
                                      "body": "Has anyone found a way through this?"})
    assert refused.status_code == 429
    assert "started 20 conversations today" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 3600
    # Replies are still fine.
    thread_url = _post_url(secure_app, smake, user)
    assert sclient.post(thread_url, data={"body": "Thank you all."}).status_code < 400


def test_an_api_429_is_the_documented_answer(
        secure_app: Flask, smake: Factories, sdb: Any, rate_limits: Any) -> None:
    import jsonschema

    from forum.accounts.actions import do_create_token

    api = secure_app.test_client()
    document = api.get("/api/v1/openapi.json").get_json()
    user = smake.user(created_at=utcnow() - timedelta(days=30))
    thread = smake.thread(smake.board(), user).thread
    _row, secret = do_create_token(sdb, actor=smake.viewer(user), name="phone")
    headers = {"Authorization": f"Bearer {secret}"}
    path = "/api/v1/threads/{thread_id}/posts"
    first = api.post(f"/api/v1/threads/{thread.id}/posts", headers=headers,
                     json={"body": "First."})
    assert first.status_code == 201
    refused = api.post(f"/api/v1/threads/{thread.id}/posts", headers=headers,
                       json={"body": "Second, straight away."})
    assert refused.status_code == 429
    documented = document["paths"][path]["post"]["responses"]["429"]
    jsonschema.validate(refused.get_json(),
                        {**document, **documented["content"]["application/json"]["schema"]})
    assert set(documented["headers"]) == {"Retry-After"}
    assert 1 <= int(refused.headers["Retry-After"]) <= 5
    # Every operation documents it: every one of them is limited.
    for operations in document["paths"].values():
        for operation in operations.values():
            assert "429" in operation["responses"]
