"""Moderation pages: the review queue, cases, reports, notices and appeals, and the admin
pages for watched words, message templates, the ladder and the audit log.

``bp`` is registered by ``forum.blueprints``. Views parse input, call one action or
query, and render; they never commit.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("moderation", __name__)

from moderation.views import (  # noqa: E402,F401  (registers routes)
    admin,
    cases,
    duty,
    duty_admin,
    member,
)
