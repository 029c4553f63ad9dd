"""Every state-changing form route refuses a request without a CSRF token.

The routes come from ``app.url_map``, so a new route is covered the day it is added. The
API is left out here: token-authenticated calls need no CSRF token, and the API blueprint
applies its own rule to cookie-authenticated calls.

A form route may go without CSRF protection only if it is in :data:`CSRF_EXEMPT`, with
its reason, and only if its own authorisation is a signed token in its address (so a
forged cross-site request has nothing to ride on: no session is used, and the attacker
cannot make the token). The last tests check that the list and the app agree, and that
each listed route refuses a forged token and accepts a signed one with no session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from helpers import Factories
from stubs import sign_in
from werkzeug.routing.converters import NumberConverter

from forum.errors import HTTP_MESSAGES

WRITES = {"POST", "PUT", "PATCH", "DELETE"}

# endpoint -> why it takes no CSRF token. Every entry must be authorised by a signed
# ``<token>`` in its URL, never by the session cookie.
CSRF_EXEMPT: dict[str, str] = {
    "notifications.unsubscribe": (
        "RFC 8058 one-click unsubscribe: mail providers POST to the List-Unsubscribe "
        "address with no session and no CSRF token; the signed token in the address "
        "says which member, and the only change it can make is to stop their emails."),
}


@pytest.fixture()
def csrf_on(secure_app: Flask) -> Iterator[None]:
    secure_app.config["WTF_CSRF_ENABLED"] = True
    try:
        yield
    finally:
        secure_app.config["WTF_CSRF_ENABLED"] = False


def _write_routes(app: Flask) -> list[tuple[str, str]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or rule.endpoint in CSRF_EXEMPT:
            continue
        for method in sorted((rule.methods or set()) & WRITES):
            values = {name: 1 if isinstance(conv, NumberConverter) else "sample"
                      for name, conv in rule._converters.items()}
            with app.test_request_context():
                from flask import url_for

                routes.append((method, url_for(rule.endpoint, **values)))
    return routes


def test_every_form_write_without_a_token_is_refused_plainly(
        secure_app: Flask, sclient: FlaskClient, smake: Factories, csrf_on: None) -> None:
    routes = _write_routes(secure_app)
    assert routes, "there are form routes to check"
    sign_in(sclient, smake.user())
    accepted = []
    for method, path in routes:
        for accept in ("text/html", "application/json"):
            response = sclient.open(path, method=method, data={"body": "hello"},
                                    headers={"Accept": accept})
            text = response.get_data(as_text=True)
            if response.status_code != 400 or "Traceback" in text:
                accepted.append(f"{method} {path} -> {response.status_code}")
            elif accept == "text/html":
                assert HTTP_MESSAGES[400][1] in text
            else:
                assert response.get_json()["error"]["code"] == "bad_request"
    assert accepted == [], "Accepted without a CSRF token:\n" + "\n".join(accepted)


def test_a_valid_token_gets_through(
        secure_app: Flask, sclient: FlaskClient, csrf_on: None) -> None:
    """So the refusals above are about the token, not something else."""
    from flask_wtf.csrf import generate_csrf

    method, path = _write_routes(secure_app)[0]
    with secure_app.test_request_context():
        token = generate_csrf()
        from flask import session

        saved = dict(session)
    with sclient.session_transaction() as sess:
        sess.update(saved)
    response = sclient.open(path, method=method, data={"csrf_token": token},
                            headers={"Accept": "application/json"})
    assert response.status_code != 400


def _csrf_exempt_form_endpoints(app: Flask) -> set[str]:
    """Endpoints outside the API that Flask-WTF's CSRFProtect lets through untouched."""
    csrf = app.extensions["csrf"]
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") or not (rule.methods or set()) & WRITES:
            continue
        view = app.view_functions[rule.endpoint]
        blueprint = app.blueprints.get(rule.endpoint.rpartition(".")[0])
        if (f"{view.__module__}.{view.__name__}" in csrf._exempt_views  # noqa: SLF001
                or blueprint in csrf._exempt_blueprints):  # noqa: SLF001
            found.add(rule.endpoint)
    return found


def test_the_exempt_list_is_exactly_what_the_app_exempts(secure_app: Flask) -> None:
    """A new ``@csrf.exempt`` form route fails here until it is listed with its reason."""
    assert _csrf_exempt_form_endpoints(secure_app) == set(CSRF_EXEMPT)
    assert all(len(reason) > 40 for reason in CSRF_EXEMPT.values())


def test_each_exempt_route_is_authorised_by_a_signed_token_alone(
        secure_app: Flask, smake: Factories, csrf_on: None) -> None:
    """No session is needed or used: a forged token changes nothing, a signed one works."""
    from forum.notifications.emails import unsubscribe_token
    from forum.notifications.models import EmailFrequency, NotificationPreference

    signers = {"notifications.unsubscribe": unsubscribe_token}
    assert set(signers) == set(CSRF_EXEMPT), "say how each exempt route's token is made"
    member = smake.user()
    for endpoint in CSRF_EXEMPT:
        rule = next(r for r in secure_app.url_map.iter_rules() if r.endpoint == endpoint)
        assert set(rule.arguments) == {"token"}, f"{endpoint}: authorised by a URL token"
        client = secure_app.test_client()  # no session, no CSRF token
        good = signers[endpoint](secure_app, member.id)
        with secure_app.test_request_context():
            from flask import url_for

            forged_path = url_for(endpoint, token=good[:-4] + "AAAA")
            good_path = url_for(endpoint, token=good)
        assert client.post(forged_path).status_code == 404
        assert smake.session.get(NotificationPreference, member.id) is None
        assert client.post(good_path).status_code == 200
        smake.session.expire_all()
        preference = smake.session.get(NotificationPreference, member.id)
        assert preference is not None
        assert preference.email_frequency == EmailFrequency.NEVER


# API endpoints that take no CSRF token from a cookie-signed-in browser, and why.
API_CSRF_EXEMPT = {
    "api.create_token": "Takes a login and password in its body and uses no session.",
}


def test_every_api_write_with_the_sign_in_cookie_needs_a_csrf_token(
        secure_app: Flask, sclient: FlaskClient, smake: Factories, csrf_on: None) -> None:
    """Every API blueprint (the moderation API too), walked from ``app.url_map``."""
    from forum.api.blueprint import api

    assert api.csrf_exempt_endpoints == set(API_CSRF_EXEMPT)
    sign_in(sclient, smake.admin())
    checked, accepted = 0, []
    for rule in secure_app.url_map.iter_rules():
        if not rule.rule.startswith("/api/") or rule.endpoint in API_CSRF_EXEMPT:
            continue
        for method in sorted((rule.methods or set()) & WRITES):
            values = {name: 1 if isinstance(conv, NumberConverter) else "sample"
                      for name, conv in rule._converters.items()}
            with secure_app.test_request_context():
                from flask import url_for

                path = url_for(rule.endpoint, **values)
            response = sclient.open(path, method=method, json={})
            checked += 1
            body = response.get_json(silent=True) or {}
            if response.status_code != 400 or body.get("error", {}).get("code") != "csrf_failed":
                accepted.append(f"{method} {path} -> {response.status_code}")
    assert checked > 20
    assert accepted == [], "Accepted a cookie write without a CSRF token:\n" + "\n".join(
        accepted)
