"""Pages about getting help and how the community works: no sign-in needed."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, current_app, render_template

from forum.db import utcnow

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


@bp.get("/.well-known/security.txt")
def security_txt() -> Response:
    """Where to report a security problem (RFC 9116), from ``SECURITY_CONTACT``."""
    config = current_app.config
    expires = (utcnow() + timedelta(days=365)).replace(microsecond=0)
    base = str(config["BASE_URL"]).rstrip("/")
    lines = [f"Contact: mailto:{config['SECURITY_CONTACT']}",
             f"Expires: {expires.strftime('%Y-%m-%dT%H:%M:%SZ')}",
             "Preferred-Languages: en",
             f"Canonical: {base}/.well-known/security.txt",
             f"Policy: {base}/privacy#security", ""]
    return Response("\n".join(lines), mimetype="text/plain")
