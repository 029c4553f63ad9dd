"""Every blueprint, registered in one place."""

from __future__ import annotations

from importlib import import_module

from flask import Flask

BLUEPRINTS = (
    "forum.help.views",
    "forum.accounts.views",
    "forum.boards.views",
    "forum.threads.views",
    "forum.api.views",
    "forum.notifications.views",
    "moderation.views",
    "moderation.api",
    "forum.privacy.views",
)


def register_blueprints(app: Flask) -> None:
    for module_name in BLUEPRINTS:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name or module_name.startswith(str(exc.name) + "."):
                continue
            raise
        app.register_blueprint(module.bp)
