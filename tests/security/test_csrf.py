"""Every state-changing form route refuses a request without a CSRF token.

The routes come from ``app.url_map``, so a new route is covered the day it is added. The
API is left out here: token-authenticated calls need no CSRF token, and the API blueprint
applies its own rule to cookie-authenticated calls.
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
        if rule.rule.startswith("/api/"):
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
