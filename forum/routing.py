"""URL converters shared by every blueprint."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

# The id columns are 32-bit integers. A larger number in an address can never match a row,
# and passing it to the database overflows the column type (an error, not "no match").
MAX_URL_INT = 2**31 - 1


class BoundedIntConverter(IntegerConverter):
    """``<int:…>`` that only matches 0..MAX_URL_INT, so longer numbers are a plain 404."""

    def __init__(self, map, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", MAX_URL_INT)
        super().__init__(map, *args, **kwargs)


def init_routing(app: Flask) -> None:
    """Install the converters; must run before any blueprint is registered."""
    app.url_map.converters["int"] = BoundedIntConverter


def whole_number(raw: object, *, maximum: int = MAX_URL_INT) -> int | None:
    """``raw`` (a form field or query value) as a whole number from 0 to ``maximum``, or
    None for anything else.

    Only ASCII digits: ``str.isdigit()`` is also true for "²" and other characters that
    ``int()`` refuses, and a longer number than an id column holds overflows it.
    """
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not text or len(text) > len(str(maximum)) or not (text.isascii() and text.isdigit()):
        return None
    value = int(text)
    return value if value <= maximum else None
