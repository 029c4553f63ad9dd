"""Board pages. (Skeleton: routes fixed; pages are being filled in.)"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("boards", __name__)


@bp.get("/")
def index() -> str:
    return "boards"


@bp.get("/boards/<slug>")
def show(slug: str) -> str:
    return slug
