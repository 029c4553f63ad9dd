"""Alongside moderation: flags, automatic checks, holding posts, the review queue,
escalation, shifts and training.

:func:`init_moderation` is called once at app start (``forum.hooks_setup``): it registers
the post hook with the thread actions, the scheduled jobs (lifting expired sanctions;
escalation deadlines and training reminders) with :mod:`forum.jobs`, the "not being
watched" banner helper with the templates, and the ``forum moderation`` commands.
"""

from __future__ import annotations

from flask import Flask


def init_moderation(app: Flask) -> None:
    from forum.jobs import register_job
    from forum.permissions import register_training_check
    from forum.threads.hooks import register_post_hook
    from moderation.cli import lift_expired_job, moderation_cli
    from moderation.hooks import moderation_post_hook
    from moderation.jobs import run_duty_jobs
    from moderation.training import viewer_training
    from moderation.views.duty import init_duty_templates

    register_post_hook(moderation_post_hook)
    # Facilitators whose required training lapsed keep reading but stop acting, on the
    # forum's pages as in the queue.
    register_training_check(lambda viewer: viewer_training(viewer).ok)
    register_job(lift_expired_job)
    register_job(run_duty_jobs)
    init_duty_templates(app)
    if "moderation" not in app.cli.commands:
        app.cli.add_command(moderation_cli)
