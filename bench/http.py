"""Page throughput: the forum's thread and board pages against the ceiling app.

Run by :mod:`bench.__main__`. For 1 and then 2 production processes (``scripts/serve.sh``:
gunicorn + gevent, one single-worker process per port) it loads, from a separate process on
loopback for a fixed time: the thread page with 50 posts and the busiest board's page, for an
anonymous and a signed-in reader; then the ceiling app (:mod:`bench.ceiling`) under the same
server, serving a page of the same size. With 2 processes the load is spread over both ports.

The load generator is ``wrk`` (installed with apt-get when missing and running as root);
without it, a multi-process Python generator with keep-alive connections does the same job.
Nothing here writes to the forum except the sign-in (and the signed-in reader's read marks,
which the real page writes too).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import re
import shutil
import subprocess
import tempfile
import time
from http.client import HTTPConnection
from pathlib import Path
from typing import Any

import requests

from bench.seed import SeedInfo
from bench.servers import Servers, free_ports, run_ceiling, run_forum

CONNECTIONS_PER_PROCESS = 8


def ensure_wrk() -> str | None:
    """The path of ``wrk``; installs Debian's package when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True,
                       check=False, timeout=300)
        if not shutil.which("wrk"):
            subprocess.run(["apt-get", "update", "-q"], capture_output=True, check=False,
                           timeout=300)
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], capture_output=True,
                           check=False, timeout=300)
    return shutil.which("wrk")


# Each wrk thread is pinned to one server port (thread.addr), and cycles through the paths.
WRK_SCRIPT = """
local ports = {%(ports)s}
local paths = {%(paths)s}
local n = 0
local addrs = {}
function setup(thread)
  n = n + 1
  local port = ports[(n - 1) %% #ports + 1]
  thread.addr = wrk.lookup("127.0.0.1", tostring(port))[1]
end
local i = 0
function request()
  i = i %% #paths + 1
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "JSON {\\"requests\\":%%d,\\"duration_us\\":%%d,\\"bytes\\":%%d,\\"connect\\":%%d," ..
    "\\"read\\":%%d,\\"write\\":%%d,\\"status\\":%%d,\\"timeout\\":%%d,\\"p50_us\\":%%d," ..
    "\\"p90_us\\":%%d,\\"p99_us\\":%%d,\\"max_us\\":%%d}\\n",
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
"""


def run_wrk(wrk: str, ports: list[int], paths: list[str], seconds: float,
            cookie: str | None = None) -> dict[str, Any]:
    """Closed-loop load with ``wrk``: one thread per port, 8 connections per port."""
    script = WRK_SCRIPT % {"ports": ", ".join(map(str, ports)),
                           "paths": ", ".join(json.dumps(p) for p in paths)}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as fh:
        fh.write(script)
    cmd = [wrk, "-t", str(len(ports)), "-c", str(CONNECTIONS_PER_PROCESS * len(ports)),
           "-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", fh.name]
    if cookie:
        cmd += ["-H", f"Cookie: {cookie}"]
    cmd.append(f"http://127.0.0.1:{ports[0]}")
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60,
                             check=True).stdout
    finally:
        Path(fh.name).unlink(missing_ok=True)
    line = next(x for x in out.splitlines() if x.startswith("JSON "))
    raw = json.loads(line[5:])
    secs = raw["duration_us"] / 1e6
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"] + raw["status"]
    return {"tool": "wrk", "requests": raw["requests"], "seconds": round(secs, 2),
            "rps": round(raw["requests"] / secs, 1), "p50_ms": round(raw["p50_us"] / 1000, 2),
            "p90_ms": round(raw["p90_us"] / 1000, 2), "p99_ms": round(raw["p99_us"] / 1000, 2),
            "max_ms": round(raw["max_us"] / 1000, 2), "errors": errors,
            "bytes_per_response": round(raw["bytes"] / max(1, raw["requests"]))}


# ---- the Python fallback -----------------------------------------------------------------

def _py_worker(port: int, paths: list[str], cookie: str | None, seconds: float,
               out: Any) -> None:
    headers = {"Cookie": cookie} if cookie else {}
    conn = HTTPConnection("127.0.0.1", port, timeout=10)
    latencies: list[float] = []
    errors = 0
    i = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        path = paths[i % len(paths)]
        i += 1
        start = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            if response.status >= 400:
                errors += 1
        except OSError:
            errors += 1
            conn.close()
            conn = HTTPConnection("127.0.0.1", port, timeout=10)
            continue
        latencies.append(time.perf_counter() - start)
    out.put((latencies, errors))


