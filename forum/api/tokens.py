"""API routes for personal access tokens and the signed-in member's own account."""

from __future__ import annotations

from flask import g, request
from werkzeug.exceptions import TooManyRequests

from forum.accounts.actions import authenticate, do_create_token, do_revoke_token
from forum.accounts.serialize import me_json
from forum.accounts.two_factor import needs_two_factor
from forum.api.blueprint import api
from forum.api.registry import Result
from forum.api.schemas import MeOut, NewToken, TokenCreated
from forum.auth import current_viewer
from forum.db import get_session
from forum.errors import Forbidden, Unauthorised
from forum.permissions import load_viewer, require_user
from forum.security import login_throttle


# The credentials in the body are the authentication here, and a JSON body cannot be sent
# cross-site without the browser asking first, so there is no session to forge a request in.
@api.route("/tokens", methods=["POST"], body=NewToken, responses={201: TokenCreated},
           csrf=False, tags=["tokens"])
def create_token(body: NewToken) -> Result:
    """Create a personal access token from your username (or email) and password.

    The secret is shown once, in `token`. Send it as `Authorization: Bearer <token>`.
    """
    session = get_session()
    wait = login_throttle.is_throttled(body.login)
    if wait:
        # The same answer for every login typed, so it says nothing about who has an account.
        raise TooManyRequests("Too many sign-in attempts. Please wait and try again.",
                              retry_after=wait)
    user = authenticate(session, body.login, body.password)
    if user is None:
        login_throttle.record_failure(body.login)
        raise Unauthorised("That username, email address or password is not right.")
    login_throttle.record_success(body.login)
    if needs_two_factor(user):
        # A token would skip the second step: staff and members using two-step sign-in
        # create tokens from their settings page instead.
        raise Forbidden("Your account uses two-step sign-in. Please create a token from "
                        "the settings page on the website.")
    token, secret = do_create_token(session, actor=load_viewer(session, user), name=body.name,
                                    ip=request.remote_addr)
    return {"id": token.id, "name": token.name, "prefix": token.prefix,
            "created_at": token.created_at, "token": secret,
            "message": "Keep this token safe, like a password. It will not be shown again."
            }, 201


@api.route("/tokens/current", methods=["DELETE"], responses={204: None}, auth=True,
           tags=["tokens"])
def revoke_current_token() -> Result:
    """Revoke the token this request is made with. It stops working at once."""
    viewer = current_viewer()
    if not g.get("authenticated_by_token") or "api_token_id" not in g:
        raise Unauthorised("Send the token you want to revoke in the Authorization header.")
    do_revoke_token(get_session(), actor=viewer, token_id=g.api_token_id)
    return None, 204


@api.route("/me", methods=["GET"], responses={200: MeOut}, auth=True, tags=["account"])
def me() -> Result:
    """Your own account, including your email address."""
    user = require_user(current_viewer())
    how = "token" if g.get("authenticated_by_token") else "session"
    return me_json(user, authenticated_by=how)
