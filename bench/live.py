"""Live delivery: many Socket.IO readers in one thread while replies arrive over HTTP.

Run by :mod:`bench.__main__`. For each client count (200, then 1,000) it starts the
production set-up with two processes (``scripts/serve.sh``, gunicorn + gevent, Redis as
the Socket.IO message queue), connects the clients (python-socketio ``AsyncClient``, the
websocket transport, spread evenly over both processes) from separate harness processes,
each joining the thread with ``{"thread": ID}``; then posts 5 replies a second for 30
seconds over the JSON API (``POST /api/v1/threads/{id}/posts`` with a Bearer token),
alternating between the two processes.

Measured: the delay from the moment the poster has the HTTP reply to each client's receipt
of ``post.created`` for that post (both clocks are this machine's monotonic clock, shared
by all processes), events lost (a client that never received a post it should have, within
``GRACE`` seconds of the last reply), the HTTP reply's own time, and the server processes'
CPU and resident memory (psutil over every process of the set; memory per connection is
the growth from before the clients connected to after they all joined, divided by them).
Rate limits are switched off in the servers (``RATELIMIT_ENABLED=false``, see
:func:`bench.servers.forum_env`) because one token posts every reply.
"""

from __future__ import annotations

import asyncio
import math
import multiprocessing as mp
import os
import queue
import statistics
import time
from pathlib import Path
from typing import Any

import requests

from bench.checks import percentile
from bench.seed import BODIES, SeedInfo
from bench.servers import REDIS_URL, free_ports, raise_open_file_limit, run_forum

CLIENTS_PER_HARNESS = 250  # enough harness processes that receiving is never the bottleneck
CONNECT_CONCURRENCY = 50
# Readers arrive over time, not all in one instant: each join makes the server announce the
# room's head count to everyone in it, so joins in a burst pile up work on both sides.
JOIN_RATE = 25.0  # joins a second, all harness processes together
RATE = 5.0  # replies a second
GRACE = 5.0  # seconds after the last reply before a missing event counts as lost


# ---- the harness process (spawned) ---------------------------------------------------------

async def _clients(urls: list[str], first: int, count: int, thread_id: int, out: Any,
                   stop: Any) -> None:
    import aiohttp
    import socketio

    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    receipts: list[list[tuple[int, float]]] = [[] for _ in range(count)]
    dropped: list[tuple[float, str] | None] = [None] * count
    state = {"last_event": time.monotonic(), "stopping": False}
    started = time.monotonic()

    async def one(i: int) -> Any:
        client = socketio.AsyncClient(reconnection=False, http_session=http,
                                      handle_sigint=False)
        seen = receipts[i]

        def on_post(data: dict[str, Any]) -> None:
            now = time.monotonic()
            seen.append((int(data.get("post_id") or 0), now))
            state["last_event"] = now

        def on_other(*_args: Any) -> None:
            state["last_event"] = time.monotonic()

        def on_drop(*args: Any) -> None:
            if not state["stopping"]:  # our own disconnect at the end is not a drop
                dropped[i] = (time.monotonic(), str(args[0]) if args else "")

        client.on("post.created", on_post)
        client.on("*", on_other)  # presence and the like: only to tell when things are quiet
        client.on("disconnect", on_drop)
        await asyncio.sleep(max(0.0, started + (first + i) / JOIN_RATE - time.monotonic()))
        async with gate:
            await client.connect(urls[(first + i) % len(urls)], transports=["websocket"],
                                 wait_timeout=60)
            ack = await client.call("join", {"thread": thread_id}, timeout=120)
        if not (isinstance(ack, dict) and ack.get("ok")):
            raise RuntimeError(f"join refused: {ack}")
        return client

    made = await asyncio.gather(*(one(i) for i in range(count)), return_exceptions=True)
    clients = [c for c in made if not isinstance(c, BaseException)]
    failures = sorted({f"{type(c).__name__}: {c}"[:200] for c in made
                       if isinstance(c, BaseException)})
    out.put(("ready", first, len(clients), failures[:5], time.monotonic() - started))
    # Every join announces the room's new head count to the whole room: with 1,000
    # readers that is half a million small events. Wait until they have all arrived, so
    # the measurement starts with nothing queued in the harness.
    limit = time.monotonic() + 300
    while time.monotonic() - state["last_event"] < 1.5 and time.monotonic() < limit:
        await asyncio.sleep(0.1)
    out.put(("quiet", first, time.monotonic() - started))
    while not stop.is_set():
        await asyncio.sleep(0.05)
    state["stopping"] = True
    # Copies: the queue pickles in a background thread, after the disconnects below.
    out.put(("done", first, [list(r) for r in receipts], list(dropped)))
    await asyncio.gather(*(c.disconnect() for c in clients), return_exceptions=True)
    await http.close()


def _harness(urls: list[str], first: int, count: int, thread_id: int, out: Any,
             stop: Any) -> None:
    raise_open_file_limit()
    asyncio.run(_clients(urls, first, count, thread_id, out, stop))


