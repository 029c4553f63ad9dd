"""Bodies no form of ours sends get a clear 4xx, never a 500.

No page takes a file, yet a multipart body can carry one under any field's name, and the
form library then hands the view a file object where it expects text. The routes come
from ``app.url_map``, so a new form is covered the day it is added.
"""

from __future__ import annotations

import io

from flask import Flask
from helpers import Factories
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stubs import is_stub, sign_in
from werkzeug.routing.converters import NumberConverter

from forum.threads.models import Thread

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
FIELDS = (
    "body",
    "title",
    "name",
    "steps",
    "user",
    "hours",
    "item",
    "code",
    "email",
    "password",
    "note",
    "reason",
    "description",
    "words",
)


def _files() -> dict[str, tuple[io.BytesIO, str]]:
    return {name: (io.BytesIO(b"\xff\x00not text"), "a.txt") for name in FIELDS}


def test_a_file_sent_to_any_form_is_a_400_never_a_500(
    secure_app: Flask, sdb: Session, smake: Factories
) -> None:
    admin = smake.admin()
    failures = []
    walked = 0
    for rule in secure_app.url_map.iter_rules():
        if is_stub(secure_app, rule.endpoint) or rule.rule.startswith("/api/"):
            continue
        values = {
            name: 1 if isinstance(conv, NumberConverter) else "sample"
            for name, conv in rule._converters.items()
        }
        with secure_app.test_request_context():
            from flask import url_for

            path = url_for(rule.endpoint, **values)
        for method in sorted((rule.methods or set()) & WRITES):
            client = sign_in(secure_app.test_client(), admin)
            savepoint = sdb.connection().begin_nested()
            try:
                resp = client.open(
                    path, method=method, data=_files(), content_type="multipart/form-data"
                )
            finally:
                savepoint.rollback()
            walked += 1
            if resp.status_code != 400 or "does not take files" not in resp.get_data(True):
                failures.append(f"{method} {path}: {resp.status_code}")
    assert walked > 40  # the walk really covers the site's forms
    assert failures == []


def test_a_file_in_place_of_a_post_writes_nothing(
    secure_app: Flask, sdb: Session, smake: Factories
) -> None:
    board = smake.board()
    member = smake.member_of(board)
    client = sign_in(secure_app.test_client(), member)
    before = sdb.scalar(select(func.count()).select_from(Thread))
    resp = client.post(
        f"/boards/{board.slug}/new",
        data={"title": "A title that is fine", "body": (io.BytesIO(b"hi"), "a.md")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 400
    assert "This form does not take files" in resp.get_data(True)
    assert resp.mimetype == "text/html"
    assert sdb.scalar(select(func.count()).select_from(Thread)) == before


def test_the_api_answers_a_file_with_its_json_error(
    secure_app: Flask, sdb: Session, smake: Factories
) -> None:
    board = smake.board()
    member = smake.member_of(board)
    client = sign_in(secure_app.test_client(), member)
    resp = client.post(
        f"/api/v1/boards/{board.slug}/threads",
        data={"title": "A title", "body": (io.BytesIO(b"hi"), "a.md")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 415  # as for any body that is not JSON (docs/API.md)
    assert resp.get_json()["error"]["message"]
