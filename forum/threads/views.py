"""Thread and post pages. (Skeleton: routes fixed; pages are being filled in.)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("threads", __name__)


@bp.get("/threads/<int:thread_id>")
def show(thread_id: int) -> str:
    return str(thread_id)


@bp.get("/posts/<int:post_id>")
def permalink(post_id: int) -> str:
    return str(post_id)
