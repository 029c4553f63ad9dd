"""A session cookie holding what our code never writes is ignored, never a 500.

Someone who knows SECRET_KEY (or a future bug in our own session code) can put anything
the session's JSON can carry under the keys the layout reads once: ``_flashes`` (Flask's
flashed messages) and the thread page's notices after posting.
"""

from __future__ import annotations

from typing import Any

import pytest

from forum.threads.views import NOTICES_KEY

MALFORMED: list[Any] = [
    "a string",
    "",
    [1, 2, 3],
    {"success": "a dict"},
    [["success"]],
    [["success", "two", "three"]],
    [[1, 2]],
    [["success", {"text": "a dict as the message"}]],
    [["success", None]],
    [None],
    ["success"],
    5,
    None,
    True,
    [[["nested"], "message"]],
]


def _pages(make: Any) -> list[str]:
    board = make.board()
    thread = make.thread(board).thread
    return ["/", f"/boards/{board.slug}", f"/threads/{thread.id}", "/guidelines"]


@pytest.mark.parametrize("flashes", MALFORMED, ids=repr)
def test_malformed_flashes_are_ignored(db, make, client, flashes) -> None:
    for path in _pages(make):
        with client.session_transaction() as sess:
            sess["_flashes"] = flashes
        page = client.get(path)
        assert page.status_code == 200, path
        assert "a dict" not in page.get_data(as_text=True)


def test_well_formed_flashes_around_malformed_ones_still_show(db, make, client) -> None:
    with client.session_transaction() as sess:
        sess["_flashes"] = [["success", "Your changes have been saved."], [1, 2], "x",
                            ["info", "Still here."]]
    html = client.get("/").get_data(as_text=True)
    assert "Your changes have been saved." in html and "Still here." in html
    assert client.get("/").get_data(as_text=True).count("Still here.") == 0  # shown once


@pytest.mark.parametrize("notices", MALFORMED, ids=repr)
def test_malformed_notices_after_posting_are_ignored(db, make, client, notices) -> None:
    thread = make.thread(make.board()).thread
    with client.session_transaction() as sess:
        sess[NOTICES_KEY] = notices
    assert client.get(f"/threads/{thread.id}").status_code == 200


# The half-finished sign-in (password right, second step to come) is read from the session
# too: every shape of it must send the visitor back to sign in, never a 500.
PENDING_VALUES: list[Any] = [
    *MALFORMED,
    {"until": "soon", "uid": "me"},
    {"until": 9e18, "uid": [1]},
    {"until": 9e18, "uid": 10**30},
    {"until": 9e18, "uid": -1},
    {"until": float("inf"), "uid": 1},
    {"until": [1], "uid": 1},
    {"until": 9e18, "uid": 1, "ver": [1], "remember": "yes", "next": 5, "step": None},
]


@pytest.mark.parametrize("pending", PENDING_VALUES, ids=repr)
def test_malformed_pending_sign_in_is_ignored(db, make, client, pending) -> None:
    from forum.accounts.views import PENDING

    make.user()
    for path in ("/sign-in/code", "/sign-in/set-up-two-step"):
        with client.session_transaction() as sess:
            sess[PENDING] = pending
        assert client.get(path).status_code < 500, path
        assert client.post(path, data={"code": "123456"}).status_code < 500, path
