"""The benchmark's seeder writes around the actions for speed, so its denormalised counters
must be checked against what the real queries compute, or it could rot unnoticed."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bench.seed import READER, seed_into
from forum.accounts.models import ApiToken, User
from forum.auth import hash_token
from forum.boards.models import Board
from forum.permissions import Viewer, load_viewer
from forum.threads.models import Post, PostState, Thread
from forum.threads.queries import count_visible_posts, get_thread_page, list_board_threads


def test_tiny_seed_counters_match_the_real_queries(db: Session) -> None:
    info = seed_into(db.connection(), boards=2, threads=10, posts=50, members=5,
                     bench_threads=0)

    boards = list(db.scalars(select(Board).where(Board.slug.in_(info.board_slugs))))
    assert len(boards) == 2
    threads = list(db.scalars(select(Thread).where(Thread.board_id.in_([b.id for b in boards]))))
    assert len(threads) == 10
    assert sum(t.reply_count + 1 for t in threads) == 50
    anonymous = Viewer()

    for thread in threads:
        posts = list(db.scalars(select(Post).where(Post.thread_id == thread.id)
                                .order_by(Post.id)))
        assert thread.visible is True
        assert count_visible_posts(db, anonymous, thread) == thread.reply_count + 1
        assert thread.last_post_id == posts[-1].id
        assert thread.last_activity_at == posts[-1].created_at
        assert thread.author_id == posts[0].author_id
        assert all(p.state == PostState.PUBLISHED for p in posts)
        page = get_thread_page(db, anonymous, thread, 1, 50)
        assert page.total == len(posts)
        assert "<p>" in page.posts[0].body_html

    for board in boards:
        rows, total = list_board_threads(db, anonymous, board, 1, 100)
        assert board.thread_count == total == len(rows) > 0
        assert board.post_count == sum(r.thread.reply_count + 1 for r in rows)
        assert board.last_activity_at == max(r.thread.last_activity_at for r in rows)

    authors = db.execute(select(Post.author_id, func.count(Post.id))
                         .join(Thread, Post.thread_id == Thread.id)
                         .where(Thread.board_id.in_([b.id for b in boards]))
                         .group_by(Post.author_id)).all()
    for author_id, count in authors:
        assert db.get(User, author_id).post_count == count

    reader = db.scalar(select(User).where(User.username == info.reader))
    assert reader is not None and info.reader.startswith(READER)
    viewer = load_viewer(db, reader)
    assert all(viewer.is_member_of(b.id) for b in boards)
    token = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(info.poster_token)))
    assert token is not None and token.revoked_at is None
    assert info.live_thread in {t.id for t in threads}
    assert "poster_token" not in info.to_json()
