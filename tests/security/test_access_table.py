"""Who gets what: every route, walked as six kinds of visitor, against one table.

Every (method, endpoint) in ``app.url_map`` needs at least one line in :data:`TABLE`; a
route with no line fails the test, with a line to copy. One line per endpoint and target:

    (method, endpoint, target, anonymous, member, other_member, facilitator,
     other_facilitator, admin)

``target`` says which fixture the URL is built from: ``public`` or ``private`` (a board,
with a thread and a post on it), or ``-`` for routes with no values. "member" is a member
of the target board; "other member" belongs only to a different private board;
"facilitator" facilitates the target board; "other facilitator" facilitates only the
other board. A cell is a status code or a tuple of acceptable codes.

Blueprints still being built on another branch (no write routes yet: the skeleton views)
keep their lines in the table but are only checked once their feature is merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask, url_for
from helpers import Factories
from sqlalchemy.orm import Session
from stubs import is_stub, sign_in

from forum.boards.actions import do_invite_member
from forum.boards.models import Visibility

ROLES = ("anonymous", "member", "other_member", "facilitator", "other_facilitator", "admin")
Cell = int | tuple[int, ...]
OK, FOUND, LOGIN, NOPE = 200, 302, 401, 404
PRIVATE_ONLY_INSIDERS = (NOPE, OK, NOPE, OK, NOPE, OK)
EVERYONE_OK = (OK,) * 6

TABLE: list[tuple[Any, ...]] = [
    # method, endpoint,          target,   anon, member, other_m, facil, other_f, admin
    ("GET", "help.crisis",       "-",      *EVERYONE_OK),
    ("GET", "help.guidelines",   "-",      *EVERYONE_OK),
    ("GET", "help.privacy",      "-",      *EVERYONE_OK),
    ("GET", "health.healthz",    "-",      *EVERYONE_OK),
    ("GET", "health.readyz",     "-",      *EVERYONE_OK),
    ("GET", "boards.index",      "-",      *EVERYONE_OK),
    ("GET", "boards.show",       "public", *EVERYONE_OK),
    ("GET", "boards.show",       "private", *PRIVATE_ONLY_INSIDERS),
    ("GET", "threads.show",      "public", *EVERYONE_OK),
    ("GET", "threads.show",      "private", *PRIVATE_ONLY_INSIDERS),
    ("GET", "threads.permalink", "public", *(FOUND,) * 6),
    ("GET", "threads.permalink", "private", NOPE, FOUND, NOPE, FOUND, NOPE, FOUND),
    # Accounts and API lines were checked against branches accounts + api merged together.
    # API writes are sent with no JSON body: anonymous is refused (401) before the body is
    # read (415); the body-less ones show the permission answer itself.
    ("DELETE", "api.delete_post",             "public",  401, 204, 403, 204, 403, 204),
    ("DELETE", "api.delete_post",             "private", 401, 204, 404, 204, 404, 204),
    ("DELETE", "api.leave_board",             "public",  401, 200, 200, 200, 200, 200),
    ("DELETE", "api.leave_board",             "private", 401, 200, 404, 200, 404, 200),
    ("DELETE", "api.remove_reaction",         "public",  401, 415, 415, 415, 415, 415),
    ("DELETE", "api.remove_reaction",         "private", 401, 415, 415, 415, 415, 415),
    ("DELETE", "api.revoke_current_token",    "-",       401, 401, 401, 401, 401, 401),
    ("DELETE", "api.unfollow_thread",         "public",  401, 200, 200, 200, 200, 200),
    ("DELETE", "api.unfollow_thread",         "private", 401, 200, 404, 200, 404, 200),
    ("GET", "accounts.change_email",          "-",       302, 200, 200, 200, 200, 200),
    ("GET", "accounts.change_password",       "-",       302, 200, 200, 200, 200, 200),
    ("GET", "accounts.login",                 "-",       200, 302, 302, 302, 302, 302),
    ("GET", "accounts.register",              "-",       200, 302, 302, 302, 302, 302),
    ("GET", "accounts.request_reset",         "-",       200, 200, 200, 200, 200, 200),
    ("GET", "accounts.reset_password",        "-",       400, 400, 400, 400, 400, 400),
    ("GET", "accounts.settings",              "-",       302, 200, 200, 200, 200, 200),
    ("GET", "api.board",                      "public",  200, 200, 200, 200, 200, 200),
    ("GET", "api.board",                      "private", 404, 200, 404, 200, 404, 200),
    ("GET", "api.board_threads",              "public",  200, 200, 200, 200, 200, 200),
    ("GET", "api.board_threads",              "private", 404, 200, 404, 200, 404, 200),
    ("GET", "api.boards",                     "-",       200, 200, 200, 200, 200, 200),
    ("GET", "api.me",                         "-",       401, 200, 200, 200, 200, 200),
    ("GET", "api.openapi",                    "-",       200, 200, 200, 200, 200, 200),
    ("GET", "api.thread",                     "public",  200, 200, 200, 200, 200, 200),
    ("GET", "api.thread",                     "private", 404, 200, 404, 200, 404, 200),
    ("GET", "api.thread_posts",               "public",  200, 200, 200, 200, 200, 200),
    ("GET", "api.thread_posts",               "private", 404, 200, 404, 200, 404, 200),
    ("PATCH", "api.edit_post",                "public",  401, 415, 415, 415, 415, 415),
    ("PATCH", "api.edit_post",                "private", 401, 415, 415, 415, 415, 415),
    ("POST", "accounts.change_email",         "-",       302, 422, 422, 422, 422, 422),
    ("POST", "accounts.change_password",      "-",       302, 422, 422, 422, 422, 422),
    ("POST", "accounts.create_token",         "-",       302, 422, 422, 422, 422, 422),
    ("POST", "accounts.login",                "-",       422, 422, 422, 422, 422, 422),
    ("POST", "accounts.logout",               "-",       303, 303, 303, 303, 303, 303),
    ("POST", "accounts.register",             "-",       422, 302, 302, 302, 302, 302),
    ("POST", "accounts.request_reset",        "-",       422, 422, 422, 422, 422, 422),
    ("POST", "accounts.reset_password",       "-",       400, 400, 400, 400, 400, 400),
    ("POST", "accounts.revoke_token",         "-",       302, 404, 404, 404, 404, 404),
    ("POST", "api.add_reaction",              "public",  401, 415, 415, 415, 415, 415),
    ("POST", "api.add_reaction",              "private", 401, 415, 415, 415, 415, 415),
    ("POST", "api.create_thread",             "public",  401, 415, 415, 415, 415, 415),
    ("POST", "api.create_thread",             "private", 401, 415, 415, 415, 415, 415),
    ("POST", "api.create_token",              "-",       415, 415, 415, 415, 415, 415),
    ("POST", "api.follow_thread",             "public",  401, 200, 200, 200, 200, 200),
    ("POST", "api.follow_thread",             "private", 401, 200, 404, 200, 404, 200),
    ("POST", "api.join_board",                "public",  401, 200, 200, 200, 200, 200),
    ("POST", "api.join_board",                "private", 401, 200, 404, 200, 404, 403),
    ("POST", "api.mark_read",                 "public",  401, 415, 415, 415, 415, 415),
    ("POST", "api.mark_read",                 "private", 401, 415, 415, 415, 415, 415),
    ("POST", "api.reply",                     "public",  401, 415, 415, 415, 415, 415),
    ("POST", "api.reply",                     "private", 401, 415, 415, 415, 415, 415),
    ("GET", "privacy.export",                 "-",       302, 200, 200, 200, 200, 200),
    ("POST", "privacy.export",                "-",       302, 422, 422, 422, 422, 422),
    ("GET", "privacy.delete_account",         "-",       302, 200, 200, 200, 200, 200),
    ("POST", "privacy.delete_account",        "-",       302, 422, 422, 422, 422, 422),
    ("GET", "privacy.account_closed",         "-",       *EVERYONE_OK),
]

# Never walked: Flask's static files.
NOT_ROUTES = {"static"}


@dataclass
class World:
    users: dict[str, Any]
    values: dict[str, dict[str, Any]]


@pytest.fixture()
def world(smake: Factories, sdb: Session) -> World:
    public = smake.board("Public board")
    private = smake.board("Private board", visibility=Visibility.PRIVATE)
    elsewhere = smake.board("Elsewhere board", visibility=Visibility.PRIVATE)
    facilitator = smake.user("facilitator_here", role="facilitator")
    from forum.boards.actions import do_assign_facilitator

    for board in (public, private):
        do_assign_facilitator(sdb, actor=None, board=board, user=facilitator)
    other_facilitator = smake.facilitator(elsewhere, "facilitator_elsewhere")
    member = smake.member_of(public, "member_here")
    do_invite_member(sdb, actor=smake.viewer(facilitator), board=private, user=member)
    other_member = smake.user("member_elsewhere")
    do_invite_member(sdb, actor=smake.viewer(other_facilitator), board=elsewhere,
                     user=other_member)
    values: dict[str, dict[str, Any]] = {}
    for name, board in (("public", public), ("private", private)):
        outcome = smake.thread(board, member)
        values[name] = {"slug": board.slug, "thread_id": outcome.thread.id,
                        "post_id": outcome.post.id, "token_id": 1, "token": "x"}
    users = {"anonymous": None, "member": member, "other_member": other_member,
             "facilitator": facilitator, "other_facilitator": other_facilitator,
             "admin": smake.admin("admin_here")}
    return World(users=users, values=values)


def _routes(app: Flask) -> set[tuple[str, str]]:
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in NOT_ROUTES or is_stub(app, rule.endpoint):
            continue
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            found.add((method, rule.endpoint))
    return found


def _feature_merged(app: Flask, endpoint: str) -> bool:
    """Skeleton blueprints (no write routes yet) are checked once their branch lands."""
    blueprint = endpoint.split(".", 1)[0]
    if blueprint not in {"boards", "threads"}:
        return True
    return any("POST" in (rule.methods or ()) and rule.endpoint.startswith(blueprint + ".")
               and not is_stub(app, rule.endpoint) for rule in app.url_map.iter_rules())


def test_every_route_has_a_line_in_the_table(secure_app: Flask) -> None:
    covered = {(line[0], line[1]) for line in TABLE}
    missing = sorted(_routes(secure_app) - covered)
    assert missing == [], "Routes with no line in TABLE (add one each):\n" + "\n".join(
        f'    ("{method}", "{endpoint}", "public", ...),' for method, endpoint in missing)


def test_table_lines_are_well_formed() -> None:
    for line in TABLE:
        assert len(line) == 3 + len(ROLES), line
        assert line[2] in {"-", "public", "private"}, line


def _path(app: Flask, endpoint: str, target: str, world: World) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    values = world.values["public" if target == "-" else target]
    with app.test_request_context():
        return url_for(endpoint, **{name: values[name] for name in rule.arguments})


def test_each_visitor_gets_the_answer_in_the_table(
        secure_app: Flask, world: World, sdb: Session) -> None:
    wrong = []
    checked = 0
    for method, endpoint, target, *cells in TABLE:
        if (endpoint not in secure_app.view_functions or is_stub(secure_app, endpoint)
                or not _feature_merged(secure_app, endpoint)):
            continue
        path = _path(secure_app, endpoint, target, world)
        for role, expected in zip(ROLES, cells, strict=True):
            client = secure_app.test_client()
            if world.users[role] is not None:
                sign_in(client, world.users[role])
            # Each visit is undone afterwards, so a write (leaving a board, deleting a post)
            # cannot change what the next visitor finds.
            savepoint = sdb.connection().begin_nested()
            try:
                status = client.open(path, method=method).status_code
            finally:
                savepoint.rollback()
            allowed = expected if isinstance(expected, tuple) else (expected,)
            checked += 1
            if status not in allowed:
                wrong.append(f"{method} {endpoint} [{target}] as {role}: "
                             f"got {status}, expected {expected}")
    assert checked > 0
    assert wrong == [], "\n".join(wrong)
