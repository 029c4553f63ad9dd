"""Forms for starting conversations, replying, editing and deleting posts.

The forms give quick, friendly feedback; the thread actions do the real validation and
their ``Invalid.fields`` are mapped back onto these forms by :func:`forum.forms.apply_errors`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from forum.threads.actions import EDIT_REASON_MAX, TITLE_MAX


def _max_post_length() -> int:
    return int(current_app.config.get("MAX_POST_LENGTH", 20000))


def _body_length(form: FlaskForm, field: Any) -> None:
    # The limit comes from settings, so it is checked here rather than by a fixed validator.
    limit = _max_post_length()
    text = (field.data or "").replace("\r\n", "\n").strip()
    if len(text) > limit:
        raise ValidationError(f"Your message must be {limit:,} characters or fewer. "
                              f"It is {len(text):,} now.")


class PostBodyMixin:
    body = TextAreaField("Your message",
                         validators=[DataRequired("Enter your message."), _body_length])
    # Shown only when moderation asks the author to confirm (e.g. personal details spotted).
    confirmed = BooleanField("Post it anyway", default=False)


class NewThreadForm(PostBodyMixin, FlaskForm):
    title = StringField("Title", validators=[
        DataRequired("Enter a title for your conversation."),
        Length(max=TITLE_MAX, message=f"The title must be {TITLE_MAX} characters or fewer."),
    ])


class ReplyForm(PostBodyMixin, FlaskForm):
    quote = HiddenField()
    # Only offered to the board's facilitators; do_reply refuses it from anyone else.
    guidance = BooleanField("Post as facilitator guidance", default=False)


class EditPostForm(FlaskForm):
    body = TextAreaField("Your message",
                         validators=[DataRequired("Enter your message."), _body_length])
    reason = StringField("Why are you changing it?", validators=[
        Optional(),
        Length(max=EDIT_REASON_MAX,
               message=f"The reason must be {EDIT_REASON_MAX} characters or fewer."),
    ])
    confirmed = BooleanField("Save it anyway", default=False)


class DeletePostForm(FlaskForm):
    pass


def apply_errors(form: FlaskForm, fields: Mapping[str, str],
                 aliases: Mapping[str, str] | None = None) -> None:
    """Put an action's ``Invalid.fields`` messages onto the matching form fields.

    Called by views after an action refuses the input, so the page shows the action's
    plain-English message next to the field it is about. Messages for fields the form
    does not have go into the form-level errors, so nothing is lost from the summary.
    """
    aliases = aliases or {}
    for name, message in fields.items():
        field = form._fields.get(aliases.get(name, name))  # noqa: SLF001 - WTForms API
        if field is not None and field.type not in ("CSRFTokenField", "HiddenField"):
            field.errors = [message, *[e for e in field.errors if e != message]]
        else:
            form.form_errors.append(message)
