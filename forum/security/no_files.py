"""Refuse files: no form or API route of ours takes one.

A multipart body can carry a file under any field's name, and Flask-WTF then gives the
view a file object where it expects text (a 500 deep in a validator). Nobody filling in
our forms can send one, so it is a tool or an attack: refuse it before any view runs.
"""

from __future__ import annotations

from flask import Flask, request

from forum.errors import DomainError


class FilesNotAccepted(DomainError):
    status = 400
    code = "files_not_accepted"
    default_message = "This form does not take files. Please type your words into the form instead."


def _refuse_files() -> None:
    # The header check first, so requests without a multipart body parse nothing here.
    # The API reads JSON only and answers any other body with its own 415.
    content_type = request.content_type or ""
    if (
        content_type.startswith("multipart/")
        and not request.path.startswith("/api/")
        and request.files
    ):
        raise FilesNotAccepted()


def init_file_guard(app: Flask) -> None:
    app.before_request(_refuse_files)
