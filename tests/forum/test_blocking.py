"""CPU-heavy calls leave the event loop under gevent, and run in place otherwise."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

from forum.blocking import run_off_event_loop


def test_runs_in_place_without_gevent() -> None:
    assert run_off_event_loop(lambda: threading.get_ident()) == threading.get_ident()


def test_runs_on_another_thread_under_gevent() -> None:
    # A separate interpreter, because monkey-patching cannot be undone in this one.
    script = textwrap.dedent("""
        from gevent import monkey
        monkey.patch_all()
        import threading
        from forum.blocking import run_off_event_loop
        here = threading.get_native_id()
        there = run_off_event_loop(threading.get_native_id)
        print("moved" if here != there else "stayed")
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "moved"
