"""Extension objects, created once here and bound to the app in ``create_app``."""

from __future__ import annotations

from flask import current_app
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect
from werkzeug.local import LocalProxy

login_manager = LoginManager()
csrf = CSRFProtect()
socketio = SocketIO()


def _current_limiter() -> Limiter:
    # One Limiter per app (its storage and "enabled" flag are per app, and tests build
    # several apps in one process); ``forum.security.ratelimit.init_limiter`` creates it.
    found: Limiter = current_app.extensions["forum_limiter"]
    return found


#: The current app's rate limiter (Flask-Limiter). Limits are set by endpoint name in
#: ``forum/security/limits.py``; ``limiter.storage`` is shared with the sign-in throttle.
limiter: Limiter = LocalProxy(_current_limiter)  # type: ignore[assignment]
