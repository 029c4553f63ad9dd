"""A seeded forum of realistic size for the benchmark (``python -m bench seed``).

Called by :mod:`bench.__main__` (and ``tests/bench/test_seed.py`` on a tiny scale). It writes
boards, members, threads, posts, memberships and follows straight into the tables with
SQLAlchemy Core bulk inserts.

Bypassing the actions is acceptable HERE ONLY: this is throw-away benchmark data, and going
through ``do_reply`` 100,000 times would take longer than the whole benchmark. Nothing is
audited and no event is emitted. Everything the actions would have kept consistent is
computed here instead: every denormalised counter (thread reply_count / last_post_id /
last_activity_at / visible, board thread_count / post_count / last_activity_at, user
post_count), and the HTML comes from :func:`forum.markup.render_markdown`, so it is exactly
what a real post would store. The test checks the counters against the real queries.
"""

from __future__ import annotations

import random
import re
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, text

from forum.accounts.models import ApiToken, Role, User
from forum.accounts.usernames import email_key, username_key
from forum.auth import TOKEN_PREFIX, hash_token
from forum.boards.models import Board, BoardMembership
from forum.db import utcnow
from forum.markup import render_markdown
from forum.models import metadata
from forum.threads.models import Post, PostState, Thread, ThreadFollow

READER = "bench_reader"
POSTER = "bench_poster"
# Throw-away benchmark accounts on a loopback-only database that is dropped afterwards.
BENCH_PASSWORD = "a calm walk by the river at dusk"  # noqa: S105
BATCH = 5000

CONDITIONS = [
    "Living with diabetes", "Heart failure", "Multiple sclerosis", "Long COVID",
    "Crohn's and colitis", "Chronic pain", "Arthritis", "Asthma and COPD",
    "Kidney disease", "Epilepsy", "Parkinson's", "Living after stroke",
    "Cancer: during treatment", "Cancer: life after treatment", "ME/CFS",
    "Fibromyalgia", "Lupus", "Carers together", "Parents of children with conditions",
    "Mental health alongside a condition", "Dementia: family and carers",
    "Sickle cell", "Cystic fibrosis", "Endometriosis",
]

TITLES = [
    "Anyone else struggling with {x} this week?", "First appointment coming up — {x}",
    "Tips for managing {x} at work", "Just diagnosed, feeling overwhelmed about {x}",
    "Good day today with {x}!", "Questions to ask the consultant about {x}",
    "How do you explain {x} to family?", "Sleep and {x}", "Benefits forms and {x}",
    "Small wins with {x}", "Medication changes for {x}", "Feeling alone with {x}",
]
TOPICS = ["fatigue", "the new tablets", "hospital letters", "flare-ups", "pacing",
          "my GP", "the waiting list", "diet changes", "brain fog", "getting out"]

