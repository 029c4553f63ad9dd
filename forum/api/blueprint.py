"""The API blueprint, its route registry, and the checks every API request passes first.

Browsers' form-CSRF protection does not fit an API used with tokens, so the blueprint is
exempt from the app-wide CSRFProtect and applies its own rule: a request that carries a
Bearer token needs no CSRF token (a cross-site page cannot attach one); a write made with
the sign-in cookie needs the X-CSRFToken header, just like a form.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, request
from flask_wtf.csrf import CSRFError

from forum.api.registry import ApiRegistry
from forum.auth import bearer_token, current_viewer
from forum.errors import DomainError, Unauthorised
from forum.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
api = ApiRegistry(bp)
csrf.exempt(bp)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class CsrfFailed(DomainError):
    status = 400
    code = "csrf_failed"
    default_message = ("The security check for this request failed. Reload the page and try "
                       "again, or send an API token in the Authorization header.")


@bp.before_request
def _authenticate_and_protect() -> None:
    if bearer_token() is not None:
        # A token that is wrong or revoked is refused outright, even on public routes, so
        # a client never mistakes a failed sign-in for an anonymous view.
        if current_viewer().user is None:
            raise Unauthorised("That API token is not valid. It may have been revoked. "
                               "Create a new one with POST /api/v1/tokens.")
        return
    if request.method in SAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.endpoint in api.csrf_exempt_endpoints:
        return
    try:
        csrf.protect()
    except CSRFError:
        raise CsrfFailed() from None


@bp.after_request
def _headers(response: Response) -> Response:
    # Answers may hold health details and token secrets: never keep them in a cache.
    response.headers["Cache-Control"] = "no-store"
    if response.status_code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
    return response
