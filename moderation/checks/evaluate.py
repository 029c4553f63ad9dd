"""Measure the checks on a labelled JSON-lines file (``{"text", "labels", "meta"}``).

``python -m moderation.checks.evaluate PATH [--verbose]`` prints precision/recall per label,
the share of ordinary posts flagged, and timing. Output never includes post text unless
``--verbose`` is given (for a developer's own labelled files).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from moderation.checks.engine import run_checks
from moderation.checks.types import LABELS, AuthorMeta


def load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def is_ordinary(row: dict[str, Any]) -> bool:
    """No label at all, or only "ok" (the dev set marks ordinary posts either way)."""
    return set(row.get("labels") or []) <= {"ok"}


def evaluate(rows: list[dict[str, Any]], verbose: bool = False) -> dict[str, Any]:
    counts = {lab: {"tp": 0, "fp": 0, "fn": 0} for lab in LABELS}
    ordinary = flagged_ordinary = 0
    misses: list[str] = []
    run_checks("warm-up")  # load the model first so the timing is per post
    t0 = time.perf_counter()
    for row in rows:
        m = row.get("meta") or {}
        meta = AuthorMeta(m.get("account_age_days"), m.get("post_count")) if m else None
        got = set(run_checks(row["text"], meta).labels)
        want = set(row.get("labels", [])) & set(LABELS)
        for lab in LABELS:
            c = counts[lab]
            if lab in got and lab in want:
                c["tp"] += 1
            elif lab in got:
                c["fp"] += 1
                misses.append(f"FP {lab}: {row['text']}")
            elif lab in want:
                c["fn"] += 1
                misses.append(f"FN {lab}: {row['text']}")
        if is_ordinary(row):
            ordinary += 1
            flagged_ordinary += bool(got)
    elapsed = time.perf_counter() - t0
    per_post = round(1000 * elapsed / max(len(rows), 1), 2)
    out: dict[str, Any] = {"posts": len(rows), "ms_per_post": per_post}
    for lab, c in counts.items():
        p = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
        r = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
        out[lab] = {"precision": round(p, 3), "recall": round(r, 3), **c}
    out["ordinary"] = ordinary
    out["ordinary_flagged_rate"] = round(flagged_ordinary / ordinary, 3) if ordinary else 0.0
    if verbose:
        out["errors"] = misses
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("path", type=Path)
    ap.add_argument("--verbose", action="store_true", help="list misses (prints post text)")
    args = ap.parse_args(argv)
    res = evaluate(load(args.path), args.verbose)
    errors = res.pop("errors", [])
    json.dump(res, sys.stdout, indent=1)
    print()
    for e in errors:
        print(e)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
