"""Addresses nobody links to — numbers too big for an id, junk in a slug or a token — get a
clear 4xx, never a 500, on every route, for a visitor and for an admin (who gets furthest).

The routes come from ``app.url_map``, so a new route is covered the day it is added.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from helpers import Factories
from sqlalchemy.orm import Session
from stubs import is_stub, sign_in

ARGUMENT = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")

# What an outside client might put in each kind of placeholder.
JUNK = {
    "int": ["99999999999999999999", "2147483648", "0"],
    "default": ["%ff%fe", "x" * 300, "..%2f..%2fetc", "%00"],
}


def _addresses(app: Flask) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.arguments or is_stub(app, rule.endpoint) or rule.endpoint == "static":
            continue
        kinds = {name: (conv or "default") for conv, name in ARGUMENT.findall(rule.rule)}
        for name, kind in kinds.items():
            for junk in JUNK["int" if kind == "int" else "default"]:
                path = ARGUMENT.sub(
                    lambda m, name=name, junk=junk: junk if m.group(2) == name
                    else ("1" if (m.group(1) or "default") == "int" else "x"), rule.rule)
                for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
                    found.append((method, path))
    return found


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_junk_in_an_address_is_a_4xx_never_a_500(
        secure_app: Flask, sdb: Session, smake: Factories, role: str) -> None:
    admin = smake.admin()
    addresses = _addresses(secure_app)
    assert len(addresses) > 50  # the walk really covers the site
    failures = []
    for method, path in addresses:
        client = secure_app.test_client()
        if role == "admin":
            sign_in(client, admin)
        savepoint = sdb.connection().begin_nested()
        try:
            status = client.open(path, method=method).status_code
        finally:
            savepoint.rollback()
        if status >= 500:
            failures.append(f"{method} {path[:80]}: {status}")
    assert failures == []
