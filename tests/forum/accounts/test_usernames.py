"""Username rules (forum/accounts/usernames.py), fuzzed: whatever is typed, an accepted
username is plain ASCII of the documented shape, and no spelling of a staff word gets
through, however it is dressed up."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forum.accounts.usernames import (
    MAX_LENGTH,
    MIN_LENGTH,
    RESERVED_WORDS,
    USERNAME_PATTERN,
    username_key,
    username_problem,
)

SEPARATORS = "_.-"
LOOKALIKE_SPELLINGS = {"o": "0", "i": "1l", "e": "3", "a": "4", "s": "5", "t": "7", "b": "8",
                       "g": "9"}


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=40))
def test_any_accepted_username_is_plain_ascii_of_the_documented_shape(typed: str) -> None:
    problem = username_problem(typed)
    if problem is None:
        assert typed.isascii() and typed.isprintable()
        assert MIN_LENGTH <= len(typed) <= MAX_LENGTH
        assert USERNAME_PATTERN.fullmatch(typed)
    else:
        assert problem.endswith(".")  # a sentence for a person, never a code


@pytest.mark.parametrize("typed", ["alice\n", "alice\r\n", "\nalice", "al\nice", "alice\t",
                                   "alice ", "ａｌｉｃｅ", "alice\u200b", "ali\u202ece"])
def test_hidden_and_wide_characters_are_refused(typed: str) -> None:
    assert username_problem(typed) is not None


@st.composite
def disguised_staff_words(draw: st.DrawFn) -> str:
    """A reserved word with look-alike digits, mixed case and separators, maybe affixed."""
    word = draw(st.sampled_from([w for w in RESERVED_WORDS if w not in ("mod", "root")]))
    letters = []
    for letter in word:
        choices = letter + letter.upper() + LOOKALIKE_SPELLINGS.get(letter, "")
        letters.append(draw(st.sampled_from(choices)))
        if draw(st.booleans()) and len(letters) < len(word):
            letters.append(draw(st.sampled_from(SEPARATORS)))
    disguised = "".join(letters)
    suffix = draw(st.sampled_from(["", "2", "team", "_uk", "123"]))
    prefix = draw(st.sampled_from(["", "the", "real", "x"])) if not suffix else ""
    return prefix + disguised + suffix


@settings(max_examples=400, deadline=None)
@given(disguised_staff_words())
def test_no_disguise_of_a_staff_word_is_accepted(name: str) -> None:
    if USERNAME_PATTERN.fullmatch(name) and MIN_LENGTH <= len(name) <= MAX_LENGTH:
        assert username_problem(name) is not None, name
        assert username_problem(name, allow_reserved=True) is None  # staff accounts may


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[a-z][a-z0-9]{2,20}", fullmatch=True))
def test_case_and_separators_never_make_a_second_account_of_one_name(name: str) -> None:
    dressed = name.upper()[0] + "." + name[1:-1] + "_" + name[-1]
    assert username_key(dressed) == username_key(name)


def test_a_session_key_with_a_trailing_newline_names_no_session() -> None:
    from forum.accounts.sessions import session_digest

    key = "k" * 40
    assert session_digest(key) is not None
    assert session_digest(key + "\n") is None
