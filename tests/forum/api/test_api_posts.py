"""Posts over the API: editing, deleting and reactions."""

from __future__ import annotations

from helpers import assert_error
from sqlalchemy import select

from forum.threads.models import PostRevision, PostState


def test_edit_own_post(client, db, make, bearer):
    board = make.board()
    user = make.user()
    post = make.thread(board, user, body="Frist draft").post
    resp = client.patch(f"/api/v1/posts/{post.id}", headers=bearer(user),
                        json={"body": "First draft", "reason": "typo"})
    assert resp.status_code == 200
    data = resp.get_json()
    assert data["post"]["body"] == "First draft" and data["post"]["edited_at"]
    db.refresh(post)
    assert post.body_source == "First draft"
    revision = db.scalar(select(PostRevision).where(PostRevision.post_id == post.id))
    assert revision.body_source == "Frist draft" and revision.reason == "typo"


def test_edit_someone_elses_post_is_403_and_changes_nothing(client, db, make, bearer):
    board = make.board()
    post = make.thread(board, body="Mine").post
    error = assert_error(client.patch(f"/api/v1/posts/{post.id}", headers=bearer(make.user()),
                                      json={"body": "Yours now"}), 403, "forbidden")
    assert "cannot edit" in error["message"]
    db.refresh(post)
    assert post.body_source == "Mine"


def test_delete_own_post_leaves_a_placeholder(client, db, make, bearer):
    board = make.board()
    thread = make.thread(board).thread
    user = make.user()
    post = make.reply(thread, user, body="Too much detail").post
    resp = client.delete(f"/api/v1/posts/{post.id}", headers=bearer(user))
    assert resp.status_code == 204
    db.refresh(post)
    assert post.state == PostState.DELETED
    items = client.get(f"/api/v1/threads/{thread.id}/posts").get_json()["items"]
    shown = next(p for p in items if p["id"] == post.id)
    assert shown["state"] == "deleted" and shown["html"] == "" and shown["body"] is None
    assert_error(client.delete(f"/api/v1/posts/{post.id}"), 401)


def test_react_and_take_back(client, make, bearer):
    board = make.board()
    thread = make.thread(board).thread
    post = make.reply(thread).post
    user = make.user()
    headers = bearer(user)
    resp = client.post(f"/api/v1/posts/{post.id}/reactions", headers=headers,
                       json={"kind": "thinking_of_you"})
    assert resp.status_code == 200
    assert resp.get_json()["counts"]["thinking_of_you"] == 1
    items = client.get(f"/api/v1/threads/{thread.id}/posts", headers=headers).get_json()["items"]
    shown = next(p for p in items if p["id"] == post.id)
    assert shown["reactions"] == {"thinking_of_you": 1}
    assert shown["my_reactions"] == ["thinking_of_you"]
    after = client.get(f"/api/v1/threads/{thread.id}/posts?after=0",
                       headers=headers).get_json()["items"]
    assert next(p for p in after if p["id"] == post.id)["my_reactions"] == ["thinking_of_you"]
    resp = client.delete(f"/api/v1/posts/{post.id}/reactions", headers=headers,
                         json={"kind": "thinking_of_you"})
    assert resp.get_json()["counts"]["thinking_of_you"] == 0


def test_unknown_reaction_is_422_listing_the_choices(client, make, bearer):
    board = make.board()
    post = make.thread(board).post
    error = assert_error(client.post(f"/api/v1/posts/{post.id}/reactions",
                                     headers=bearer(make.user()), json={"kind": "like"}), 422)
    assert error["fields"]["kind"].startswith("Choose one of:")
    assert "thinking_of_you" in error["fields"]["kind"]


def test_post_on_a_private_board_is_404_to_outsiders(client, make, bearer):
    board = make.board("Young carers", visibility="private")
    post = make.thread(board, make.facilitator(board)).post
    headers = bearer(make.user())
    assert_error(client.post(f"/api/v1/posts/{post.id}/reactions", headers=headers,
                             json={"kind": "hug"}), 404)
    assert_error(client.patch(f"/api/v1/posts/{post.id}", headers=headers,
                              json={"body": "x"}), 404)
