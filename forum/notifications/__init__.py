"""Notifications: the bell, the notification centre, and email about them.

- ``models``: Notification, NotificationPreference, EmailJob (the email outbox).
- ``fanout``: private helpers the thread and moderation actions call before they commit
  (``notify_for_post``, ``notify_for_reaction``, ``notify_member``).
- ``actions`` / ``actions_email``: the member's own changes (read, preferences,
  unsubscribe) and the email outbox's bookkeeping (plan, claim, finish).
- ``emails``: what each email says, and the signed unsubscribe links.
- ``jobs``: ``send_due_emails(app, now)``, the in-process scheduler and ``forum jobs``.
- ``queries`` / ``views`` / ``forms``: the notification pages and settings.
"""
