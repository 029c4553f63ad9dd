"""``python -m bench`` (``make bench``): measure the forum against the issues' targets.

    python -m bench                      everything (about 15 minutes)
    python -m bench --quick              short durations and a small data set (smoke test)
    python -m bench --only http,live     some parts: seed, http, live, checks, markup
    python -m bench seed --database-url URL [--boards 20 --threads 5000 --posts 100000]

Needs PostgreSQL on 127.0.0.1:5432 (a database ``alongside_bench_<pid>`` is created and
dropped) and Redis on 127.0.0.1:6379 (database 15, flushed). Prints one table with each
target beside its figure and writes every figure to ``bench/results/latest.json``. Never
part of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.servers import ROOT, machine_info, raise_open_file_limit

RESULTS = Path(__file__).resolve().parent / "results"
PARTS = ("http", "live", "checks", "markup")


def _seed_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench seed",
                                     description="Seed a benchmark data set (fast, bulk).")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--boards", type=int, default=20)
    parser.add_argument("--threads", type=int, default=5000)
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=300)
    args = parser.parse_args(argv)
    from bench.seed import seed
    from forum.db import make_engine

    engine = make_engine(args.database_url)
    info = seed(engine, boards=args.boards, threads=args.threads, posts=args.posts,
                members=args.members)
    engine.dispose()
    print(json.dumps(info.to_json()))
    return 0


def _checks(rounds: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.checks", str(rounds)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _markup(rounds: int) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.markup", str(rounds)], cwd=ROOT,
                         capture_output=True, text=True, timeout=600, check=True)
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def _fmt(value: Any, unit: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}{unit}" if abs(value) >= 10 else f"{value:,.2f}{unit}"
    return f"{value}{unit}"


def targets(results: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(what, figure, target, passed) for every target of issues 3 and 4 that was run."""
    rows: list[tuple[str, str, str, bool | None]] = []
    http = results.get("http")
    if http:
        for key, runs in http["runs"].items():
            for who in ("anonymous", "signed_in"):
                ratio = runs[f"ratio_thread_{who}"]
                rows.append((f"thread page / ceiling, {who}, {key.replace('_', ' ')}",
                             f"{ratio:.0%}", ">= 50%", ratio >= 0.5))
    for run in (results.get("live") or {}).get("runs", []):
        n = run["clients"]
        if "error" in run:
            rows.append((f"live delivery, {n} clients", "error", "runs", False))
            continue
        limit = 150 if n <= 200 else 500
        rows.append((f"delivery p99, {n} clients", _fmt(run["delay_p99_ms"], " ms"),
                     f"<= {limit} ms", run["delay_p99_ms"] is not None
                     and run["delay_p99_ms"] <= limit))
        rows.append((f"HTTP reply median, {n} clients", _fmt(run["reply_p50_ms"], " ms"),
                     "< 50 ms", run["reply_p50_ms"] is not None and run["reply_p50_ms"] < 50))
        rows.append((f"events lost, {n} clients", str(run["lost"]), "0", run["lost"] == 0))
        kb = run["rss_kb_per_connection"]
        rows.append((f"server memory per connection, {n} clients", _fmt(kb, " KB"),
                     "<= 150 KB", kb is not None and kb <= 150))
    checks = results.get("checks")
    if checks:
        p50 = checks["with_model"]["p50_ms"]
        rows.append(("moderation checks per post, with model (p50)", _fmt(p50, " ms"),
                     "< 10 ms", p50 < 10))
    return rows


