"""Alongside moderation: flags, automatic checks, holding posts, the review queue.

:func:`init_moderation` is called once at app start (``forum.hooks_setup``): it registers
the post hook with the thread actions, adds the ``forum moderation`` commands, and
registers lifting expired sanctions as a scheduled job (:mod:`forum.jobs`).
"""

from __future__ import annotations

from flask import Flask


def init_moderation(app: Flask) -> None:
    from forum.jobs import register_job
    from forum.threads.hooks import register_post_hook
    from moderation.cli import lift_expired_job, moderation_cli
    from moderation.hooks import moderation_post_hook

    register_post_hook(moderation_post_hook)
    register_job(lift_expired_job)
    if "moderation" not in app.cli.commands:
        app.cli.add_command(moderation_cli)
