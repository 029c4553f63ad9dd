"""Text helpers: length-preserving normalisation, sentences, clauses and negation scope.

Every function keeps character offsets valid for the original text, so findings can
point at spans the facilitator sees.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

# One-for-one character replacements (never changes length, so spans stay valid).
_CHAR_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u02bc": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u00a0": " ",
        "\u2009": " ",
        "\u202f": " ",
    }
)


def normalise(text: str) -> str:
    """Straighten quotes/dashes/odd spaces one character for one (offsets unchanged)."""
    return text.translate(_CHAR_MAP)


_SENTENCE_END = re.compile(r"[.!?\n]+[\"')\]]*\s*|(?<=\S)\s*[\U0001F300-\U0001FAFF]+\s*")


def sentences(text: str) -> Iterator[tuple[int, int]]:
    """Yield (start, end) spans of sentences (rough: splits on . ! ? newlines)."""
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end()
        if text[start:end].strip():
            yield start, end
        start = end
    if text[start:].strip():
        yield start, len(text)


def sentence_at(text: str, pos: int) -> tuple[int, int]:
    """The span of the sentence containing character ``pos``."""
    for s, e in sentences(text):
        if s <= pos < e:
            return s, e
    return 0, len(text)


# Words/punctuation that end a negation's reach.
_CLAUSE_BREAK = re.compile(
    r"[,;:.!?\n]|\b(?:but|though|although|however|yet|except|until|and now|now)\b", re.I
)

_NEGATOR = re.compile(
    r"\b(?:not|never|no|nor|without|none|neither|hardly|barely)\b"
    r"|\b\w+n't\b|\bcannot\b|\bno longer\b|\bnothing like\b",
    re.I,
)

# Negator followed by these is not negating the risk term ("can't stop thinking about",
# "don't know why", "no one would care", "nothing to live for").
_NON_NEGATING_AFTER = re.compile(
    r"^\s*(?:stop|help|get|shake|seem|know|see|think|remember|sleep|cope|bear|take|face|"
    r"one|body|way|point|reason|hope|future|longer want|more|choice|option|matter)\b",
    re.I,
)

_TOKEN = re.compile(r"\S+")


def is_negated(text: str, start: int, window_tokens: int = 5) -> bool:
    """True if a negator governs the term beginning at ``start``.

    Looks back within the same clause (stops at punctuation or "but"), at most
    ``window_tokens`` tokens. Handles contractions ("I'm not", "wouldn't ever",
    "haven't") since any ``n't`` form counts.
    """
    clause_start = 0
    for m in _CLAUSE_BREAK.finditer(text, 0, start):
        clause_start = m.end()
    before = text[clause_start:start]
    tokens = list(_TOKEN.finditer(before))
    if not tokens:
        return False
    window_from = tokens[max(0, len(tokens) - window_tokens)].start()
    window = before[window_from:]
    for m in _NEGATOR.finditer(window):
        following = window[m.end():]
        if _NON_NEGATING_AFTER.match(following):
            continue
        return True
    return False


def find_all(pattern: re.Pattern[str], text: str) -> list[tuple[int, int, str]]:
    """All matches of ``pattern`` as (start, end, matched text)."""
    return [(m.start(), m.end(), m.group(0)) for m in pattern.finditer(text)]