# A small pool of varied bodies (short, long, lists, links, quotes), rendered once each.
BODIES = [
    "Thank you for sharing this. I felt exactly the same at the start.",
    "Sending you a hug. It does get easier, one day at a time.",
    "I asked my nurse about this last week. She said to keep a diary of symptoms for two "
    "weeks and bring it to the next appointment, so they can see the pattern.",
    "Some things that helped me:\n\n- pacing, and resting *before* I'm exhausted\n"
    "- a pill organiser with days on it\n- saying no to things without feeling guilty\n"
    "- the breathing exercises from the physio\n\nHope some of it helps you too.",
    "> I don't know who to talk to about it\n\nYou can talk to us. That's what we're here "
    "for. Have you thought about asking your GP for a referral to the local support team?",
    "Morning all. Rough night again, up at 3 with the pain. Managed a short walk though, "
    "so counting that as a win. How is everyone else doing?",
    "The NHS page on this is quite good: [NHS advice](https://www.nhs.uk/conditions/) — "
    "it explains the tests in plain English and what the numbers mean.",
    "I've had this for nearly twenty years now. In the beginning I read everything I could "
    "find and it frightened me. What helped most was finding people who just *got it*, "
    "without me having to explain. My consultant changed twice in that time and each "
    "change felt like starting again. What I'd say is: write your questions down before "
    "the appointment, take someone with you if you can, and ask them to write down the "
    "answers, because you won't remember half of it afterwards. I never do.\n\n"
    "And be kind to yourself on the bad days. They pass.",
    "Yes!! Same here. Glad it's not just me.",
    "## What I wish I'd known\n\n1. It's OK to ask for a second opinion.\n"
    "2. You can ask for your results to be sent to you.\n"
    "3. Occupational health at work can make adjustments.\n\n"
    "**Don't** give up if the first thing you try doesn't work.",
    "My mum has the same diagnosis and I'm her main carer. Some days I feel like I'm "
    "holding everything together with tape. Does anyone know about carer's assessments? "
    "The council said to ring them but I keep putting it off.",
    "Thinking of you. Let us know how the appointment goes on Thursday.",
    "I found the waiting the worst part. Once I knew what it was, I could plan. "
    "Hang in there — the letter often takes longer than they say, so it might be worth "
    "ringing the secretary's office to check it's been sent.",
    "Just popping in to say thank you to everyone on this board. Six months ago I couldn't "
    "get out of bed, and today I went to the shops on my own. Your posts kept me going.",
    "Does anyone else find the cold makes it worse? I've started using a heated blanket "
    "and it helps a bit in the evenings. `Tip:` a hot water bottle on the lower back too.",
    "I'm not sure this is right for everyone, but pacing changed everything for me. "
    "I use a simple traffic-light system:\n\n* green: normal day, still stop before tired\n"
    "* amber: halve everything\n* red: rest, no guilt\n\nIt took months to get used to.",
]


@dataclass
class SeedInfo:
    """What the benchmark needs to know about the seeded data."""

    boards: int = 0
    threads: int = 0
    posts: int = 0
    members: int = 0
    seconds: float = 0.0
    board_slugs: list[str] = field(default_factory=list)
    bench_board: str = ""  # the busiest board, for the board page
    bench_threads: list[int] = field(default_factory=list)  # threads of exactly 51 posts
    live_thread: int = 0  # a quiet thread for the live-delivery run
    reader: str = READER
    reader_password: str = BENCH_PASSWORD
    poster_token: str = ""

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("poster_token")  # a secret: never written to the results file
        data.pop("reader_password")
        return data


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64]


def _next_id(conn: Connection, table: Any) -> int:
    # Ids are chosen here (so counters can be computed before inserting); start after any
    # existing row, so seeding into a non-empty test database cannot collide.
    return int(conn.scalar(select(func.coalesce(func.max(table.c.id), 0))) or 0) + 1


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    for start in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[start:start + BATCH])


def _reset_sequences(conn: Connection, tables: list[Any]) -> None:
    # Explicit ids leave PostgreSQL's sequences behind; the real actions would then collide.
    if conn.dialect.name != "postgresql":
        return
    for table in tables:
        conn.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table.name}))"))


def _password_hash() -> str:
    from forum.accounts.passwords import hash_password

    return hash_password(BENCH_PASSWORD)


def _split_posts(rng: random.Random, threads: int, posts: int, fixed: list[int]) -> list[int]:
    """Posts per thread: ``fixed`` first, then a skewed spread (most short, a few long)."""
    rest = threads - len(fixed)
    left = posts - sum(fixed)
    if rest < 0 or left < rest:
        raise ValueError("too few posts for that many threads (each needs its opening post)")
    counts = fixed + [1] * rest
    if rest and left > rest:
        weights = [rng.expovariate(1.0) ** 2 for _ in range(rest)]
        for i in rng.choices(range(rest), weights=weights, k=left - rest):
            counts[len(fixed) + i] += 1
    return counts


