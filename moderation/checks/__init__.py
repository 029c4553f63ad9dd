"""Automatic moderation checks for Alongside posts (pure functions, no app state).

Public API: :func:`run_checks`, :func:`scan_stream`, :func:`engine_status`, :func:`train`,
:func:`apply_watched_words`, :func:`is_near_duplicate`, :func:`is_burst`.
"""

from moderation.checks.engine import engine_status, run_checks, scan_stream
from moderation.checks.spam import is_burst, is_near_duplicate
from moderation.checks.training import train
from moderation.checks.types import (
    AuthorMeta,
    CheckResult,
    Finding,
    WatchedWordFinding,
    WatchedWordResult,
    WatchedWordRule,
)
from moderation.checks.watched import apply_watched_words

__all__ = [
    "AuthorMeta",
    "CheckResult",
    "Finding",
    "WatchedWordFinding",
    "WatchedWordResult",
    "WatchedWordRule",
    "apply_watched_words",
    "engine_status",
    "is_burst",
    "is_near_duplicate",
    "run_checks",
    "scan_stream",
    "train",
]
