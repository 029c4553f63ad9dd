"""Server CPU per page, in-process: a quick check while working on page speed.

    python -m bench seed --database-url sqlite:////tmp/bench.db --threads 500 --posts 10000
    python -m bench.page_cpu --database-url sqlite:////tmp/bench.db [--requests 30] [--profile]

Builds the production app (``FORUM_ENV=production``, ``POSTS_PER_PAGE=50``, as the
benchmark's servers run) on a seeded database, signs the benchmark reader in through the
real sign-in form with Flask's test client, and times the thread page (a thread of 51
posts) and the busiest board's page, anonymous and signed in. Each figure is CPU time
(``time.process_time``) per request, the best of five rounds: on a shared machine CPU time
is much steadier than the clock. With ``--profile`` it also prints where the time goes
(cProfile, by CPU time). It measures no network or server, so its figures are lower than
``python -m bench --only http``'s; compare them with each other, before and after a change.
"""

from __future__ import annotations

import argparse
import contextvars
import cProfile
import os
import pstats
import re
import time
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

ROUNDS = 5


class _Client(FlaskClient):
    """Each request in a fresh context, as a real server runs it (see tests/conftest.py)."""

    def open(self, *args: Any, **kwargs: Any) -> Any:
        return contextvars.Context().run(super().open, *args, **kwargs)


def _sign_in(client: FlaskClient, username: str, password: str) -> None:
    page = client.get("/sign-in").get_data(as_text=True)
    token = (re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
             or re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page))
    if token is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    answer = client.post("/sign-in", data={"csrf_token": token.group(1), "login": username,
                                           "password": password})
    if answer.status_code not in (302, 303) or ">Sign out<" not in client.get(
            "/").get_data(as_text=True):
        raise RuntimeError("signing the benchmark reader in failed")


def production_app(database_url: str, *, access_log: bool) -> Flask:
    """The app as the benchmark's servers run it (one token posting every reply: no rate
    limits; no scheduler), on ``database_url``."""
    os.environ.update(FORUM_ENV="production", DATABASE_URL=database_url,
                      POSTS_PER_PAGE="50", SESSION_COOKIE_SECURE="false",
                      SCHEDULER_ENABLED="false", RATELIMIT_ENABLED="false", LOG_FORMAT="json")
    os.environ.setdefault("SECRET_KEY", "page-cpu-" + "x" * 40)
    os.environ.pop("REDIS_URL", None)
    import logging

    from forum import create_app

    app = create_app(env="production")
    if not access_log:
        logging.getLogger("forum.access").setLevel(logging.WARNING)
    return app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_cpu", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--requests", type=int, default=30, help="requests per round")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args(argv)
    from bench.seed import BENCH_PASSWORD, READER
    from forum.boards.models import Board

    app = production_app(args.database_url, access_log=False)
    app.test_client_class = _Client
    anonymous, signed_in = app.test_client(), app.test_client()
    _sign_in(signed_in, READER, BENCH_PASSWORD)
    with app.app_context():
        from sqlalchemy import select

        from forum.db import new_session

        session = new_session(app)
        board = session.scalar(select(Board).order_by(Board.thread_count.desc()).limit(1))
        slug = board.slug if board else ""
        session.close()
    pages = {"thread_anonymous": (anonymous, "/threads/1"),
             "thread_signed_in": (signed_in, "/threads/1"),
             "board_anonymous": (anonymous, f"/boards/{slug}"),
             "board_signed_in": (signed_in, f"/boards/{slug}")}
    for name, (client, path) in pages.items():
        answer = client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {path} answered {answer.status_code}")
        for _ in range(5):  # warm up (and fill the render cache)
            client.get(path)
        profile = cProfile.Profile(time.process_time) if args.profile else None
        if profile:
            profile.enable()
        rounds = []
        for _ in range(ROUNDS):
            started = time.process_time()
            for _ in range(args.requests):
                client.get(path)
            rounds.append((time.process_time() - started) * 1000 / args.requests)
        if profile:
            profile.disable()
        print(f"{name:18} {min(rounds):6.2f} ms CPU per request (median "
              f"{sorted(rounds)[ROUNDS // 2]:.2f}), {len(answer.data):,} bytes")
        if profile:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(40)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
