"""Text helpers: length-preserving normalisation, sentences, clauses and negation scope.

Every function keeps character offsets valid for the original text, so findings can
point at spans the facilitator sees.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from functools import lru_cache

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


@lru_cache(maxsize=16)
def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    # The rules ask for the sentence of every match: split each post once, not every time.
    return tuple(sentences(text))


def sentence_at(text: str, pos: int) -> tuple[int, int]:
    """The span of the sentence containing character ``pos``."""
    spans = _sentence_spans(text)
    i = bisect_right(spans, (pos, len(text) + 1)) - 1
    if i >= 0 and spans[i][0] <= pos < spans[i][1]:
        return spans[i]
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
# Characters looked back for a negator's clause: five words, however long, fit.
NEGATION_LOOKBACK = 1000


@lru_cache(maxsize=4096)
def found_in(pattern: re.Pattern[str], text: str, start: int, end: int) -> bool:
    """Whether ``pattern`` matches in ``text[start:end]`` (a slice, as the rules read a
    sentence), remembered: the rules ask it of the same sentence for every match in it,
    which made a long sentence's work grow with the square of its length."""
    return pattern.search(text[start:end]) is not None


@lru_cache(maxsize=4096)
def found_from(pattern: re.Pattern[str], text: str, pos: int) -> bool:
    """Whether ``pattern`` matches in ``text`` from ``pos`` on, remembered likewise."""
    return pattern.search(text, pos) is not None


def is_negated(text: str, start: int, window_tokens: int = 5) -> bool:
    """True if a negator governs the term beginning at ``start``.

    Looks back within the same clause (stops at punctuation or "but"), at most
    ``window_tokens`` tokens. Handles contractions ("I'm not", "wouldn't ever",
    "haven't") since any ``n't`` form counts.
    """
    # Only the last few words count, so look back a bounded way: from the start of the post
    # it was work in proportion to the post for every match, seconds for a long one.
    clause_start = max(0, start - NEGATION_LOOKBACK)
    for m in _CLAUSE_BREAK.finditer(text, clause_start, start):
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
