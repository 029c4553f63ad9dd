"""Wire optional packages into the forum at start-up (moderation registers its hooks)."""

from __future__ import annotations

from flask import Flask


def register_extensions(app: Flask) -> None:
    try:
        from moderation import init_moderation
    except ImportError:
        return
    init_moderation(app)
