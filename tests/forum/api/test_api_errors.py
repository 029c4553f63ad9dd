"""Every API error has the one JSON shape, with the right status, and never HTML or a 500."""

from __future__ import annotations

import json

from helpers import assert_error


def test_malformed_json_is_400(client, make, bearer):
    board = make.board()
    error = assert_error(client.post(f"/api/v1/boards/{board.slug}/threads",
                                     headers=bearer(make.user()), data='{"title": "x",',
                                     content_type="application/json"), 400, "invalid_json")
    assert "JSON" in error["message"]


def test_json_nested_too_deep_is_400_not_500(client, make, bearer):
    board = make.board()
    assert_error(client.post(f"/api/v1/boards/{board.slug}/threads",
                             headers=bearer(make.user()), data="[" * 100_000,
                             content_type="application/json"), 400, "invalid_json")


def test_anonymous_write_is_401(client, make):
    board = make.board()
    assert_error(client.post(f"/api/v1/boards/{board.slug}/threads",
                             json={"title": "t", "body": "b"}), 401, "unauthorised")


def test_not_allowed_is_403(client, make, bearer):
    board = make.board("Archived board")
    board.archived = True
    make.session.commit()
    assert_error(client.post(f"/api/v1/boards/{board.slug}/threads",
                             headers=bearer(make.user()), json={"title": "t", "body": "b"}),
                 403, "forbidden")


def test_unknown_things_are_404(client):
    assert_error(client.get("/api/v1/no-such-thing"), 404, "not_found")
    assert_error(client.get("/api/v1/boards/no-such-board"), 404, "not_found")
    assert_error(client.get("/api/v1/threads/987654"), 404, "not_found")
    assert_error(client.get("/api/v1/posts/987654/reactions"), 405)


def test_ids_too_large_for_the_database_are_404_not_500(client, make, bearer):
    headers = bearer(make.user())
    huge = "9" * 25
    assert_error(client.get(f"/api/v1/threads/{huge}"), 404, "not_found")
    assert_error(client.patch(f"/api/v1/posts/{huge}", headers=headers, json={"body": "x"}),
                 404)
    assert_error(client.get(f"/api/v1/threads/{2**31}/posts"), 404)


def test_wrong_method_is_405_with_allow_header(client):
    resp = client.post("/api/v1/me")
    assert_error(resp, 405, "method_not_allowed")
    assert "GET" in resp.headers["Allow"]


def test_body_too_large_is_413(client, app, make, bearer, monkeypatch):
    board = make.board()
    headers = bearer(make.user())
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200)
    payload = json.dumps({"title": "t", "body": "x" * 500})
    assert_error(client.post(f"/api/v1/boards/{board.slug}/threads", headers=headers,
                             data=payload, content_type="application/json"), 413)


def test_body_that_is_not_json_is_415(client, make, bearer):
    board = make.board()
    error = assert_error(client.post(f"/api/v1/boards/{board.slug}/threads",
                                     headers=bearer(make.user()),
                                     data={"title": "t", "body": "b"}), 415)
    assert "Content-Type: application/json" in error["message"]


def test_invalid_fields_are_422_with_a_message_for_each(client, make, bearer):
    board = make.board()
    path = f"/api/v1/boards/{board.slug}/threads"
    headers = bearer(make.user())
    error = assert_error(client.post(path, headers=headers, json={}), 422, "invalid")
    assert error["fields"] == {"title": "Enter a title for your conversation.",
                               "body": "Enter your message."}
    error = assert_error(client.post(path, headers=headers,
                                     json={"title": 5, "body": "b", "colour": "red",
                                           "confirm": "perhaps"}), 422)
    assert error["fields"] == {
        "title": "This must be text.",
        "colour": "We do not recognise this field. Please check its name.",
        "confirm": "This must be true or false."}
    error = assert_error(client.post(path, headers=headers,
                                     json={"title": "t", "body": "null\x00byte"}), 422)
    assert error["fields"] == {"body": "This contains a character we cannot store."}


def test_body_that_is_not_an_object_is_422(client, make, bearer):
    board = make.board()
    error = assert_error(client.post(f"/api/v1/boards/{board.slug}/threads",
                                     headers=bearer(make.user()), json=["t", "b"]), 422)
    assert "JSON object" in error["message"]