def print_table(results: dict[str, Any]) -> None:
    machine = results["machine"]
    print(f"\nMachine: {machine['nproc']} cores, {machine['cpu_model']}, "
          f"{machine['memory_gb']} GB; load average at start "
          f"{', '.join(map(str, machine['load_average_at_start']))}")
    http = results.get("http")
    if http:
        print(f"\nPages ({http['load_tool']}, {http['connections_per_process']} connections per "
              f"process, {http['seconds_each']} s each)")
        print(f"  {'processes':<11}{'page':<24}{'bytes':>9}{'req/s':>8}{'p50 ms':>9}"
              f"{'p99 ms':>9}{'CPU ms/req':>11}{'wait %':>8}{'errors':>7}")
        for key, runs in http["runs"].items():
            sizes = runs["page_bytes"]
            for name in ("thread_anonymous", "ceiling_anonymous", "thread_signed_in",
                         "ceiling_signed_in", "board_anonymous", "board_signed_in",
                         "thread_anonymous_built", "thread_signed_in_built"):
                r = runs.get(name)
                if r is None:
                    continue  # results from before that row was measured
                size = (runs.get(f"{name}_bytes") or sizes.get(name)
                        or sizes.get(name.removesuffix("_built"), 0))
                print(f"  {key.split('_')[0]:<11}{name:<24}{size:>9,}{r['rps']:>8.1f}"
                      f"{r['p50_ms']:>9.1f}{r['p99_ms']:>9.1f}"
                      f"{r['server_cpu_ms_per_request']:>11.2f}"
                      f"{r['server_cpu_wait_percent']:>8.1f}{r['errors']:>7}")
            print(f"  {'':<11}{runs['posts_on_thread_page']} posts on the thread page; "
                  "ratio to ceiling (req/s): anonymous "
                  f"{runs['ratio_thread_anonymous']:.0%}, signed in "
                  f"{runs['ratio_thread_signed_in']:.0%}; by server CPU per request: "
                  f"{runs['cpu_ratio_thread_anonymous']:.0%}, "
                  f"{runs['cpu_ratio_thread_signed_in']:.0%}")
            if "thread_anonymous_built" in runs:
                print(f"  {'':<11}*_built: the thread page with nothing kept whole "
                      "(PAGE_CACHE_KB=0, FRESH_ANSWER_SECONDS=0), as when it has just changed")
    live = results.get("live")
    if live:
        print("\nLive delivery (2 processes, Redis; one thread; "
              f"{live['replies_per_second']} replies/s for {live['seconds']} s)")
        print(f"  {'clients':>8}{'p50 ms':>9}{'p99 ms':>9}{'lost':>7}{'dropped':>9}"
              f"{'reply p50':>11}{'KB/conn':>9}{'CPU %':>8}{'CPU wait %':>12}")
        for r in live["runs"]:
            if "error" in r:
                print(f"  {r['clients']:>8}  failed: {r['error'][:300]}")
                continue
            print(f"  {r['clients']:>8}{_fmt(r['delay_p50_ms']):>9}{_fmt(r['delay_p99_ms']):>9}"
                  f"{r['lost']:>7}{r['clients_dropped']:>9}{_fmt(r['reply_p50_ms']):>11}"
                  f"{_fmt(r['rss_kb_per_connection']):>9}{_fmt(r['cpu_percent_posting']):>8}"
                  f"{_fmt(r['cpu_wait_percent_posting']):>12}")
    checks = results.get("checks")
    if checks:
        m, r = checks["with_model"], checks["rules_only"]
        print(f"\nModeration checks ({m['posts']} timings; load {checks['load_s']} s, "
              f"semantic {checks['semantic']})")
        print(f"  with model: p50 {m['p50_ms']} ms, p99 {m['p99_ms']} ms "
              f"(CPU p50 {m['cpu_p50_ms']} ms)")
        print(f"  rules only: p50 {r['p50_ms']} ms, p99 {r['p99_ms']} ms "
              f"(CPU p50 {r['cpu_p50_ms']} ms)")
        worst = checks.get("worst_posts")
        if worst:
            print(f"  worst posts ({worst['post_chars']:,} characters, CPU best of "
                  f"{worst['rounds']}), as multiples of a typical post "
                  f"({worst['typical_post_chars']} characters) and of ordinary text of the "
                  "same length:")
            for part in ("checks", "scanners"):
                w = worst[part]
                print(f"    {part}: typical post {w['typical_post_cpu_ms']} ms, ordinary "
                      f"text {w['ordinary_text_cpu_ms']} ms")
                for name, post in w["posts"].items():
                    print(f"      {name:<44}{post['cpu_ms']:>9} ms  "
                          f"x{post['x_typical_post']:<8} x{post['x_ordinary_text']}")
    markup = results.get("markup")
    if markup:
        print(f"\nMarkdown rendering, CPU ms (best of {markup['rounds']}): a typical post "
              f"({markup['typical_post_chars']} characters) {markup['typical_post_ms']} ms; "
              f"{markup['length']:,} characters of ordinary text "
              f"{markup['ordinary_same_length_ms']} ms")
        for name, case in markup["worst_cases"].items():
            print(f"  {name:<20}{case['ms']:>10} ms   x{case['ratio']} ordinary text")
    rows = targets(results)
    if rows:
        print("\nTargets")
        width = max(len(r[0]) for r in rows) + 2
        for what, figure, target, passed in rows:
            mark = "pass" if passed else "FAIL"
            print(f"  {what:<{width}}{figure:>10}   target {target:<10} {mark}")
    print()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == "seed":
        return _seed_command(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="short runs on a small data set, to check the benchmark works")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run: {', '.join(PARTS)}")
    parser.add_argument("--seconds", type=float, help="seconds per page measurement")
    parser.add_argument("--clients", default=None,
                        help="live-delivery client counts, e.g. 200,1000")
    parser.add_argument("--output", type=Path, default=RESULTS / "latest.json")
    args = parser.parse_args(argv)
    parts = {p.strip() for p in args.only.split(",") if p.strip()}
    unknown = parts - set(PARTS)
    if unknown:
        parser.error(f"unknown part(s): {', '.join(sorted(unknown))}")
    raise_open_file_limit()
    quick = args.quick
    results: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(argv), "quick": quick,
        "machine": machine_info(),
    }
    started = time.monotonic()
    if "checks" in parts:
        print("bench: timing the moderation checks…", flush=True)
        results["checks"] = _checks(1 if quick else 5)
    if "markup" in parts:
        print("bench: timing Markdown rendering of the worst posts…", flush=True)
        results["markup"] = _markup(2 if quick else 5)
    if parts & {"http", "live"}:
        from bench.seed import seed
        from bench.servers import bench_database, forum_env, prepare_redis
        from forum.db import make_engine

        with bench_database() as url, tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            size = ({"boards": 20, "threads": 500, "posts": 10_000} if quick
                    else {"boards": 20, "threads": 5000, "posts": 100_000})
            print(f"bench: seeding {size} into PostgreSQL…", flush=True)
            engine = make_engine(url)
            info = seed(engine, **size)
            engine.dispose()
            results["data"] = info.to_json()
            print(f"bench: seeded in {info.seconds} s", flush=True)

            def env_for(ports: list[int], processes: int) -> dict[str, str]:
                return forum_env(url, prepare_redis(), ports, processes=processes)

            if "http" in parts:
                from bench import http

                seconds = args.seconds or (3.0 if quick else 15.0)
                print(f"bench: pages, {seconds} s each…", flush=True)
                results["http"] = http.measure(info, env_for, seconds, Path(tmp))
            if "live" in parts:
                from bench import live

                counts = ([int(c) for c in args.clients.split(",")] if args.clients
                          else ([50, 200] if quick else [200, 1000]))
                print(f"bench: live delivery to {counts} clients…", flush=True)
                results["live"] = live.measure(info, env_for, counts, Path(tmp),
                                               seconds=5.0 if quick else 30.0)
    results["seconds_total"] = round(time.monotonic() - started, 1)
    results["targets"] = [{"what": w, "figure": f, "target": t, "passed": p}
                          for w, f, t, p in targets(results)]
    print_table(results)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(results, indent=2) + "\n")
    print(f"bench: figures written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