class _Inbox:
    """Messages from the harness processes, taken by phase (they may arrive interleaved)."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.early: list[tuple[Any, ...]] = []

    def take(self, tag: str, count: int, timeout: float) -> list[tuple[Any, ...]]:
        found = [m for m in self.early if m[0] == tag]
        self.early = [m for m in self.early if m[0] != tag]
        deadline = time.monotonic() + timeout
        while len(found) < count:
            message = self.out.get(timeout=max(0.1, deadline - time.monotonic()))
            (found if message[0] == tag else self.early).append(message)
        return found


# ---- the poster -------------------------------------------------------------------------

async def _post_replies(urls: list[str], token: str, thread_id: int, seconds: float
                        ) -> list[tuple[int | None, float, float, int]]:
    import aiohttp

    headers = {"Authorization": f"Bearer {token}"}
    results: list[tuple[int | None, float, float, int]] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:

        async def one(k: int) -> None:
            url = f"{urls[k % len(urls)]}/api/v1/threads/{thread_id}/posts"
            body = {"body": BODIES[k % len(BODIES)]}
            sent = time.monotonic()
            try:
                async with http.post(url, json=body, headers=headers,
                                     timeout=aiohttp.ClientTimeout(total=30)) as answer:
                    data = await answer.json(content_type=None)
                    done = time.monotonic()
                    post_id = data["post"]["id"] if answer.status == 201 else None
                    results.append((post_id, sent, done, answer.status))
            except (aiohttp.ClientError, TimeoutError, KeyError, ValueError):
                results.append((None, sent, time.monotonic(), 0))

        loop = asyncio.get_running_loop()
        start = loop.time()
        tasks = []
        for k in range(int(RATE * seconds)):
            await asyncio.sleep(max(0.0, start + k / RATE - loop.time()))
            tasks.append(asyncio.create_task(one(k)))
        await asyncio.gather(*tasks)
    return results


# ---- server processes --------------------------------------------------------------------

def usage(pids: list[int]) -> tuple[float, int]:
    """(CPU seconds, resident bytes) summed over the server processes."""
    import psutil

    cpu = 0.0
    rss = 0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            times = proc.cpu_times()
            cpu += times.user + times.system
            rss += proc.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return cpu, rss


def cpu_wait(pids: list[int]) -> float:
    """Seconds the processes' threads spent runnable but waiting for a CPU (Linux schedstat).

    On a machine shared with other work this is the time the servers were ready to run and
    could not: high figures mean the clock-time results say more about the neighbours.
    """
    total = 0
    for pid in pids:
        for stat in Path(f"/proc/{pid}/task").glob("*/schedstat"):
            try:
                total += int(stat.read_text().split()[1])
            except (OSError, IndexError, ValueError):
                continue
    return total / 1e9


def _settle(pids: list[int], limit: float = 180.0) -> float:
    """Wait until the servers are nearly idle (joins announce presence to the whole room)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        before, _ = usage(pids)
        time.sleep(1.0)
        after, _ = usage(pids)
        if after - before < 0.15:  # under 15% of one core, all processes together
            break
    return time.monotonic() - started


def _subscribers(channel: str) -> int:
    import redis

    store = redis.Redis.from_url(REDIS_URL)
    try:
        return int(dict(store.pubsub_numsub(channel)).get(channel.encode(), 0))
    finally:
        store.close()


