"""The API blueprint with every route loaded, and the OpenAPI document at
``GET /api/v1/openapi.json`` (generated from the declared routes, cached per app)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from forum.api import boards, posts, threads, tokens  # noqa: F401  (declare their routes)
from forum.api.blueprint import api, bp
from forum.api.registry import Result
from forum.api.schemas import ErrorResponse

__all__ = ["bp", "openapi_document"]

API_VERSION = "1.0.0"
DESCRIPTION = (
    "The Alongside API, for members' own apps and tools. Sign in with POST /api/v1/tokens "
    "to get a personal access token, then send it as `Authorization: Bearer <token>`. "
    "Every error has the shape `{\"error\": {\"code\", \"message\", \"fields\"}}`. "
    "Private boards are reported as not found to anyone who is not a member."
)


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document for this app (built once, then kept)."""
    cached: dict[str, Any] | None = current_app.extensions.get("api_openapi")
    if cached is None:
        cached = api.openapi(
            title=f"{current_app.config['SERVICE_NAME']} API", version=API_VERSION,
            description=DESCRIPTION, server_url=current_app.config["BASE_URL"].rstrip("/"),
            error_model=ErrorResponse)
        current_app.extensions["api_openapi"] = cached
    return cached


@api.route("/openapi.json", methods=["GET"], responses={200: {"type": "object"}},
           tags=["meta"])
def openapi() -> Result:
    """This document: the OpenAPI 3.1 description of the API."""
    return openapi_document()
