"""Imports every model so that the metadata is complete (for Alembic and tests)."""

from __future__ import annotations

from importlib import import_module

from forum.db import Base

MODEL_MODULES = (
    "forum.accounts.models",
    "forum.boards.models",
    "forum.threads.models",
    "forum.audit.models",
    "forum.notifications.models",
    "moderation.models",
    "forum.privacy.models",
    "moderation.escalation_models",
    "moderation.duty_models",
    "forum.mail_models",
)

for _name in MODEL_MODULES:
    try:
        import_module(_name)
    except ModuleNotFoundError as _exc:
        if not (_exc.name and _name.startswith(_exc.name)):
            raise

metadata = Base.metadata
