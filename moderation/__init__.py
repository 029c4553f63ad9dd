"""Alongside moderation: flags, automatic checks, holding posts, the review queue.

:func:`init_moderation` is called once at app start (``forum.hooks_setup``): it registers
the post hook with the thread actions and adds the ``forum moderation`` commands.
"""

from __future__ import annotations

from flask import Flask


def init_moderation(app: Flask) -> None:
    from forum.threads.hooks import register_post_hook
    from moderation.cli import moderation_cli
    from moderation.hooks import moderation_post_hook

    register_post_hook(moderation_post_hook)
    if "moderation" not in app.cli.commands:
        app.cli.add_command(moderation_cli)
