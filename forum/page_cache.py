"""Whole pages kept in memory, keyed by everything they show; per-request values are slots.

The thread page is the busiest page. Even with its fragments cached (forum/render_cache.py),
each request still loaded 50 posts, worked out the reader's permissions for them and ran
the layout through Jinja. A page kept whole costs one lookup instead, once a view can say
cheaply and exactly what the page would show (for the thread page: one short statement,
forum/threads/page_key.py). The rules are the fragment cache's:

- **The key is the content.** A view builds the key of a page it renders from the very
  data it rendered, and looks a page up by the same key worked out from the database, so
  an entry can only ever be served for exactly the state it was rendered from. Nothing
  is invalidated; a changed page makes a new key and the old entry ages out.
- **Per-request values are slots.** While a page is rendered for the cache
  (:func:`capture_page`), ``page_slot(name, value)`` writes a placeholder instead of the
  value; when the page is served, every placeholder gets this request's value, escaped as
  Jinja would have escaped it. The CSP nonce (``csp_nonce()``) and the CSRF token
  (``csrf_token()``) always go through a slot, so no page ever holds another request's;
  other per-request parts (the notification count, the "not being watched" banner) are
  slots whose value a registered filler works out again for each request.

The cache is bounded in bytes (``PAGE_CACHE_KB`` per process; 0 turns it off), least
recently used first out, one per app. ``tests/forum/threads/test_page_cache.py`` checks
pages are the same with it and without it, after every kind of change.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app, g, has_request_context, request
from markupsafe import Markup, escape
from werkzeug.wrappers import Response

from forum.render_cache import FragmentCache

EXTENSION = "page_cache"

# The random part means no stored text, however it was written, can hold a placeholder.
_TOKEN = secrets.token_hex(8)
_PLACEHOLDER = re.compile("\x00page-" + _TOKEN + r"-([a-z_]+)\x00")
_placeholders: dict[str, Markup] = {}

Filler = Callable[[], Any]
# Slots whose value the app can always work out again: name -> filler.
_fillers: dict[str, Filler] = {}
_MISSING: Any = object()


_PREFETCHED = "forum.page_prefetched"


def set_prefetched(values: Mapping[str, Any]) -> None:
    """Values a page's own statement read for its slots in this request (for instance the
    thread page's key statement also counts the reader's unread notifications). Kept
    with the request itself, so they can never outlive it (outside one: not kept)."""
    if has_request_context():
        request.environ[_PREFETCHED] = dict(values)


def prefetched(name: str, default: Any = None) -> Any:
    """A value :func:`set_prefetched` holds for this request, or ``default``: a slot's
    filler uses it instead of asking the database again."""
    if not has_request_context():
        return default
    found: dict[str, Any] | None = request.environ.get(_PREFETCHED)
    return default if found is None else found.get(name, default)


def register_slot(name: str, filler: Filler) -> None:
    """Make ``name`` a slot whose value ``filler()`` works out for the current request."""
    _fillers[name] = filler


def _placeholder(name: str) -> Markup:
    found = _placeholders.get(name)
    if found is None:
        found = _placeholders[name] = Markup("\x00page-{}-{}\x00").format(_TOKEN, name)
    return found


@dataclass
class PageCapture:
    """The slots one page used while it was rendered, with this request's values."""

    values: dict[str, Any] = field(default_factory=dict)


def page_slot(name: str, value: Any = _MISSING) -> Any:
    """A per-request part of a page: ``value`` (or the registered filler's), or, while the
    page is rendered for the cache, a placeholder for it."""
    capture: PageCapture | None = g.get("_page_capture")
    if capture is None:
        return _fillers[name]() if value is _MISSING else value
    if value is not _MISSING:
        capture.values[name] = value
    else:
        capture.values.setdefault(name, _MISSING)
    return _placeholder(name)


