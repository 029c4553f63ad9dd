"""Helpers for the real-browser tests: launch the system Chromium and run axe.

A plain module with no pytest fixtures, so any conftest or test can import it:
``from tests.browser.kit import launch, serious_axe_violations, require_chromium``.

``playwright install`` cannot download browsers on our machines, so the tests drive
the Debian ``chromium`` package at /usr/bin/chromium. Browser tests never skip: a
missing browser would silently hide accessibility regressions, so it is a failure.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_PATH = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
REPO_ROOT = Path(__file__).resolve().parents[2]
ENSURE_SCRIPT = REPO_ROOT / "scripts" / "ensure-chromium.sh"

# Quiet, predictable Chromium: no sandbox (we run as root in containers), no GPU, and
# no background calls home that could slow tests down or fail without a network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

SERIOUS_IMPACTS = frozenset({"serious", "critical"})


def chromium_launch_kwargs() -> dict[str, Any]:
    """Keyword arguments for ``playwright.chromium.launch(...)``."""
    return {"executable_path": CHROMIUM_PATH, "headless": True, "args": list(CHROMIUM_ARGS)}


def require_chromium() -> None:
    """Make sure Chromium is installed, trying scripts/ensure-chromium.sh first.

    Fails the test (never skips) with a clear message if it still is not there, both
    in CI (CI=true) and on a developer machine.
    """
    if os.access(CHROMIUM_PATH, os.X_OK):
        return
    detail = ""
    if ENSURE_SCRIPT.exists():
        result = subprocess.run(
            ["bash", str(ENSURE_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
        )
        detail = (result.stdout + result.stderr).strip()[-2000:]
    if os.access(CHROMIUM_PATH, os.X_OK):
        return
    where = "in CI" if os.environ.get("CI") == "true" else "on this machine"
    pytest.fail(
        f"Chromium is missing at {CHROMIUM_PATH} {where}, so the browser tests cannot run. "
        f"Install it with `bash scripts/ensure-chromium.sh` (runs apt-get install chromium)."
        + (f"\nensure-chromium said:\n{detail}" if detail else ""),
        pytrace=False,
    )


def launch(playwright: Any) -> Any:
    """Start headless Chromium from a ``sync_playwright()`` object and return the browser."""
    require_chromium()
    return playwright.chromium.launch(**chromium_launch_kwargs())


def serious_axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page; return only serious and critical violations.

    Each item is ``{"id", "impact", "help", "targets"}`` so a failing assert shows what
    to fix and where, without the full axe report.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") not in SERIOUS_IMPACTS:
            continue
        found.append(
            {
                "id": violation.get("id"),
                "impact": violation.get("impact"),
                "help": violation.get("help"),
                "targets": [node.get("target") for node in violation.get("nodes", [])],
            }
        )
    return found
