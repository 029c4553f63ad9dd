"""Read-only queries about threads and posts. Each page is a fixed number of queries,
however many posts it shows (a test holds this)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session, joinedload

from forum.accounts.models import User
from forum.boards.models import Board
from forum.permissions import Viewer
from forum.threads.models import (
    Post,
    PostRevision,
    PostState,
    Reaction,
    ReadMarker,
    Thread,
    ThreadFollow,
)


@dataclass
class ThreadRow:
    thread: Thread | ShownThread
    unread: bool
    last_read_post_id: int


@dataclass(frozen=True, slots=True)
class PostAuthor:
    id: int
    username: str


@dataclass(frozen=True, slots=True)
class ShownPost:
    """What a thread page shows of one post, read as plain columns.

    Building 50 ORM posts, each with its author's full row, cost more than any other part
    of the thread page apart from the template; the page only reads these columns. It
    reads like a :class:`Post` in templates and in ``post_actions``; anything that needs
    the rest (the API's Markdown source, actions) loads real posts.
    """

    id: int
    thread_id: int
    author_id: int | None
    author: PostAuthor | None
    state: PostState
    is_guidance: bool
    body_html: str
    created_at: datetime
    edited_at: datetime | None
    stamp: int = 0  # Post.stamp, for the page's cache key (forum/threads/page_key.py)


@dataclass(frozen=True, slots=True)
class ShownThread:
    """What a board page shows of one thread, read as plain columns (see :class:`ShownPost`)."""

    id: int
    title: str
    author: PostAuthor | None
    pinned: bool
    locked: bool
    visible: bool
    reply_count: int
    last_activity_at: datetime
    last_post_id: int | None


@dataclass
class ThreadPage:
    thread: Thread
    posts: Sequence[Post | ShownPost]
    page: int
    pages: int
    total: int
    reactions: dict[int, dict[str, int]] = field(default_factory=dict)
    my_reactions: dict[int, set[str]] = field(default_factory=dict)
    following: bool = False
    last_read_post_id: int = 0


def _shown(viewer: Viewer, thread: Thread, *, placeholders: bool = False
           ) -> ColumnElement[bool]:
    """Which posts of ``thread`` the viewer may see. With ``placeholders`` hidden posts are
    included too, so a page can show "hidden by a facilitator" in their place (never their
    words)."""
    return shown_posts(viewer.id, thread.id, staff=viewer.facilitates(thread.board_id),
                       placeholders=placeholders)


def shown_posts(reader_id: Any, thread_id: Any, *, staff: bool | ColumnElement[bool],
                placeholders: bool = False) -> ColumnElement[bool]:
    """:func:`_shown` in parts, for statements built once for many readers
    (forum/threads/page_key.py): ``reader_id`` and ``thread_id`` may be bound parameters
    (``reader_id`` None: nobody signed in), and ``staff``, whether the reader facilitates
    the thread's board, a SQL condition."""
    in_thread = Post.thread_id == thread_id
    if staff is True:
        return in_thread
    listed = [PostState.PUBLISHED, PostState.DELETED]
    if placeholders:
        listed.append(PostState.HIDDEN)
    shown: ColumnElement[bool] = Post.state.in_(listed)
    if reader_id is not None:
        shown = or_(shown, and_(Post.author_id == reader_id, Post.state == PostState.HELD),
                    and_(Post.author_id == reader_id,
                         Post.state.in_((PostState.HIDDEN, PostState.DECLINED))))
    if staff is False:
        return and_(in_thread, shown)
    return and_(in_thread, or_(staff, shown))


def _visible_posts(viewer: Viewer, thread: Thread, *, placeholders: bool = False
                   ) -> Select[tuple[Post]]:
    """Posts the viewer may see (see :func:`_shown`)."""
    return select(Post).where(_shown(viewer, thread, placeholders=placeholders))


def count_visible_posts(session: Session, viewer: Viewer, thread: Thread,
                        up_to_id: int | None = None, *, placeholders: bool = False) -> int:
    query = select(func.count(Post.id)).where(_shown(viewer, thread, placeholders=placeholders))
    if up_to_id is not None:
        query = query.where(Post.id <= up_to_id)
    return session.scalar(query) or 0


def get_thread_page(session: Session, viewer: Viewer, thread: Thread, page: int,
                    per_page: int, *, placeholders: bool = False, shown: bool = False
                    ) -> ThreadPage:
    """One page of a thread with reactions, the viewer's own reactions, follow state and
    read marker: at most four statements whatever the page size (tests hold this).

    ``shown=True`` gives :class:`ShownPost` rows, for the HTML page; otherwise ORM posts
    with their authors (the API, which also returns the Markdown source).
    """
    where = _shown(viewer, thread, placeholders=placeholders)
    posts: Sequence[Post | ShownPost]
    if shown:
        page = max(1, page)
        # The total comes with the rows (a window count, taken before LIMIT): one statement
        # for both. Only a page past the end, or an empty thread, needs the count on its own.
        rows = _shown_rows(session, where, page, per_page)
        total = rows[0][9] if rows else count_visible_posts(
            session, viewer, thread, placeholders=placeholders)
        pages = max(1, -(-total // per_page))
        if page > pages:
            page = pages
            rows = _shown_rows(session, where, page, per_page)
        posts = [ShownPost(id=r[0], thread_id=r[1], author_id=r[2],
                           author=PostAuthor(r[2], r[8]) if r[8] is not None else None,
                           state=r[3], is_guidance=r[4], body_html=r[5], created_at=r[6],
                           edited_at=r[7], stamp=r[10]) for r in rows]
    else:
        total = count_visible_posts(session, viewer, thread, placeholders=placeholders)
        pages = max(1, -(-total // per_page))
        page = min(max(1, page), pages)
        posts = list(session.scalars(
            select(Post).where(where).options(joinedload(Post.author))
            .order_by(Post.id).offset((page - 1) * per_page).limit(per_page)))
    if shown:
        reactions, mine = _page_reactions(session, viewer, thread, posts)  # type: ignore[arg-type]
    else:
        reactions, mine = reaction_summary(session, viewer, [p.id for p in posts])
    following = False
    last_read = 0
    if viewer.id is not None:
        # Both of the reader's own facts about the thread in one statement.
        following, last_read = session.execute(select(
            select(ThreadFollow.id).where(ThreadFollow.thread_id == thread.id,
                                          ThreadFollow.user_id == viewer.id).exists(),
            select(ReadMarker.last_read_post_id).where(
                ReadMarker.thread_id == thread.id, ReadMarker.user_id == viewer.id)
            .scalar_subquery())).one()
    return ThreadPage(thread=thread, posts=posts, page=page, pages=pages, total=total,
                      reactions=reactions, my_reactions=mine, following=bool(following),
                      last_read_post_id=last_read or 0)


def _shown_rows(session: Session, where: ColumnElement[bool], page: int, per_page: int
                ) -> list[Any]:
    return list(session.execute(
        select(Post.id, Post.thread_id, Post.author_id, Post.state, Post.is_guidance,
               Post.body_html, Post.created_at, Post.edited_at, User.username,
               func.count().over(), Post.stamp)
        .outerjoin(User, User.id == Post.author_id).where(where)
        .order_by(Post.id).offset((page - 1) * per_page).limit(per_page)))


def page_of_post(session: Session, viewer: Viewer, post: Post, per_page: int, *,
                 placeholders: bool = False) -> int:
    position = count_visible_posts(session, viewer, post.thread, up_to_id=post.id,
                                   placeholders=placeholders)
    return max(1, -(-position // per_page))


def list_board_threads(session: Session, viewer: Viewer, board: Board, page: int,
                       per_page: int, *, shown: bool = False) -> tuple[list[ThreadRow], int]:
    """Threads on a board, pinned first then newest activity first, with unread marks.

    ``shown=True`` gives :class:`ShownThread` rows, for the HTML page; otherwise ORM threads
    with their authors (the API)."""
    listed: ColumnElement[bool] = Thread.visible.is_(True)
    if viewer.facilitates(board.id):
        listed = Thread.id.is_not(None)
    elif viewer.id is not None:
        listed = or_(listed, Thread.author_id == viewer.id)
    where = and_(Thread.board_id == board.id, listed)
    # The total comes with the rows (a window count, taken before LIMIT); only a page past
    # the end, or an empty board, needs the count on its own.
    order = (Thread.pinned.desc(), Thread.last_activity_at.desc(), Thread.id.desc())
    offset = (max(1, page) - 1) * per_page
    threads: list[Thread | ShownThread]
    if shown:
        found = session.execute(
            select(Thread.id, Thread.title, Thread.author_id, User.username, Thread.pinned,
                   Thread.locked, Thread.visible, Thread.reply_count, Thread.last_activity_at,
                   Thread.last_post_id, func.count().over())
            .outerjoin(User, User.id == Thread.author_id).where(where)
            .order_by(*order).offset(offset).limit(per_page)).all()
        threads = [ShownThread(id=r[0], title=r[1],
                               author=PostAuthor(r[2], r[3]) if r[3] is not None else None,
                               pinned=r[4], locked=r[5], visible=r[6], reply_count=r[7],
                               last_activity_at=r[8], last_post_id=r[9]) for r in found]
    else:
        found = session.execute(
            select(Thread, func.count().over()).where(where).options(joinedload(Thread.author))
            .order_by(*order).offset(offset).limit(per_page)).all()
        threads = [r[0] for r in found]
    total = found[0][-1] if found else (
        session.scalar(select(func.count(Thread.id)).where(where)) or 0)
    markers: dict[int, int] = {}
    if viewer.id is not None and threads:
        markers = dict(session.execute(
            select(ReadMarker.thread_id, ReadMarker.last_read_post_id).where(
                ReadMarker.user_id == viewer.id,
                ReadMarker.thread_id.in_([t.id for t in threads]))).all())
    rows = []
    for thread in threads:
        last_read = markers.get(thread.id, 0)
        unread = viewer.id is not None and (thread.last_post_id or 0) > last_read
        rows.append(ThreadRow(thread=thread, unread=unread, last_read_post_id=last_read))
    return rows, total


def posts_after(session: Session, viewer: Viewer, thread: Thread, after_id: int,
                limit: int = 500) -> list[Post]:
    """Posts written after ``after_id`` that the viewer may see, oldest first (catch-up)."""
    return list(session.scalars(
        _visible_posts(viewer, thread).options(joinedload(Post.author))
        .where(Post.id > after_id).order_by(Post.id).limit(limit)))


def reaction_summary(session: Session, viewer: Viewer, post_ids: list[int]
                     ) -> tuple[dict[int, dict[str, int]], dict[int, set[str]]]:
    """Reaction counts per post, and the viewer's own reactions, in one statement."""
    if not post_ids:
        return {}, {}
    return _reaction_rows(session, viewer, select().where(Reaction.post_id.in_(post_ids)))


def _page_reactions(session: Session, viewer: Viewer, thread: Thread, posts: Sequence[ShownPost]
                    ) -> tuple[dict[int, dict[str, int]], dict[int, set[str]]]:
    """:func:`reaction_summary` for a page of one thread, asked by the thread and the page's
    first and last post id rather than a list of 50 ids: a short statement that the driver
    can cache. Posts in that range the reader cannot see may appear in the answer; the page
    only looks up its own."""
    if not posts:
        return {}, {}
    return _reaction_rows(session, viewer, select().select_from(Post).join(
        Reaction, Reaction.post_id == Post.id).where(
        Post.thread_id == thread.id, Post.id.between(posts[0].id, posts[-1].id)))


def _reaction_rows(session: Session, viewer: Viewer, query: Select[Any]
                   ) -> tuple[dict[int, dict[str, int]], dict[int, set[str]]]:
    counts: dict[int, dict[str, int]] = {}
    mine: dict[int, set[str]] = {}
    columns = [Reaction.post_id, Reaction.kind, func.count(Reaction.id)]
    if viewer.id is not None:
        columns.append(func.count(case((Reaction.user_id == viewer.id, 1))))
    for row in session.execute(query.add_columns(*columns)
                               .group_by(Reaction.post_id, Reaction.kind)):
        post_id, kind = row[0], str(row[1])
        counts.setdefault(post_id, {})[kind] = row[2]
        if len(row) > 3 and row[3]:
            mine.setdefault(post_id, set()).add(kind)
    return counts, mine


def first_unread_post_id(session: Session, viewer: Viewer, thread: Thread) -> int | None:
    """The first post after the viewer's read marker that they may see, or None."""
    if viewer.id is None:
        return None
    last_read = session.scalar(select(ReadMarker.last_read_post_id).where(
        ReadMarker.thread_id == thread.id, ReadMarker.user_id == viewer.id)) or 0
    visible_ids = _visible_posts(viewer, thread).with_only_columns(Post.id)
    return session.scalar(select(func.min(Post.id)).where(
        Post.id.in_(visible_ids), Post.id > last_read))


@dataclass
class RevisionRow:
    revision: PostRevision
    editor_name: str | None


def list_post_revisions(session: Session, post: Post) -> list[RevisionRow]:
    """Earlier versions of a post, newest first, with their editors (staff pages only)."""
    rows = session.execute(
        select(PostRevision, User.username)
        .outerjoin(User, User.id == PostRevision.editor_id)
        .where(PostRevision.post_id == post.id)
        .order_by(PostRevision.created_at.desc(), PostRevision.id.desc()))
    return [RevisionRow(revision=rev, editor_name=name) for rev, name in rows]
