"""Username rules: pseudonymous, unique ignoring case and look-alikes, never staff-like."""

from __future__ import annotations

import re
import unicodedata

USERNAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{1,30}[A-Za-z0-9]$")
MIN_LENGTH, MAX_LENGTH = 3, 32

# Characters people swap in to look like a reserved word ("adm1n", "m0derator").
_LOOKALIKES = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t",
                             "8": "b", "9": "g", "l": "i", "|": "i", "$": "s", "@": "a"})
RESERVED_WORDS = (
    "admin", "administrator", "moderator", "mod", "facilitator", "nhs", "staff", "support",
    "alongside", "official", "system", "root", "helpdesk", "samaritans", "clinician", "doctor",
    "nurse", "formermember",
)
_RESERVED_FOLDED = tuple(w.translate(_LOOKALIKES) for w in RESERVED_WORDS)
# Short words only count when they are the whole name, so "model" or "nhsfan" stay usable
# only if they do not start with the staff word.
_WHOLE_ONLY = {"mod", "root"}


def username_key(username: str) -> str:
    """The form uniqueness is checked on: case-folded, separators removed, look-alikes mapped."""
    text = unicodedata.normalize("NFKC", username).casefold()
    text = re.sub(r"[_.\-]", "", text)
    return text.translate(_LOOKALIKES)


def username_problem(username: str, *, allow_reserved: bool = False) -> str | None:
    """Why ``username`` cannot be used, in plain English, or None.

    ``allow_reserved`` is for staff accounts made by an administrator or the command line.
    """
    if not (MIN_LENGTH <= len(username) <= MAX_LENGTH):
        return f"Your username must be between {MIN_LENGTH} and {MAX_LENGTH} characters."
    if not USERNAME_PATTERN.fullmatch(username):
        return ("Use only letters, numbers, dots, dashes and underscores, "
                "starting and ending with a letter or number.")
    key = username_key(username)
    if allow_reserved:
        return None
    for word in _RESERVED_FOLDED:
        affixed = key.startswith(word) or key.endswith(word)
        if key == word or (word not in _WHOLE_ONLY and affixed):
            return "That username is kept for the service's staff. Please choose another."
    return None


def email_key(email: str) -> str:
    return email.strip().lower()
