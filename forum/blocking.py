"""Run CPU-heavy work without stalling a gevent server.

Under gevent (``make serve``) one process serves every connection on one OS thread, so a
5–30 ms model call inside a request would freeze every other request and socket of that
process (seen in make bench). onnxruntime releases the GIL, so handing the call to gevent's
native thread pool keeps the process responsive. Elsewhere the call simply runs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def _gevent_active() -> bool:
    try:
        from gevent import monkey
    except ImportError:
        return False
    return bool(monkey.is_module_patched("threading"))


def run_off_event_loop(fn: Callable[..., T], *args: object) -> T:
    """Call ``fn(*args)`` on a real thread when running under gevent, else directly."""
    if _gevent_active():
        import gevent

        result: T = gevent.get_hub().threadpool.apply(fn, args)
        return result
    return fn(*args)
