"""Wire optional packages into the forum at start-up (moderation registers its hooks)."""

from __future__ import annotations

from flask import Flask


def register_extensions(app: Flask) -> None:
    from forum.accounts.jobs import send_account_emails
    from forum.jobs import register_job
    from forum.mail_outbox import send_outgoing_mail
    from forum.privacy.jobs import purge_if_due

    # Sign-up and reset links first: someone is waiting for them.
    register_job(send_account_emails)
    # The retention purge rides on the jobs tick (it deletes by age only, so running it
    # from two processes is harmless; it limits itself to PURGE_INTERVAL_SECONDS).
    register_job(purge_if_due)
    try:
        from moderation import init_moderation
    except ImportError:
        pass
    else:
        init_moderation(app)
    # Last, so that alerts the jobs above queued (escalations moving up) go in this tick.
    register_job(send_outgoing_mail)
