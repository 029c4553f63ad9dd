"""Instructions per kept thread page, counted by valgrind: a before-and-after check that
other work on the machine cannot disturb.

    python -m bench seed --database-url postgresql://postgres@127.0.0.1:5432/NAME
    python -m bench.page_instructions --database-url postgresql://... [--signed-in]

CPU time per request (``python -m bench.page_cpu``) moves by ±10% on a shared machine;
an instruction count does not move at all. This runs the production app (as
``bench.page_cpu`` builds it) under ``valgrind --tool=callgrind`` with counting switched
off, warms the page up, counts only the requests themselves (``callgrind_control -i``),
and prints instructions per request. Flask's test client is in the count (the same for
every version being compared); the database server is not (another process). Needs
valgrind (``apt-get install -y valgrind``); about a minute a run.
"""

from __future__ import annotations

import argparse
import contextvars
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

WARM_UP = 30


def _count(args: argparse.Namespace) -> None:
    """Inside valgrind: make the requests, counting only them."""
    from bench.page_cpu import _sign_in, production_app

    app = production_app(args.database_url, access_log=True)
    client = app.test_client(use_cookies=False)
    headers: dict[str, str] = {}
    if args.signed_in:
        from bench.seed import BENCH_PASSWORD, READER

        signer = app.test_client()
        _sign_in(signer, READER, BENCH_PASSWORD)
        cookie = signer.get_cookie(app.config["SESSION_COOKIE_NAME"])
        if cookie is None:
            raise RuntimeError("signing in gave no session cookie")
        headers["Cookie"] = f"{cookie.key}={cookie.value}"

    def get() -> int:
        answer = contextvars.Context().run(client.get, args.path, headers=headers)
        return int(answer.status_code)

    for _ in range(WARM_UP):
        if get() != 200:
            raise RuntimeError(f"GET {args.path} did not answer 200")
    pid = str(os.getpid())
    subprocess.run(["callgrind_control", "-i", "on", pid], check=True, capture_output=True)
    for _ in range(args.requests):
        get()
    subprocess.run(["callgrind_control", "-i", "off", pid], check=True, capture_output=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.page_instructions",
                                     description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--path", default="/threads/1")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--signed-in", action="store_true")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inside:
        _count(args)
        return 0
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install -y valgrind)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        log = Path(folder) / "valgrind.log"
        command = ["valgrind", "--tool=callgrind", "--instr-atstart=no",
                   f"--log-file={log}", f"--callgrind-out-file={folder}/callgrind.out",
                   sys.executable, "-m", "bench.page_instructions", "--inside",
                   "--database-url", args.database_url, "--path", args.path,
                   "--requests", str(args.requests)] + (["--signed-in"] if args.signed_in
                                                         else [])
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        found = re.search(r"Collected : (\d+)", log.read_text())
    if found is None:
        print("valgrind counted nothing (is callgrind_control on the PATH?)", file=sys.stderr)
        return 1
    reader = "signed in" if args.signed_in else "not signed in"
    print(f"{args.path} ({reader}): {int(found.group(1)) // args.requests:,} instructions "
          f"a request, over {args.requests} requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