def seed_into(conn: Connection, *, boards: int = 20, threads: int = 5000, posts: int = 100_000,
              members: int = 300, bench_threads: int = 8, rng_seed: int = 1) -> SeedInfo:
    """Write the data set through ``conn`` (the caller commits or rolls back)."""
    started = time.perf_counter()
    rng = random.Random(rng_seed)
    now = utcnow()
    bench_threads = min(bench_threads, max(0, threads - 1))
    if boards < 1 or threads < 2:
        raise ValueError("need at least one board and two threads")

    u_tab, b_tab, t_tab, p_tab = (User.__table__, Board.__table__, Thread.__table__,
                                  Post.__table__)
    first_user, first_board = _next_id(conn, u_tab), _next_id(conn, b_tab)
    first_thread, first_post = _next_id(conn, t_tab), _next_id(conn, p_tab)
    run = secrets.token_hex(3)  # unique names even when seeding twice into one database

    # ---- members ---------------------------------------------------------------------
    pw = _password_hash()
    taken_names = set(conn.scalars(select(u_tab.c.username_key)))
    taken_slugs = set(conn.scalars(select(b_tab.c.slug)))

    def _free(name: str, taken: set[str], key: Any = str) -> str:
        # Plain names on a fresh database; a suffix only when seeding into a used one.
        return name if key(name) not in taken else f"{name}_{run}"

    names = [READER, POSTER] + [f"member{n:04d}" for n in range(members)]
    users = []
    for i, name in enumerate(names):
        uname = _free(name, taken_names, username_key)
        email = f"{uname}@bench.invalid"
        users.append({"id": first_user + i, "username": uname,
                      "username_key": username_key(uname), "email": email,
                      "email_key": email_key(email), "password_hash": pw, "role": Role.MEMBER,
                      "accepted_guidelines_at": now - timedelta(days=400),
                      "created_at": now - timedelta(days=400), "post_count": 0})
    reader_id, poster_id = users[0]["id"], users[1]["id"]
    authors = [u["id"] for u in users[2:]] or [poster_id]

    # ---- boards ----------------------------------------------------------------------
    board_rows = []
    for i in range(boards):
        name = CONDITIONS[i % len(CONDITIONS)] + (f" {i // len(CONDITIONS) + 1}"
                                                  if i >= len(CONDITIONS) else "")
        slug = _free(_slug(name), taken_slugs).replace("_", "-")
        board_rows.append({"id": first_board + i, "slug": slug, "name": name,
                           "description": f"Support and conversation: {name.lower()}.",
                           "condition": name, "position": i,
                           "created_at": now - timedelta(days=400), "thread_count": 0,
                           "post_count": 0, "last_activity_at": None})

    # ---- threads and how many posts each has --------------------------------------------
    # Board 0 is the busiest (the board page measured); bench threads live there too.
    board_weights = [3.0] + [rng.uniform(0.3, 1.5) for _ in range(boards - 1)]
    thread_board = [0] * bench_threads
    thread_board += rng.choices(range(boards), weights=board_weights, k=threads - bench_threads)
    for i in range(min(boards, threads - bench_threads - 1)):
        thread_board[bench_threads + 1 + i] = i  # no board left empty
    live_index = bench_threads  # the first ordinary thread: made quiet below, for live runs
    thread_board[live_index] = 0
    fixed = [51] * bench_threads + [3]
    counts = _split_posts(rng, threads, posts, fixed)

    # Each post gets a time; ids then follow time, as they would on a real forum.
    events: list[tuple[float, int]] = []
    for t, n in enumerate(counts):
        age_days = rng.uniform(1, 365) if t > live_index else rng.uniform(0.5, 2)
        start = now.timestamp() - age_days * 86400
        moment = start
        for _ in range(n):
            events.append((moment, t))
            moment = min(now.timestamp() - 1, moment + rng.expovariate(1 / 3600))
    events.sort()

    thread_rows = [{"id": first_thread + t, "board_id": first_board + thread_board[t],
                    "author_id": None, "title": "", "created_at": None,
                    "last_activity_at": None, "reply_count": counts[t] - 1,
                    "last_post_id": None, "visible": True, "locked": False, "pinned": False}
                   for t in range(threads)]
    rendered = [(body, render_markdown(body)) for body in BODIES]
    post_rows: list[dict[str, Any]] = []
    user_posts: dict[int, int] = {}
    memberships: set[tuple[int, int]] = set()
    for n, (stamp, t) in enumerate(events):
        row = thread_rows[t]
        created = datetime.fromtimestamp(stamp, UTC)
        author = poster_id if t == live_index and row["author_id"] is None else rng.choice(authors)
        source, html = rendered[rng.randrange(len(rendered))]
        post_id = first_post + n
        if row["author_id"] is None:  # the opening post
            row["author_id"] = author
            row["created_at"] = created
            title = TITLES[rng.randrange(len(TITLES))].format(x=rng.choice(TOPICS))
            row["title"] = title[:150]
        row["last_post_id"] = post_id
        row["last_activity_at"] = created
        post_rows.append({"id": post_id, "thread_id": row["id"], "author_id": author,
                          "body_source": source, "body_html": html,
                          "state": PostState.PUBLISHED, "is_guidance": False,
                          "created_at": created, "edited_at": None})
        user_posts[author] = user_posts.get(author, 0) + 1
        memberships.add((row["board_id"], author))

    for u in users:
        u["post_count"] = user_posts.get(u["id"], 0)
    by_board = {b["id"]: b for b in board_rows}
    for row in thread_rows:
        board = by_board[row["board_id"]]
        board["thread_count"] += 1
        board["post_count"] += row["reply_count"] + 1
        if board["last_activity_at"] is None or row["last_activity_at"] > board[
                "last_activity_at"]:
            board["last_activity_at"] = row["last_activity_at"]
    for b in board_rows:
        memberships.add((b["id"], reader_id))
        memberships.add((b["id"], poster_id))

    # ---- write ---------------------------------------------------------------------
    _insert(conn, u_tab, users)
    _insert(conn, b_tab, board_rows)
    _insert(conn, t_tab, thread_rows)
    _insert(conn, p_tab, post_rows)
    _insert(conn, BoardMembership.__table__,
            [{"board_id": b, "user_id": u, "joined_at": now - timedelta(days=300)}
             for b, u in sorted(memberships)])
    # Thread authors follow their threads, as do_create_thread does; replies notify them.
    _insert(conn, ThreadFollow.__table__,
            [{"thread_id": r["id"], "user_id": r["author_id"], "created_at": r["created_at"]}
             for r in thread_rows])
    token = TOKEN_PREFIX + secrets.token_urlsafe(24)
    conn.execute(insert(ApiToken.__table__), [{
        "user_id": poster_id, "name": "benchmark", "token_hash": hash_token(token),
        "prefix": token[:12], "created_at": now}])
    _reset_sequences(conn, [u_tab, b_tab, t_tab, p_tab])

    busiest = max(board_rows, key=lambda b: b["thread_count"])
    return SeedInfo(
        boards=boards, threads=threads, posts=len(post_rows), members=len(users),
        seconds=round(time.perf_counter() - started, 2),
        board_slugs=[b["slug"] for b in board_rows], bench_board=busiest["slug"],
        bench_threads=[first_thread + t for t in range(bench_threads)],
        live_thread=first_thread + live_index, reader=users[0]["username"],
        poster_token=token)


def seed(engine: Engine, **options: Any) -> SeedInfo:
    """Create the schema if needed and seed it in one transaction, then gather the
    planner's statistics, as after any bulk load: without them PostgreSQL plans the
    pages' joins for empty tables (a scan of every member for each post) until autovacuum
    gets round to it, which it may not do during a run."""
    metadata.create_all(engine)
    with engine.begin() as conn:
        info = seed_into(conn, **options)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return info
