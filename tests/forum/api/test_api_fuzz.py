"""OpenAPI fuzzing: schemathesis generates requests from ``/api/v1/openapi.json`` and sends
them, in process (WSGI), with a signed-in bearer token. No answer may be a 500, and every
answer must match the documented schema: its status code is one the operation lists, its
content type and headers are the documented ones, and its body validates.

The signed-in person is an admin who also facilitates and belongs to a board with a
thread, a reported reply (an open case), a watched word and a notice, so generated ids
(small integers) often find real things and the deeper branches run. Each example gets
a fresh token: ``DELETE /tokens/current`` must not sign the rest of the run out. Bounded:
a few examples per operation (``MAX_EXAMPLES``), the whole run well under a minute; every
write is rolled back with the test's transaction.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask.testing import FlaskClient
from helpers import Factories
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.orm import Session

from forum.accounts.actions import do_create_token
from forum.permissions import load_viewer
from moderation.actions import do_report_post, do_save_watched_word, do_warn_member

MAX_EXAMPLES = 6
CHECKS = (not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance)


@pytest.fixture()
def signed_in(db: Session, make: Factories) -> Any:
    """An admin facilitating a board with content; returns a fresh-token maker."""
    admin = make.admin()
    board = make.board()
    make.facilitator(board)
    from forum.boards.actions import do_assign_facilitator

    do_assign_facilitator(db, actor=None, board=board, user=admin)
    member = make.member_of(board)
    outcome = make.thread(board, member)
    reply = make.reply(outcome.thread, member, body="A reply to look at.")
    do_report_post(db, actor=make.viewer(admin), post=reply.post, reason="abuse", note="Look")
    do_warn_member(db, actor=make.viewer(admin), user=member, board=board, reason="Test")
    do_save_watched_word(db, actor=make.viewer(admin), pattern="zzqx", action="flag")

    current: dict[str, str] = {}

    def headers(renew: bool = False) -> dict[str, str]:
        if renew or not current:
            _row, secret = do_create_token(db, actor=load_viewer(db, admin), name="fuzz")
            current["Authorization"] = f"Bearer {secret}"
        return dict(current)

    return headers


def _load_schema() -> Any:
    """The document comes from an app of its own, built at import so each operation is its
    own test (schemathesis' lazy fixture loader does not run under pytest 9); the requests
    go to the suite's app, through the test's client, so the test's rollback applies."""
    from forum import create_app

    spec_app = create_app({"DATABASE_URL": "sqlite://"}, env="test")
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", spec_app)


schema = _load_schema()


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_api_answers_as_documented(case: Any, signed_in: Any, client: FlaskClient) -> None:
    response = case.call_and_validate(session=client, headers=signed_in(), checks=list(CHECKS))
    if case.method == "DELETE" and case.path == "/api/v1/tokens/current" \
            and response.status_code == 204:
        signed_in(renew=True)  # that call signed the token out
