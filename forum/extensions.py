"""Extension objects, created once here and bound to the app in ``create_app``."""

from __future__ import annotations

from flask_login import LoginManager
from flask_socketio import SocketIO
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
socketio = SocketIO()
