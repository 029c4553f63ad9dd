"""What a thread page shows, in one short statement: the key of the page kept whole.

The thread page is kept whole (forum/page_cache.py) under a key that holds everything it
shows. :func:`read_page_facts` works the key's facts out in the database, in one statement
that returns a few short strings rather than 50 posts; :func:`facts_from_view` works out
the same facts from the data a page was just rendered from, and the page is stored under
those. So a page is only ever served for exactly the state it was rendered from, whatever
changed in between (a new reply, an edit, a hidden post, a reaction taken back, a renamed
member, a locked thread, a renamed or closed board), with no list of actions to keep.

The facts (both functions must build them identically; tests compare them):

- the thread's and its board's shown columns: title, locked, visible, author; slug, name,
  visibility, archived (also what the access check reads);
- how many posts the reader may see (the pager), and for each post on the page
  ``id:stamp:author id:author name``. ``Post.stamp`` changes on every write to the row (state,
  body, edit time, guidance…), and the name is read from the member's row (renames,
  erasure);
- the reactions on the page: ``post:KIND:count:the reader's own`` per post and kind;
- the reader's own posts on the page, the first post that is new to them, and whether they
  follow the thread.

:func:`page_key` adds what the page shows about the reader (signed in, staff, the
permissions of ``thread_abilities`` without their id) and about the request, so readers
with the same rights and the same relation to the page share it, and nobody ever gets a
page built for someone with other rights.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request
from sqlalchemy import (
    ColumnElement,
    Engine,
    Integer,
    Select,
    String,
    case,
    cast,
    exists,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from forum.accounts.models import User
from forum.boards.models import Board, Visibility
from forum.change_feed import fresh_answers
from forum.db import FixedQuery, utcnow
from forum.page_cache import set_prefetched
from forum.permissions import Viewer
from forum.threads.models import Post, Reaction, ReactionKind, ReadMarker, Thread, ThreadFollow
from forum.threads.queries import ShownPost, ThreadPage, shown_posts

SEPARATOR = ","  # not in any token: ids, stamps, kind names, usernames ([A-Za-z0-9_.-])


@dataclass(frozen=True, slots=True)
class BoardFacts:
    id: int
    slug: str
    name: str
    visibility: Visibility
    archived: bool


@dataclass(frozen=True, slots=True)
class ThreadFacts:
    """A thread's shown columns. Reads like a :class:`Thread` for the permission checks
    (``thread_refusal``, ``thread_abilities``) and the "not watched" banner."""

    id: int
    board_id: int
    board: BoardFacts
    author_id: int | None
    title: str
    locked: bool
    visible: bool


@dataclass(frozen=True, slots=True)
class PageFacts:
    thread: ThreadFacts
    total: int
    posts: str
    reactions: str
    own: str
    first_new: int | None
    following: bool
    # Not in the key (first_new says what the page shows of them): whether to mark read.
    last_post_id: int | None
    last_read: int
    # The registered extra facts read with them (for the page's slots, never its key).
    extras: tuple[tuple[str, Any], ...] = field(default=(), compare=False)

    def pages(self, per_page: int) -> int:
        return max(1, -(-self.total // per_page))


def _text(value: Any) -> ColumnElement[str]:
    return cast(value, String)


class _Joined(FunctionElement[str]):
    """The values of an expression joined with SEPARATOR, in a given order (PostgreSQL's
    ``string_agg(… ORDER BY …)``). SQLite's ``group_concat`` keeps the order of the CTE's
    ORDER BY, which it cannot flatten because of the LIMIT; any other order would only make
    a key that never matches: never a wrong page."""

    type = String()
    inherit_cache = True
    name = "joined"


@compiles(_Joined, "postgresql")
def _joined_postgresql(element: _Joined, compiler: Any, **kw: Any) -> str:
    value, *order = element.clauses
    return compiler.process(func.string_agg(value, aggregate_order_by(
        literal_column(f"'{SEPARATOR}'"), *order)), **kw)


@compiles(_Joined)
def _joined_default(element: _Joined, compiler: Any, **kw: Any) -> str:
    value = next(iter(element.clauses))
    return compiler.process(func.group_concat(value, literal_column(f"'{SEPARATOR}'")), **kw)


def _joined(expr: ColumnElement[str], *order: Any) -> _Joined:
    return _Joined(expr, *order)


ExtraFact = Callable[[Any], ColumnElement[Any]]
# name -> (build(param), for signed-in readers only): other packages' per-request values
# that the page's slots need, read by the same statement (see register_page_fact).
_extra_facts: dict[str, tuple[ExtraFact, bool]] = {}


def register_page_fact(name: str, build: ExtraFact, *, signed_in_only: bool = False) -> None:
    """Add a scalar value to the thread page's statement, for a slot's filler to read with
    ``forum.page_cache.prefetched(name)`` (one statement instead of one more per slot).
    ``build(param)`` returns the SQL expression; ``param("reader", type)`` is the reader's
    id (0 for nobody) and ``param("now", type)`` the time. Not part of the page's key:
    slots are worked out for each request."""
    _extra_facts[name] = (build, signed_in_only)


def page_facts(reader: Callable[[], Session | Engine], viewer: Viewer, thread_id: int,
               page: int, per_page: int) -> PageFacts | None:
    """:func:`read_page_facts`, given again while nothing has been written since it was
    read (forum/change_clock.py: at most ``FRESH_ANSWER_SECONDS`` old), so a page read
    over and over asks the database about once a second. ``reader()`` is only called when
    the database must be asked. The extra facts go to ``forum.page_cache.set_prefetched``."""
    answers = fresh_answers(current_app._get_current_object(), "thread-page-facts")  # type: ignore[attr-defined]
    key = (_variant(viewer), viewer.id, thread_id, page, per_page)
    facts = answers.get_or_read(
        key, lambda: read_page_facts(reader(), viewer, thread_id, page, per_page))
    if facts is not None:
        set_prefetched(dict(facts.extras))
    return facts  # type: ignore[no-any-return]


def _variant(viewer: Viewer) -> tuple[bool | tuple[int, ...], bool, tuple[str, ...]]:
    """Which statement ``viewer`` needs (see ``_facts_statement``)."""
    # The same posts as the page (forum.threads.queries._shown). Whether the viewer
    # facilitates the board decides which; the board comes with the row, so for a
    # facilitator of some boards the database decides.
    boards = tuple(sorted(b for b in viewer.facilitated_board_ids if viewer.facilitates(b)))
    staff: bool | tuple[int, ...] = True if viewer.is_admin else boards or False
    signed_in = viewer.id is not None
    extra = tuple(name for name, (_build, only) in _extra_facts.items()
                  if signed_in or not only)
    return staff, signed_in, extra


def read_page_facts(session: Session | Engine, viewer: Viewer, thread_id: int, page: int,
                    per_page: int) -> PageFacts | None:
    """The facts of page ``page`` of a thread for ``viewer``, in one statement; None when
    there is no such thread. Checks no permission: the caller asks ``thread_refusal``.
    With an engine rather than a session, it runs outside any transaction
    (``FixedQuery``)."""
    variant = _variant(viewer)
    extra = variant[2]
    row = _FACTS.first(session, variant, thread_id=thread_id,
                       reader=viewer.id or 0, offset=(max(1, page) - 1) * per_page,
                       limit=per_page, now=utcnow())
    if row is None:
        return None
    board = BoardFacts(id=row[4], slug=row[5], name=row[6], visibility=row[7],
                       archived=bool(row[8]))
    thread = ThreadFacts(id=thread_id, board_id=row[4], board=board, author_id=row[3],
                         title=row[0], locked=bool(row[1]), visible=bool(row[2]))
    return PageFacts(thread=thread, total=row[9], posts=row[10] or "", reactions=row[11] or "",
                     own=row[12] or "", first_new=row[13], following=bool(row[14]),
                     last_post_id=row[15], last_read=row[16] or 0,
                     extras=tuple(zip(extra, row[len(row) - len(extra):], strict=True)))


def _facts_statement(param: Any, variant: tuple[bool | tuple[int, ...], bool, tuple[str, ...]]
                     ) -> Select[Any]:
    staff, signed_in, extra = variant
    thread_id = param("thread_id", Integer())
    reader = param("reader", Integer())  # 0 for nobody: no member has id 0
    is_staff: bool | ColumnElement[bool] = staff if isinstance(staff, bool) else (
        select(Thread.board_id).where(Thread.id == thread_id).scalar_subquery().in_(staff))
    where = shown_posts(reader if signed_in else None, thread_id, staff=is_staff,
                        placeholders=True)
    on_page = (select(Post.id, Post.stamp, Post.author_id, User.username)
               .outerjoin(User, User.id == Post.author_id).where(where)
               .order_by(Post.id).offset(param("offset", Integer()))
               .limit(param("limit", Integer())).cte("page_posts"))
    last_read = func.coalesce(select(ReadMarker.last_read_post_id).where(
        ReadMarker.thread_id == thread_id, ReadMarker.user_id == reader).scalar_subquery(), 0)
    token = (_text(on_page.c.id) + ":" + _text(on_page.c.stamp) + ":"
             + func.coalesce(_text(on_page.c.author_id), "") + ":"
             + func.coalesce(on_page.c.username, ""))
    counted = (select(Reaction.post_id, _text(Reaction.kind).label("kind"),
                      func.count().label("n"),
                      func.count(case((Reaction.user_id == reader, 1))).label("mine"))
               .where(Reaction.post_id.in_(select(on_page.c.id)))
               .group_by(Reaction.post_id, Reaction.kind)
               .order_by(Reaction.post_id, Reaction.kind).subquery())
    reaction = (_text(counted.c.post_id) + ":" + counted.c.kind + ":" + _text(counted.c.n)
                + ":" + _text(counted.c.mine))
    return (
        select(Thread.title, Thread.locked, Thread.visible, Thread.author_id, Thread.board_id,
               Board.slug, Board.name, Board.visibility, Board.archived,
               select(func.count()).select_from(Post).where(where).scalar_subquery(),
               select(_joined(token, on_page.c.id)).scalar_subquery(),
               select(_joined(reaction, counted.c.post_id, counted.c.kind)).scalar_subquery(),
               select(_joined(_text(on_page.c.id), on_page.c.id))
               .where(on_page.c.author_id == reader).scalar_subquery(),
               select(func.min(on_page.c.id)).where(on_page.c.id > last_read, last_read > 0)
               .scalar_subquery(),
               exists().where(ThreadFollow.thread_id == thread_id,
                              ThreadFollow.user_id == reader),
               select(func.max(on_page.c.id)).scalar_subquery(),
               last_read,
               *(_extra_facts[name][0](param).label(f"extra_{n}")
                 for n, name in enumerate(extra)))
        .join(Board, Board.id == Thread.board_id).where(Thread.id == thread_id))


# One statement per backend and kind of reader (anonymous or signed in, facilitating
# every board, none, or these boards) and set of extra facts.
_FACTS = FixedQuery(_facts_statement)


def thread_facts(thread: Thread) -> ThreadFacts:
    board = thread.board
    return ThreadFacts(id=thread.id, board_id=thread.board_id,
                       board=BoardFacts(id=board.id, slug=board.slug, name=board.name,
                                        visibility=board.visibility,
                                        archived=bool(board.archived)),
                       author_id=thread.author_id, title=thread.title,
                       locked=bool(thread.locked), visible=bool(thread.visible))


def facts_from_view(viewer: Viewer, thread: Thread, view: ThreadPage) -> PageFacts:
    """The facts of a page just rendered from ``view`` (``get_thread_page(shown=True)``)."""
    posts: list[ShownPost] = list(view.posts)  # type: ignore[arg-type]
    shown = {p.id for p in posts}
    reactions = []
    for post_id in sorted(shown & view.reactions.keys()):
        mine = view.my_reactions.get(post_id, set())
        for name, kind, count in sorted((ReactionKind(k).name, k, n)
                                        for k, n in view.reactions[post_id].items()):
            reactions.append(f"{post_id}:{name}:{count}:{1 if kind in mine else 0}")
    last_read = view.last_read_post_id
    return PageFacts(
        thread=thread_facts(thread), total=view.total,
        posts=SEPARATOR.join(
            f"{p.id}:{p.stamp}:{'' if p.author_id is None else p.author_id}:"
            f"{p.author.username if p.author else ''}" for p in posts),
        reactions=SEPARATOR.join(reactions),
        own=SEPARATOR.join(str(p.id) for p in posts
                           if viewer.id is not None and p.author_id == viewer.id),
        first_new=next((p.id for p in posts if p.id > last_read), None) if last_read else None,
        following=view.following,
        last_post_id=posts[-1].id if posts else None, last_read=last_read)


def page_key(facts: PageFacts, viewer: Viewer, abilities: Any, page: int,
             per_page: int) -> tuple[Any, ...]:
    """The page's key: its facts, what it shows about the reader, and the request."""
    config = current_app.config
    user = viewer.user
    return (
        "thread-page", request.script_root, request.full_path, page, per_page,
        config.get("WTF_CSRF_ENABLED", True), config.get("MAX_POST_LENGTH"),
        config.get("SERVICE_NAME"), config.get("DISPLAY_TIMEZONE"),
        # The reader, as the page shows them: never their id, so readers with the same
        # rights and the same relation to this page share it.
        user is not None, bool(user is not None and user.is_staff),
        viewer.facilitates(facts.thread.board_id), abilities._replace(viewer_id=None),
        facts.thread, facts.total, facts.posts, facts.reactions, facts.own, facts.first_new,
        facts.following,
    )
