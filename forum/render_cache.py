"""A small in-process cache of rendered template fragments, keyed by everything they show.

Rendering a thread page was mostly Jinja work repeated for every post, and most of each
post's markup (its header, its body, its reaction buttons) is the same for every reader.
Templates wrap such markup in ``{% call cached_fragment(a, b, …) %}…{% endcall %}``: the body
is rendered once per distinct key and kept, and later pages reuse it. The rules that keep
this exact, with nothing to invalidate:

- **The key is the content.** A fragment's key lists every value its markup prints or
  branches on (a post's id, state, author name, times, cleaned body, what this reader may do
  with it…), never a version number that an action would have to remember to bump. A changed
  post simply makes a new key; the old entry is never looked up again and ages out. The
  fragment's own compiled code, where the app is mounted and the display time zone are added
  to every key, so an edited template never serves old markup.
- **Per-request values are slots.** A value that changes with every request (the reader's
  CSRF token) is never rendered into a fragment: the markup writes ``fragment_slot("csrf")``
  and ``cached_fragment(…, slots={"csrf": token})`` puts the value in, escaped, on the way
  out. The CSP nonce and anything else outside the fragments is rendered as before.
- Values that compare equal must show the same (``1 == True``): keys hold them as they are.

``memo_macro(macro, params)`` does the same for the NHS.UK component macros (pagination,
breadcrumbs, footer, buttons…), whose output depends on their parameters only: the key is
the parameters themselves, frozen with their types (``Markup`` is not ``str``; ``True`` is not
``1``); a parameter of any other type means the macro is simply called.

The cache is bounded in bytes (``RENDER_CACHE_KB`` per process; 0 turns it off), least
recently used first out, one per app, and safe to share between threads and greenlets.
``tests/forum/threads/test_render_cache.py`` checks that pages are the same with it and
without it.
"""

from __future__ import annotations

import secrets
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sized
from typing import Any, Generic, TypeVar

from flask import Flask, current_app, has_request_context, request
from markupsafe import Markup, escape

EXTENSION = "render_cache"
# The event an action queues when words must leave every process's memory at once (a
# member closed their account): each process's Socket.IO client manager clears its own
# caches when it hears it (forum/session_sockets.py). The room is one no browser can join.
PURGE_EVENT = "caches.purge"
PURGE_ROOM = "server:caches"
# A rough per-entry overhead (the key tuple, the dict slot), so that many tiny fragments
# are still counted against the budget.
ENTRY_OVERHEAD = 200


V = TypeVar("V", bound=Sized)


class FragmentCache(Generic[V]):
    """A byte-bounded LRU of ``key -> Markup`` (or of anything with a length in bytes:
    forum/page_cache.py keeps whole pages in one)."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0
        _every_cache.add(self)

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def __len__(self) -> int:
        return len(self._items)

    @property
    def size_bytes(self) -> int:
        return self._bytes

    def get(self, key: Hashable) -> V | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[0]

    def put(self, key: Hashable, value: V, key_bytes: int = 0) -> None:
        cost = len(value) + key_bytes + ENTRY_OVERHEAD
        if not self.enabled or cost > self.max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, cost)
            self._bytes += cost
            while self._bytes > self.max_bytes:
                _, (_, freed) = self._items.popitem(last=False)
                self._bytes -= freed

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._bytes = 0

_every_cache: weakref.WeakSet[FragmentCache[Any]] = weakref.WeakSet()


def clear_with_every_cache(cache: Any) -> None:
    """Have :func:`clear_every_cache` empty ``cache`` too (anything with ``clear()``)."""
    _every_cache.add(cache)


def clear_every_cache() -> int:
    """Empty every fragment and page cache in this process; returns how many there were.

    A cache never serves stale markup (keys are the content), but an entry from before a
    change stays in memory until it ages out. When a member closes their account their
    words must not stay anywhere, so :func:`forum.privacy.actions.do_delete_account` calls
    this after its commit and queues :data:`PURGE_EVENT` for the other processes."""
    caches = list(_every_cache)
    for cache in caches:
        cache.clear()
    return len(caches)


def _markup(rendered: Any) -> Markup:
    # Macros and call blocks return Markup when autoescaping is on, as it always is here;
    # anything else is escaped rather than trusted.
    return rendered if isinstance(rendered, Markup) else escape(rendered)


def init_render_cache(app: Flask) -> None:
    """One cache per app, sized by ``RENDER_CACHE_KB``; registers the template helpers."""
    app.extensions[EXTENSION] = FragmentCache[Markup](
        int(app.config.get("RENDER_CACHE_KB", 0)) * 1024)
    app.jinja_env.globals["cached_fragment"] = cached_fragment
    app.jinja_env.globals["fragment_slot"] = fragment_slot
    app.jinja_env.globals["memo_macro"] = memo_macro


def render_cache(app: Flask | None = None) -> FragmentCache[Markup]:
    """The app's fragment cache (the current app's by default)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache: FragmentCache[Markup] | None = app.extensions.get(EXTENSION)
    if cache is None:  # an app built without init_render_cache: cache nothing
        cache = app.extensions[EXTENSION] = FragmentCache[Markup](0)
    return cache


