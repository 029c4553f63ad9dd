"""The OpenAPI document is generated from the routes, is valid, and misses none of them."""

from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate

from forum.api.registry import openapi_path
from forum.api.schemas import MAX_POST_LENGTH

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture()
def document(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200
    return resp.get_json()


def test_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "http://localhost"}]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_api_route_is_in_the_document(app, document):
    api_rules = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")]
    assert len(api_rules) >= 13
    for rule in api_rules:
        path = openapi_path(rule.rule)
        assert path in document["paths"], f"{rule.rule} is missing from the document"
        for method in (rule.methods or set()) - IGNORED_METHODS:
            assert method.lower() in document["paths"][path], f"{method} {rule.rule} missing"


def test_operations_document_errors_auth_and_bodies(document):
    error_ref = {"$ref": "#/components/schemas/ErrorResponse"}
    create = document["paths"]["/api/v1/boards/{slug}/threads"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/NewThread"}
    for status in ("400", "401", "403", "404", "413", "415", "422"):
        assert create["responses"][status]["content"]["application/json"]["schema"] == error_ref
    assert {"201", "202"} <= set(create["responses"])
    assert create["security"] == [{"bearerAuth": []}, {"cookieAuth": []}]
    listing = document["paths"]["/api/v1/threads/{thread_id}/posts"]["get"]
    params = {p["name"]: p for p in listing["parameters"]}
    assert params["thread_id"]["in"] == "path" and params["thread_id"]["schema"]["type"] == (
        "integer")
    assert params["page"]["in"] == "query" and params["after"]["in"] == "query"
    for path_item in document["paths"].values():
        for op in path_item.values():
            assert op["summary"] and op["operationId"] and "401" in op["responses"]


def test_string_lengths_are_capped(document):
    schemas = document["components"]["schemas"]
    assert schemas["NewThread"]["properties"]["title"]["maxLength"] == 150
    assert schemas["NewThread"]["properties"]["body"]["maxLength"] == MAX_POST_LENGTH
    assert schemas["NewPost"]["properties"]["body"]["maxLength"] == MAX_POST_LENGTH
    assert schemas["PostEdit"]["properties"]["reason"]["maxLength"] == 500
    assert schemas["NewToken"]["properties"]["password"]["maxLength"] == 128
    assert set(schemas["ReactionKind"]["enum"]) == {"thinking_of_you", "thank_you", "me_too",
                                                    "hug"}


def test_real_responses_match_the_documented_schemas(client, make, bearer, document):
    board = make.board()
    headers = bearer(make.user())

    def check(resp, status, path, method):
        assert resp.status_code == status
        ref = document["paths"][path][method]["responses"][str(status)]["content"][
            "application/json"]["schema"]
        jsonschema.validate(resp.get_json(), {**document, **ref})

    created = client.post(f"/api/v1/boards/{board.slug}/threads", headers=headers,
                          json={"title": "t", "body": "b"})
    check(created, 201, "/api/v1/boards/{slug}/threads", "post")
    thread_id = created.get_json()["thread"]["id"]
    check(client.get(f"/api/v1/threads/{thread_id}/posts", headers=headers), 200,
          "/api/v1/threads/{thread_id}/posts", "get")
    check(client.get("/api/v1/boards", headers=headers), 200, "/api/v1/boards", "get")
    check(client.get("/api/v1/me", headers=headers), 200, "/api/v1/me", "get")
    check(client.get("/api/v1/threads/987654"), 404, "/api/v1/threads/{thread_id}", "get")
