"""Single lines of member-written plain text (titles, names): what is kept of them.

Jinja escapes them, so they can never become markup; this is about characters that make
text say something other than what it shows. Nobody types a control character or a
bidirectional override into a title: they come from a tool, a paste, or someone making a
title read backwards or spill its direction over the text beside it ("Trojan Source",
CVE-2021-42574). Without them, a title must still show something.
"""

from __future__ import annotations

import unicodedata

# Bidirectional embeddings, overrides and isolates (LRE RLE PDF LRO RLO, LRI RLI FSI PDI).
# The marks LRM and RLM stay: they only nudge neutral characters, and RTL writers use them.
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
# Controls that are not white space (tabs and line breaks become one space instead).
_DROPPED = {ord(ch): None for ch in BIDI_CONTROLS} | {
    code: None for code in (*range(0x00, 0x20), *range(0x7F, 0xA0)) if not chr(code).isspace()
}
# Letters by category that nonetheless show nothing (Hangul fillers, the blank braille cell).
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def one_line(text: str | None) -> str:
    """``text`` as one line: runs of white space made one space, trimmed, and control and
    bidirectional override characters removed."""
    return " ".join((text or "").translate(_DROPPED).split())


def shows_nothing(text: str) -> bool:
    """True when ``text`` has no visible character: only spaces, controls, zero-width and
    other format characters (such as U+200B or U+FEFF), or blank letters."""
    return all(unicodedata.category(ch)[0] in "CZ" or ch in _BLANK_LETTERS for ch in text)
