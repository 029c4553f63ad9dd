"""Pages about getting help and how the community works: no sign-in needed."""

from __future__ import annotations

from flask import Blueprint, render_template

bp = Blueprint("help", __name__)


@bp.get("/help/now")
def crisis() -> str:
    return render_template("help/crisis.html")


@bp.get("/guidelines")
def guidelines() -> str:
    return render_template("help/guidelines.html")


@bp.get("/privacy")
def privacy() -> str:
    return render_template("help/privacy.html")