@contextmanager
def capture_page() -> Iterator[PageCapture]:
    """Render the page inside this block to keep it: slots become placeholders."""
    capture = PageCapture()
    g._page_capture = capture
    try:
        yield capture
    finally:
        g.pop("_page_capture", None)


@dataclass(frozen=True, slots=True)
class CachedPage:
    """A rendered page split at its slots: text, slot name, text, …, text (UTF-8)."""

    parts: tuple[bytes | str, ...]
    size: int
    meta: Any = None

    def __len__(self) -> int:  # what the byte-bounded cache charges for it
        return self.size

    @property
    def slots(self) -> tuple[str, ...]:
        return tuple(p for p in self.parts[1::2] if isinstance(p, str))

    def fill(self, values: Mapping[str, Any] | None = None,
             fillers: Mapping[str, Filler] | None = None) -> bytes:
        """The page for this request: each slot's value from ``values``, else from
        ``fillers``, else from the registered filler, escaped."""
        own: dict[str, bytes] = {}
        for name in set(self.slots):
            value = (values or {}).get(name, _MISSING)
            if value is _MISSING:
                value = (fillers or {}).get(name, _fillers.get(name, _unknown(name)))()
            own[name] = str(escape(value)).encode("utf-8")
        return b"".join(p if isinstance(p, bytes) else own[p] for p in self.parts)


def _unknown(name: str) -> Filler:
    def fail() -> Any:
        raise LookupError(f"no filler for the page slot {name!r}")
    return fail


def split_page(html: str, meta: Any = None) -> CachedPage:
    """Split a page rendered inside :func:`capture_page` at its placeholders."""
    pieces = _PLACEHOLDER.split(html)
    parts: list[bytes | str] = []
    for index, piece in enumerate(pieces):
        parts.append(piece.encode("utf-8") if index % 2 == 0 else piece)
    size = sum(len(p) for p in parts)
    return CachedPage(parts=tuple(parts), size=size, meta=meta)


def html_response(body: bytes) -> Response:
    """What a view returning the same page as a ``str`` would have answered."""
    response: Response = current_app.response_class(body, mimetype="text/html")
    return response


def init_page_cache(app: Flask) -> None:
    """One cache per app, sized by ``PAGE_CACHE_KB``; the nonce and CSRF slots, and
    ``page_slot`` for templates."""
    app.extensions[EXTENSION] = FragmentCache[CachedPage](
        int(app.config.get("PAGE_CACHE_KB", 0)) * 1024)
    app.jinja_env.globals["page_slot"] = page_slot
    register_slot("nonce", lambda: g.get("csp_nonce", ""))
    from flask_wtf.csrf import generate_csrf

    register_slot("csrf", generate_csrf)
    # Through the slots, so that a page kept whole never holds a request's own values.
    app.jinja_env.globals["csp_nonce"] = _csp_nonce
    app.jinja_env.globals["csrf_token"] = _csrf_token
    # Flask-WTF's CSRFProtect also hands every template its own csrf_token through a context
    # processor, and a template's context wins over a global: without this one (run after
    # it, create_app binds CSRFProtect first) a kept page held its first reader's token,
    # which every reader of the same kind then got (their forms failed; the token leaked).
    app.context_processor(_csrf_context)


def _csrf_context() -> dict[str, Any]:
    return {"csrf_token": _csrf_token}


def _csp_nonce() -> Any:
    return page_slot("nonce", g.get("csp_nonce", ""))


def _csrf_token() -> Any:
    from flask_wtf.csrf import generate_csrf

    return page_slot("csrf", generate_csrf())


def page_cache(app: Flask | None = None) -> FragmentCache[CachedPage]:
    """The app's page cache (the current app's by default)."""
    app = app or current_app._get_current_object()  # type: ignore[attr-defined]
    cache: FragmentCache[CachedPage] | None = app.extensions.get(EXTENSION)
    if cache is None:
        cache = app.extensions[EXTENSION] = FragmentCache[CachedPage](0)
    return cache