def run_once(info: SeedInfo, env: dict[str, str], ports: list[int], clients: int,
             seconds: float, log: Path) -> dict[str, Any]:
    """One client count against a fresh two-process set-up."""
    thread_id = info.live_thread
    with run_forum(env, ports, log) as servers:
        urls = [servers.url(0), servers.url(1)]
        token = info.poster_token
        for url in urls:  # warm both processes: a page, a reply (imports, pools, templates)
            requests.get(f"{url}/threads/{thread_id}", timeout=30).raise_for_status()
            warm = requests.post(f"{url}/api/v1/threads/{thread_id}/posts", timeout=30,
                                 json={"body": "Warming up the benchmark server."},
                                 headers={"Authorization": f"Bearer {token}"})
            if warm.status_code != 201:
                raise RuntimeError(f"warm-up reply answered {warm.status_code}")
        pids = servers.pids()
        _settle(pids, 20)
        cpu_before, rss_before = usage(pids)

        ctx = mp.get_context("spawn")
        out = ctx.Queue()
        stop = ctx.Event()
        harnesses = []
        per = math.ceil(clients / max(1, math.ceil(clients / CLIENTS_PER_HARNESS)))
        first = 0
        connect_started = time.monotonic()
        while first < clients:
            count = min(per, clients - first)
            proc = ctx.Process(target=_harness, args=(urls, first, count, thread_id, out, stop),
                               daemon=True)
            proc.start()
            harnesses.append(proc)
            first += count
        try:
            inbox = _Inbox(out)
            ready = inbox.take("ready", len(harnesses), 600)
            connected = sum(r[2] for r in ready)
            failures = [f for r in ready for f in r[3]]
            connect_s = time.monotonic() - connect_started
            quiet = inbox.take("quiet", len(harnesses), 600)
            quiet_s = max(q[2] for q in quiet)
            settle_s = _settle(pids)
            cpu_connected, rss_after = usage(pids)
            subscribers = _subscribers(env["SOCKETIO_CHANNEL"])

            harness_pids = [p.pid for p in harnesses if p.pid is not None]
            harness_cpu_before, _ = usage(harness_pids)
            wait_before = cpu_wait(pids)
            posting_started = time.monotonic()
            posted = asyncio.run(_post_replies(urls, token, thread_id, seconds))
            posting_s = time.monotonic() - posting_started
            cpu_posted, rss_posted = usage(pids)
            waited = cpu_wait(pids) - wait_before
            harness_cpu, _ = usage(harness_pids)
            time.sleep(GRACE)
            stop.set()
            done = inbox.take("done", len(harnesses), 120)
        finally:
            stop.set()
            for proc in harnesses:
                proc.join(timeout=30)
                if proc.is_alive():
                    proc.kill()
                    proc.join()

    replied = {p[0]: p[2] for p in posted if p[0] is not None}
    reply_ms = [(p[2] - p[1]) * 1000 for p in posted if p[0] is not None]
    delays: list[float] = []
    lost = 0
    dropped = 0
    drop_reasons: dict[str, int] = {}
    drop_times: list[float] = []
    for _tag, _first, receipts, gone in done:
        for drop in gone:
            if drop is not None:
                dropped += 1
                drop_times.append(drop[0] - posting_started)
                drop_reasons[drop[1]] = drop_reasons.get(drop[1], 0) + 1
        for seen in receipts:
            got = {}
            for post_id, when in seen:
                got.setdefault(post_id, when)
            for post_id, answered in replied.items():
                if post_id in got:
                    delays.append((got[post_id] - answered) * 1000)
                else:
                    lost += 1
    lost += (clients - connected) * len(replied)

    def stat(q: float) -> float | None:
        return round(percentile(delays, q), 1) if delays else None

    return {
        "clients": clients, "connected": connected, "connect_failures": failures,
        "connect_seconds": round(connect_s, 1), "quiet_after_joins_seconds": round(quiet_s, 1),
        "settle_seconds": round(settle_s, 1), "harness_processes": len(harnesses),
        "harness_cpu_percent_posting": round((harness_cpu - harness_cpu_before)
                                             / posting_s * 100, 1),
        "redis_subscribers": subscribers, "replies_sent": len(posted),
        "replies_ok": len(replied), "reply_statuses": sorted({p[3] for p in posted}),
        "posting_seconds": round(posting_s, 1),
        "deliveries": len(delays), "lost": lost, "clients_dropped": dropped,
        "drop_reasons": drop_reasons,
        "first_drop_seconds_after_posting_began": (round(min(drop_times), 1)
                                                   if drop_times else None),
        "delay_p50_ms": stat(50), "delay_p90_ms": stat(90), "delay_p99_ms": stat(99),
        "delay_max_ms": round(max(delays), 1) if delays else None,
        "delay_min_ms": round(min(delays), 1) if delays else None,
        "reply_p50_ms": round(statistics.median(reply_ms), 1) if reply_ms else None,
        "reply_p99_ms": round(percentile(reply_ms, 99), 1) if reply_ms else None,
        "rss_mb_before": round(rss_before / 2**20, 1),
        "rss_mb_connected": round(rss_after / 2**20, 1),
        "rss_mb_after_posting": round(rss_posted / 2**20, 1),
        "rss_kb_per_connection": (round((rss_after - rss_before) / 1024 / connected, 1)
                                  if connected else None),
        "cpu_seconds_connecting": round(cpu_connected - cpu_before, 1),
        "cpu_wait_percent_posting": round(waited / posting_s * 100, 1),
        "load_average_after": round(os.getloadavg()[0], 2),
        "cpu_percent_posting": round((cpu_posted - cpu_connected) / posting_s * 100, 1),
        "cpu_ms_per_delivery": (round((cpu_posted - cpu_connected) * 1000 / len(delays), 3)
                                if delays else None),
    }


def measure(info: SeedInfo, env_for: Any, counts: list[int], workdir: Path,
            seconds: float = 30.0) -> dict[str, Any]:
    """Each client count in turn, each on freshly started servers."""
    raise_open_file_limit()
    runs = []
    for clients in counts:
        ports = free_ports(2)
        env = env_for(ports, 2)
        print(f"bench: live, {clients} clients…", flush=True)
        try:
            runs.append(run_once(info, env, ports, clients, seconds,
                                 workdir / f"live-{clients}.log"))
        except (RuntimeError, queue.Empty) as exc:
            runs.append({"clients": clients, "error": str(exc)[:2000]})
    return {"processes": 2, "replies_per_second": RATE, "seconds": seconds,
            "grace_seconds": GRACE, "runs": runs}
