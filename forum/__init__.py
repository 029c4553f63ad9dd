"""Alongside: a moderated peer-support forum. ``create_app`` builds the Flask app."""

from __future__ import annotations

import logging
import secrets
import weakref
from collections.abc import Callable
from typing import Any

from flask import Flask, g

from config import REPO_ROOT, load_config


class ForumFlask(Flask):
    """Flask, remembering what it learns about each hook and view function.

    Flask asks ``inspect.iscoroutinefunction`` again for every hook and view on every
    request (``ensure_sync``): about a twentieth of a kept thread page's time. Whether a
    function is a coroutine never changes, so the answer is kept for as long as the
    function lives (weakly: per-request callbacks are not kept alive)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._ensured: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._ensured[func]  # type: ignore[no-any-return]
        except KeyError:
            pass
        except TypeError:  # cannot be weakly referenced: ask every time
            return super().ensure_sync(func)
        ensured = super().ensure_sync(func)
        self._ensured[func] = ensured
        return ensured


def create_app(test_config: dict[str, Any] | None = None, env: str | None = None) -> Flask:
    """Build the app for ``env`` (default: ``FORUM_ENV``), with ``test_config`` on top."""
    app = ForumFlask(
        __name__,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
        instance_path=str(REPO_ROOT / "instance"),
    )
    settings = load_config(env or (test_config or {}).get("FORUM_ENV"), test_config)
    app.config.update(settings)
    app.config["REPO_ROOT"] = REPO_ROOT
    app.config.setdefault("PERMANENT_SESSION_LIFETIME", 60 * 60 * 24 * 30)
    from datetime import timedelta

    app.config["REMEMBER_COOKIE_DURATION"] = timedelta(days=app.config["REMEMBER_COOKIE_DAYS"])

    from forum.logging_setup import init_logging

    init_logging(app)

    from forum.db import init_db

    init_db(app)

    from forum.extensions import csrf

    csrf.init_app(app)

    from forum.auth import init_auth

    init_auth(app)

    from forum.errors import init_errors

    init_errors(app)

    from forum.templating import init_templating

    init_templating(app)

    @app.before_request
    def _nonce() -> None:
        # Usually made already by the request log's first hook (forum.security.request_log).
        if "csp_nonce" not in g:
            g.csp_nonce = secrets.token_urlsafe(16)

    # The csp_nonce() template global reads g.csp_nonce (forum/page_cache.py).

    from forum.routing import init_routing

    init_routing(app)

    from forum.blueprints import register_blueprints

    register_blueprints(app)

    from forum.realtime import init_realtime

    init_realtime(app)

    from forum.cli import register_cli

    register_cli(app)

    from forum.hooks_setup import register_extensions

    register_extensions(app)

    # Last: rate limits are applied to the endpoints registered above, by name.
    from forum.security import init_security

    init_security(app)

    logging.getLogger(__name__).debug("app created for %s", app.config["FORUM_ENV"])
    return app
