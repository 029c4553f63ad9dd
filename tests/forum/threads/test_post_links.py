"""The links and choices each post and reply form offer: Report, and facilitator guidance."""

from __future__ import annotations

from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.threads.models import Post


def test_report_link_for_other_members_only(client, login, make):
    board = make.board()
    author = make.user()
    started = make.thread(board, author)
    report_url = f"/posts/{started.post.id}/report"

    assert report_url not in client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    login(author)
    assert report_url not in client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    login(make.user())
    html = client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    assert f'href="{report_url}"' in html
    assert client.get(report_url).status_code == 200


def test_guidance_checkbox_only_for_the_boards_facilitators(client, login, make):
    board = make.board()
    other_board = make.board()
    started = make.thread(board)
    page = f"/threads/{started.thread.id}"

    def offered(path: str) -> bool:
        return 'name="guidance"' in client.get(path).get_data(as_text=True)

    login(make.user())
    assert not offered(page)
    login(make.facilitator(other_board))
    assert not offered(page)
    login(make.facilitator(board))
    assert offered(page) and offered(f"{page}/reply")


def test_facilitator_posts_guidance_from_the_thread_page(client, login, make, db):
    board = make.board()
    started = make.thread(board)
    login(make.facilitator(board))
    resp = client.post(f"/threads/{started.thread.id}/reply",
                       data={"body": "Please remember to keep names private.", "guidance": "y"})
    assert resp.status_code == 302
    post = db.scalar(select(Post).where(Post.thread_id == started.thread.id)
                     .order_by(Post.id.desc()))
    assert post.is_guidance
    html = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Your guidance has been posted." in html
    assert "app-post--guidance" in html and "Facilitator guidance" in html


def test_member_cannot_smuggle_guidance(client, login, make, db):
    board = make.board()
    started = make.thread(board)
    member = make.user()
    login(member)
    before = db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()))
    resp = client.post(f"/threads/{started.thread.id}/reply",
                       data={"body": "I am not a facilitator.", "guidance": "y"})
    assert resp.status_code == 403
    assert db.scalar(select(Post).where(Post.author_id == member.id)) is None
    assert db.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc())) == before


def test_the_boards_facilitators_get_no_report_link(client, login, make):
    board = make.board()
    started = make.thread(board)
    login(make.facilitator(board))
    html = client.get(f"/threads/{started.thread.id}").get_data(as_text=True)
    assert f"/posts/{started.post.id}/report" not in html
