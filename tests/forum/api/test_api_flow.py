"""The whole journey over the API: tokens, joining, starting a conversation, a reply
from another member, and the first member reading it."""

from __future__ import annotations

from helpers import PASSWORD


def token_headers(client, username: str) -> dict[str, str]:
    resp = client.post("/api/v1/tokens", json={"login": username, "password": PASSWORD,
                                               "name": "my app"})
    assert resp.status_code == 201
    return {"Authorization": f"Bearer {resp.get_json()['token']}"}


def test_two_members_talk_over_the_api(client, make, captured_events):
    make.board("Living with ME/CFS", slug="me-cfs")
    make.user("ash_tree")
    make.user("birch.wood")
    ash = token_headers(client, "ash_tree")
    birch = token_headers(client, "birch.wood")

    assert client.post("/api/v1/boards/me-cfs/join", headers=ash).get_json()["is_member"]
    assert client.post("/api/v1/boards/me-cfs/join", headers=birch).get_json()["is_member"]

    started = client.post("/api/v1/boards/me-cfs/threads", headers=ash,
                          json={"title": "Pacing on bad days", "body": "What helps you?"})
    assert started.status_code == 201
    thread_id = started.get_json()["thread"]["id"]
    first_post_id = started.get_json()["post"]["id"]

    listed = client.get("/api/v1/boards/me-cfs/threads", headers=birch).get_json()
    assert [t["id"] for t in listed["items"]] == [thread_id]
    replied = client.post(f"/api/v1/threads/{thread_id}/posts", headers=birch,
                          json={"body": "Lying down *before* I need to.",
                                "quote_post_id": first_post_id})
    assert replied.status_code == 201

    caught_up = client.get(f"/api/v1/threads/{thread_id}/posts?after={first_post_id}",
                           headers=ash).get_json()
    assert len(caught_up["items"]) == 1
    reply = caught_up["items"][0]
    assert reply["author"] == "birch.wood"
    assert "<em>before</em>" in reply["html"]
    assert reply["url"] == f"http://localhost/posts/{reply['id']}"
    thread = client.get(f"/api/v1/threads/{thread_id}", headers=ash).get_json()
    assert thread["reply_count"] == 1 and thread["last_post_id"] == reply["id"]
    assert [e.name for e in captured_events].count("post.created") == 1
