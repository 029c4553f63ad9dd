"""How long Markdown rendering takes for the worst posts we know of, against ordinary ones.

Run by :mod:`bench.__main__` (``--only markup``) as ``python -m bench.markup`` in a fresh
process; prints one JSON object (never a post's text). Each worst case is reported in
milliseconds and as a ratio to ordinary text of the same length (the seed's post bodies
joined up to that length), so a figure reads the same on a busy or a quiet machine: about
1 is ordinary, tens is a post that costs what tens of ordinary ones do.

The worst cases are runs of characters that make markdown-it look ahead (unmatched ``[``:
about a second for 20,000 before ``forum.markup.parse_link_label`` remembered failed
look-aheads), kept here so a regression shows up as a ratio, never as a timed test.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from typing import Any

from bench.seed import BODIES

LENGTH = 20_000  # the longest post the forum accepts
WORST_UNITS = {
    "unmatched [": "[",
    "[a repeated": "[a",
    "![ repeated": "![",
    "[ and newline": "[\n",
    "_[ repeated": "_[",
    "nested [[[...]]]": None,  # half "[", then half "]"
    "[]( repeated": "[](",
    "a_ repeated": "a_",
    "*a repeated": "*a",
    "` repeated": "`[",
}


def ordinary(length: int) -> str:
    text = "\n\n".join(BODIES)
    return (text * (length // len(text) + 1))[:length]


def worst(unit: str | None, length: int = LENGTH) -> str:
    if unit is None:
        return "[" * (length // 2) + "]" * (length // 2)
    return unit * (length // len(unit))


def best_cpu_ms(run: Callable[[str], Any], text: str, rounds: int) -> float:
    """Best of ``rounds`` in this thread's CPU time (other processes move the clock)."""
    best = float("inf")
    for _ in range(rounds):
        started = time.thread_time()
        run(text)
        best = min(best, time.thread_time() - started)
    return best * 1000


def measure(rounds: int = 5) -> dict[str, Any]:
    from forum.markup import render_markdown

    render_markdown(ordinary(2_000))  # imports and first-call set-up outside the figures
    typical = sorted(BODIES, key=len)[len(BODIES) // 2]
    typical_ms = best_cpu_ms(render_markdown, typical, rounds * 4)
    ordinary_ms = best_cpu_ms(render_markdown, ordinary(LENGTH), rounds)
    cases = {}
    for name, unit in WORST_UNITS.items():
        ms = best_cpu_ms(render_markdown, worst(unit), rounds)
        cases[name] = {"ms": round(ms, 2), "ratio": round(ms / ordinary_ms, 1)}
    return {"length": LENGTH, "rounds": rounds,
            "typical_post_chars": len(typical), "typical_post_ms": round(typical_ms, 3),
            "ordinary_same_length_ms": round(ordinary_ms, 2), "worst_cases": cases,
            "worst_ratio": max(c["ratio"] for c in cases.values())}


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    print(json.dumps(measure(int(args[0]) if args else 5)), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