def run_python_load(ports: list[int], paths: list[str], seconds: float,
                    cookie: str | None = None) -> dict[str, Any]:
    """The same closed loop as wrk, from separate Python processes (one connection each)."""
    from bench.checks import percentile

    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_py_worker, args=(ports[n % len(ports)], paths, cookie,
                                                  seconds, out))
             for n in range(CONNECTIONS_PER_PROCESS * len(ports))]
    for p in procs:
        p.start()
    results = [out.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    lat = [x * 1000 for r in results for x in r[0]]
    return {"tool": "python", "requests": len(lat), "seconds": seconds,
            "rps": round(len(lat) / seconds, 1), "p50_ms": round(percentile(lat, 50), 2),
            "p90_ms": round(percentile(lat, 90), 2), "p99_ms": round(percentile(lat, 99), 2),
            "max_ms": round(max(lat, default=0), 2), "errors": sum(r[1] for r in results)}


def load(servers: Servers, paths: list[str], seconds: float, cookie: str | None = None,
         wrk: str | None = None) -> dict[str, Any]:
    """Warm up briefly, then measure for ``seconds``.

    Besides requests/s and latency, the servers' own CPU time per request (psutil over the
    server processes): other work on a shared machine slows the clock figures down, but
    hardly changes how much CPU one page costs.
    """
    from bench.live import cpu_wait, usage

    ports = servers.ports
    run = (lambda s: run_wrk(wrk, ports, paths, s, cookie)) if wrk else (
        lambda s: run_python_load(ports, paths, s, cookie))
    run(min(3.0, seconds))
    pids = servers.pids()
    cpu_before, _ = usage(pids)
    wait_before = cpu_wait(pids)
    result = run(seconds)
    cpu_after, rss = usage(pids)
    result["server_cpu_wait_percent"] = round(
        (cpu_wait(pids) - wait_before) / result["seconds"] * 100, 1)
    result["server_cpu_ms_per_request"] = round(
        (cpu_after - cpu_before) * 1000 / max(1, result["requests"]), 2)
    result["server_rss_mb"] = round(rss / 2**20, 1)
    result["load_average_after"] = round(os.getloadavg()[0], 2)
    return result


# ---- signing in --------------------------------------------------------------------------

def sign_in(base: str, username: str, password: str) -> str:
    """Sign in through the real form; return the Cookie header value of the session."""
    http = requests.Session()
    page = http.get(f"{base}/sign-in", timeout=30)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
    if token is None:
        raise RuntimeError("the sign-in page has no CSRF token")
    answer = http.post(f"{base}/sign-in", timeout=30, allow_redirects=False,
                       data={"csrf_token": token.group(1), "login": username,
                             "password": password})
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"signing in failed with status {answer.status_code}")
    cookies = "; ".join(f"{c.name}={c.value}" for c in http.cookies)
    check = requests.get(f"{base}/", headers={"Cookie": cookies}, timeout=30)
    if ">Sign out<" not in check.text:
        raise RuntimeError("signed in, but the page does not show the reader as signed in")
    return cookies


def _page_bytes(base: str, path: str, cookie: str | None = None) -> int:
    response = requests.get(base + path, headers={"Cookie": cookie} if cookie else {},
                            timeout=30)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    return len(response.content)


def measure(info: SeedInfo, env_for: Any, seconds: float, workdir: Path,
            processes: tuple[int, ...] = (1, 2)) -> dict[str, Any]:
    """Every page × reader × process count, plus the ceiling; returns the figures."""
    wrk = ensure_wrk()
    thread_paths = [f"/threads/{t}" for t in info.bench_threads]
    board_paths = [f"/boards/{info.bench_board}"]
    results: dict[str, Any] = {"load_tool": "wrk" if wrk else "python",
                               "connections_per_process": CONNECTIONS_PER_PROCESS,
                               "seconds_each": seconds, "runs": {}}
    for n in processes:
        ports = free_ports(n)
        env = env_for(ports, n)
        runs: dict[str, Any] = {}
        with run_forum(env, ports, workdir / f"forum-{n}.log") as servers:
            base = servers.url(0)
            cookie = sign_in(base, info.reader, info.reader_password)
            sizes = {"thread_anonymous": _page_bytes(base, thread_paths[0]),
                     "thread_signed_in": _page_bytes(base, thread_paths[0], cookie),
                     "board_anonymous": _page_bytes(base, board_paths[0]),
                     "board_signed_in": _page_bytes(base, board_paths[0], cookie)}
            runs["page_bytes"] = sizes
            runs["posts_on_thread_page"] = requests.get(
                base + thread_paths[0], timeout=30).text.count('data-post-id="')
            for name, paths, who in (("thread_anonymous", thread_paths, None),
                                     ("thread_signed_in", thread_paths, cookie),
                                     ("board_anonymous", board_paths, None),
                                     ("board_signed_in", board_paths, cookie)):
                print(f"bench:   {n} process(es), {name}", flush=True)
                runs[name] = load(servers, paths, seconds, who, wrk)
        # The same thread pages with nothing kept whole and no answer kept: what a page
        # costs when it changed since anyone last read it (fragments still cached).
        built_env = {**env, "PAGE_CACHE_KB": "0", "FRESH_ANSWER_SECONDS": "0"}
        with run_forum(built_env, ports, workdir / f"forum-built-{n}.log") as servers:
            cookie = sign_in(servers.url(0), info.reader, info.reader_password)
            for name, who in (("thread_anonymous_built", None),
                              ("thread_signed_in_built", cookie)):
                print(f"bench:   {n} process(es), {name}", flush=True)
                runs[name] = load(servers, thread_paths, seconds, who, wrk)
        # The ceiling serves a page of the same size as each thread page measured (a
        # signed-in page carries reaction forms and is larger than an anonymous one).
        for who in ("anonymous", "signed_in"):
            size = sizes[f"thread_{who}"]
            with run_ceiling(size, ports, workdir / f"ceiling-{n}-{who}.log") as ceiling:
                print(f"bench:   {n} process(es), ceiling at {size:,} bytes", flush=True)
                runs[f"ceiling_{who}_bytes"] = _page_bytes(ceiling.url(0), "/")
                runs[f"ceiling_{who}"] = load(ceiling, ["/"], seconds, None, wrk)
            ratio = runs[f"thread_{who}"]["rps"] / (runs[f"ceiling_{who}"]["rps"] or 1)
            runs[f"ratio_thread_{who}"] = round(ratio, 3)
            cpu = runs[f"ceiling_{who}"]["server_cpu_ms_per_request"] / (
                runs[f"thread_{who}"]["server_cpu_ms_per_request"] or 1)
            runs[f"cpu_ratio_thread_{who}"] = round(cpu, 3)
        results["runs"][f"{n}_process" + ("es" if n > 1 else "")] = runs
    return results
