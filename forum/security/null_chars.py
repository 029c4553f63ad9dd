"""Refuse the NUL character before it reaches the database.

PostgreSQL cannot store U+0000 in text and raises an error for it (SQLite stores it), so a
NUL in an address or a query string would be a 500 on one backend and stored junk on the
other. No person types one: it is always a tool or an attack. Form fields and JSON bodies are
checked field by field by the actions and the API's schemas, which name the field.
"""

from __future__ import annotations

from flask import Flask, request

from forum.errors import DomainError, NotFound

NUL = "\x00"


class NullCharacter(DomainError):
    status = 400
    code = "null_character"
    default_message = ("Something you sent contains a hidden 'null' character that we cannot "
                       "store. Please type or paste the text again without it.")


def _refuse_nul() -> None:
    if NUL in request.path:
        raise NotFound()
    if any(NUL in k or NUL in v for k, v in request.args.items(multi=True)):
        raise NullCharacter()


def init_null_guard(app: Flask) -> None:
    app.before_request(_refuse_nul)
