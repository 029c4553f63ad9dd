"""Security headers, private-page caching, cookies and proxy trust."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_login import login_user
from helpers import Factories
from stubs import sign_in
from werkzeug.middleware.proxy_fix import ProxyFix

from forum import create_app
from forum.security.headers import content_security_policy


def _directives(policy: str) -> dict[str, str]:
    return {part.strip().split(" ", 1)[0]: part.strip() for part in policy.split(";")}


def test_every_page_gets_the_strict_policy_and_the_other_headers(sclient: FlaskClient) -> None:
    response = sclient.get("/help/now")
    assert response.status_code == 200
    policy = _directives(response.headers["Content-Security-Policy"])
    assert policy["object-src"] == "object-src 'none'"
    assert policy["base-uri"] == "base-uri 'none'"
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["form-action"] == "form-action 'self'"
    assert policy["style-src"] == "style-src 'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "unsafe-eval" not in response.headers["Content-Security-Policy"]
    assert policy["connect-src"] == "connect-src 'self' ws://localhost"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Strict-Transport-Security" not in response.headers


def test_scripts_carry_the_nonce_of_their_own_response(sclient: FlaskClient) -> None:
    nonces = []
    for _ in range(2):
        response = sclient.get("/help/now")
        policy = response.headers["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
        html = response.get_data(as_text=True)
        scripts = re.findall(r"<script\b[^>]*>", html)
        assert scripts, "the layout includes the NHS.UK script"
        for tag in scripts:
            assert f'nonce="{nonce}"' in tag
        assert not re.search(r"\son[a-z]+\s*=", html), "no inline event handlers"
        nonces.append(nonce)
    assert nonces[0] != nonces[1]


def test_secure_requests_allow_secure_sockets_only() -> None:
    policy = content_security_policy("abc", "forum.example", secure=True)
    assert "connect-src 'self' wss://forum.example" in policy
    assert "ws://" not in policy


def test_signed_in_pages_and_token_requests_are_never_cached(
        sclient: FlaskClient, smake: Factories) -> None:
    anonymous = sclient.get("/help/now")
    assert "no-store" not in anonymous.headers.get("Cache-Control", "")
    with_token = sclient.get("/healthz", headers={"Authorization": "Bearer alo_whatever"})
    assert with_token.headers["Cache-Control"] == "no-store"
    sign_in(sclient, smake.user())
    signed_in = sclient.get("/help/now")
    assert signed_in.headers["Cache-Control"] == "no-store"
    # Static files stay cacheable even for members.
    static = sclient.get("/static/css/alongside.css")
    assert "no-store" not in static.headers.get("Cache-Control", "")


def _set_cookies(app: Flask, user: object, remember: bool) -> dict[str, str]:
    with app.test_request_context("/"):
        login_user(user, remember=remember)
        response = app.process_response(app.make_response("ok"))
    return {value.split("=", 1)[0]: value for value in response.headers.getlist("Set-Cookie")}


def test_session_and_remember_cookies_are_httponly_lax_and_last_the_configured_days(
        secure_app: Flask, smake: Factories) -> None:
    cookies = _set_cookies(secure_app, smake.user(), remember=True)
    session_cookie = cookies[secure_app.config["SESSION_COOKIE_NAME"]]
    remember_cookie = cookies["remember_token"]
    for cookie in (session_cookie, remember_cookie):
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
        assert "Secure" not in cookie  # not production: plain http on a developer machine
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", remember_cookie).group(1))
    days = secure_app.config["REMEMBER_COOKIE_DAYS"]
    expected = datetime.now(UTC) + timedelta(days=days)
    assert abs((expires - expected).total_seconds()) < 120


def test_production_sends_hsts_and_secure_cookies(app: Flask, smake: Factories) -> None:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        prod = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "s" * 48,
                           "REDIS_URL": ""}, env="production")
    finally:
        # Production switches the whole process to JSON logs; put the test's back.
        root.handlers, root.level = handlers, level
    response = prod.test_client().get("/healthz")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookies = _set_cookies(prod, smake.user(), remember=True)
    assert "Secure" in cookies[prod.config["SESSION_COOKIE_NAME"]]
    assert "Secure" in cookies["remember_token"]


def test_proxy_headers_are_trusted_only_for_the_configured_hops(
        secure_app: Flask, app: Flask) -> None:
    assert not isinstance(secure_app.wsgi_app, ProxyFix)
    behind_one = create_app({"DATABASE_URL": app.config["DATABASE_URL"],
                             "TRUSTED_PROXY_HOPS": 1}, env="test")
    assert isinstance(behind_one.wsgi_app, ProxyFix)
    assert behind_one.wsgi_app.x_for == 1
    assert behind_one.wsgi_app.x_proto == 1


def test_constant_headers_reach_errors_and_socketio_once_each(sclient: FlaskClient) -> None:
    """They are added at the WSGI edge (forum.security.headers.ConstantHeaders): so on
    answers Flask's own hooks never see, and never twice."""
    missing = sclient.get("/no-such-page")
    polling = sclient.get("/socket.io/?EIO=4&transport=polling")
    assert missing.status_code == 404
    for response in (missing, polling):
        for name in ("X-Content-Type-Options", "X-Frame-Options", "Permissions-Policy",
                     "Cross-Origin-Opener-Policy"):
            assert len(response.headers.getlist(name)) == 1, (name, response.status_code)
    assert missing.headers["Referrer-Policy"] == "same-origin"


def test_a_session_cookie_signed_with_another_secret_is_refused(app: Flask) -> None:
    """The signing serializer is kept between requests (forum.security): never past a
    change of the secret."""
    from flask import request

    keyed = create_app({"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "a" * 48},
                       env="test")
    client = keyed.test_client()
    with client.session_transaction() as sess:
        sess["probe"] = "kept"
    name = keyed.config["SESSION_COOKIE_NAME"]
    cookie = f"{name}={client.get_cookie(name).value}"

    def opened() -> Any:
        with keyed.test_request_context(headers={"Cookie": cookie}):
            return keyed.session_interface.open_session(keyed, request)

    assert opened().get("probe") == "kept"
    keyed.secret_key = "b" * 48
    assert "probe" not in opened()
