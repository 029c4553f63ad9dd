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