def _key_part(value: Any) -> Hashable:
    # Reaction counts and the like arrive as dicts and sets: key them by their contents.
    kind = type(value)
    if kind is dict:
        return ("d", tuple(sorted(value.items())))
    if kind is set or kind is frozenset:
        return ("s", tuple(sorted(value)))
    if kind is list:
        return ("l", tuple(value))
    return value


def _key_bytes(parts: tuple[Any, ...]) -> int:
    return sum(len(p) for p in parts if isinstance(p, str))


# Stands in for a per-request value (see ``slots`` below) inside cached markup. The random
# part means no stored text, however it was written, can contain it by accident.
_SLOT_TOKEN = secrets.token_hex(8)
_slots: dict[str, Markup] = {}


def fragment_slot(name: str) -> Markup:
    """Inside a ``cached_fragment`` with ``slots``: where that slot's value goes."""
    found = _slots.get(name)
    if found is None:
        found = _slots[name] = Markup("\x00slot-{}-{}\x00").format(_SLOT_TOKEN, name)
    return found


def cached_fragment(*key: Any, caller: Callable[[], Any],
                    slots: dict[str, Any] | None = None) -> Markup:
    """``{% call cached_fragment(a, b, …) %}markup{% endcall %}``: the markup, rendered once
    per distinct key. The key must hold every value the markup depends on, and values that
    compare equal must show the same (``1 == True``: do not print such a value).

    ``slots={"csrf": token}`` are values that change with every request (a CSRF token): the
    markup writes ``{{ fragment_slot("csrf") }}`` where the value goes, the cache keeps the
    placeholder, and each request gets its own value, escaped, in its place.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    cache = render_cache(app)
    # Besides the caller's values: the fragment's own code, where the app is mounted (it is
    # in every URL) and the time zone that dates are shown in.
    full = (caller._func.__code__,  # type: ignore[attr-defined]
            request.script_root if has_request_context() else "",
            app.config.get("DISPLAY_TIMEZONE"), *map(_key_part, key))
    found = cache.get(full) if cache.enabled else None
    if found is None:
        found = _markup(caller())
        cache.put(full, found, _key_bytes(full))
    if slots:
        for name, value in slots.items():
            found = found.replace(fragment_slot(name), escape(value))
    return found


class _Uncacheable(Exception):
    pass


def _freeze(value: Any) -> Hashable:
    """A hashable, type-tagged copy of macro parameters; raises for anything unusual."""
    # Order matters: bool is an int, Markup is a str.
    if value is None or type(value) is int or type(value) is float:
        return value
    if type(value) is bool:
        return ("b", value)
    if type(value) is Markup:
        return ("m", str(value))
    if type(value) is str:
        return value
    if isinstance(value, dict):
        return ("d", tuple((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return ("l", tuple(_freeze(v) for v in value))
    raise _Uncacheable(type(value).__name__)


def memo_macro(macro: Any, *args: Any, **kwargs: Any) -> Markup:
    """``{{ memo_macro(pagination, {...}) }}``: a component macro's output, cached by its
    parameters. Falls back to calling the macro when a parameter is not plain data."""
    cache = render_cache()
    if not cache.enabled:
        return _markup(macro(*args, **kwargs))
    try:
        frozen = (_freeze(list(args)), _freeze(kwargs))
    except _Uncacheable:
        return _markup(macro(*args, **kwargs))
    key = (macro._func.__code__, frozen)
    found = cache.get(key)
    if found is None:
        found = _markup(macro(*args, **kwargs))
        cache.put(key, found, len(repr(frozen)))
    return found


def memo_render(template_name: str, *, memo_key: str | None = None, **context: Any
                ) -> Markup:
    """A small template rendered on its own, cached by its name and its context (plain
    data, as for :func:`memo_macro`; with anything else it is simply rendered).
    ``memo_key``, when given, stands for the context in the key: text that tells every
    context apart (``repr`` of plain data), cheaper than freezing a large one."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    template = app.jinja_env.get_template(template_name)
    cache = render_cache(app)
    frozen: Any
    if memo_key is not None:
        frozen = ("memo_key", memo_key)
    else:
        try:
            frozen = tuple(sorted((k, _freeze(v)) for k, v in context.items()))
        except _Uncacheable:
            frozen = None
    # The template's own compiled code is in the key, as for cached_fragment: an edited
    # template never serves old markup.
    key = (template.root_render_func.__code__,
           request.script_root if has_request_context() else "", frozen)
    found = cache.get(key) if cache.enabled and frozen is not None else None
    if found is None:
        found = Markup(template.render(**context))  # noqa: S704 - an autoescaped template
        if frozen is not None:
            cache.put(key, found, len(repr(frozen)))
    return found
