"""Forms for the moderation pages. The actions do the real validation; their
``Invalid.fields`` are put back onto these forms by :func:`apply_errors`."""

from __future__ import annotations

from collections.abc import Mapping

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from moderation.actions.flags import MEMBER_REASONS
from moderation.models import WatchedAction

REASON_CHOICES = [SelectChoice(r.value, r.label) for r in MEMBER_REASONS]
WATCHED_CHOICES = [
    SelectChoice(WatchedAction.FLAG.value, "Flag it for a facilitator (the post goes live)"),
    SelectChoice(WatchedAction.HOLD.value, "Hold it until a facilitator approves it"),
    SelectChoice(WatchedAction.BLOCK.value, "Block the post and show the author a message"),
    SelectChoice(WatchedAction.REPLACE.value, "Replace the word with other text"),
]


class ReportForm(FlaskForm):
    reason = RadioField("Why are you reporting this post?", choices=REASON_CHOICES,
                        validate_choice=False)
    note = TextAreaField("Anything else we should know?", validators=[Optional()],
                         description="Required if you chose \u201cSomething else\u201d. "
                                     "The author will not see this or who you are.")


class ActionForm(FlaskForm):
    """One form for every case action; each page section uses the fields it needs."""

    reason = StringField("Reason", validators=[Optional()],
                         description="The member sees this reason.")
    message = TextAreaField("Message to the member", validators=[Optional()],
                            description="A ready, kind message. Change it if you need to.")
    body = TextAreaField("Post text", validators=[Optional()])
    text = TextAreaField("Note", validators=[Optional()])
    days = StringField("Number of days", validators=[Optional()])
    mode = RadioField("How do you want to guide?", validators=[Optional()], choices=[
        SelectChoice("post", "A guidance post in the conversation, shown as guidance"),
        SelectChoice("message", "A private, supportive message to the author"),
    ], validate_choice=False)
    state = RadioField("Outcome", validators=[Optional()], choices=[
        SelectChoice("resolved", "Resolved"), SelectChoice("rejected", "No action needed"),
    ], validate_choice=False)
    board = SelectField("Move to board", validators=[Optional()], validate_choice=False)
    flag = StringField(validators=[Optional()])
    tier = RadioField("How serious is the risk?", validators=[Optional()], choices=[
        SelectChoice("high", "High: someone may be in danger now (acknowledge within 15 "
                             "minutes)"),
        SelectChoice("medium", "Medium: needs a person today"),
        SelectChoice("low", "Low: needs a follow-up"),
    ], validate_choice=False)


class AppealForm(FlaskForm):
    text = TextAreaField("Why should this decision change?",
                         description="Another facilitator will read this. You can appeal once.")


class DecideAppealForm(FlaskForm):
    outcome = RadioField("Decision", choices=[
        SelectChoice("upheld", "The original decision stands"),
        SelectChoice("overturned", "Undo the original decision")], validate_choice=False)
    note = StringField("Note for the staff record", validators=[Optional()])
    message = TextAreaField("Message to the member", validators=[Optional()])


class StaffNoteForm(FlaskForm):
    body = TextAreaField("Add a staff note", description="Only staff can see these notes.")


class WatchedWordForm(FlaskForm):
    pattern = StringField("Word or phrase",
                          description="Matched as typed, ignoring capital letters.")
    action = RadioField("What should happen?", choices=WATCHED_CHOICES, validate_choice=False)
    board = SelectField("Where does it apply?", validate_choice=False)
    whole_word = BooleanField("Match whole words only", default=True)
    replacement = StringField("Replace with", validators=[Optional()],
                              description="Only for \u201cReplace\u201d.")
    message = StringField("Message to the author", validators=[Optional()],
                          description="Only for \u201cBlock\u201d. Say kindly what to change.")


class TemplateForm(FlaskForm):
    title = StringField("Title")
    body = TextAreaField("Message",
                         description="You can use {name}, {board}, {guidelines_url} and {until}.")


class LadderForm(FlaskForm):
    steps = TextAreaField(
        "Steps, one a line",
        description="For example: warning / mute 14 / suspension 30 / suspension permanent")


class SimpleForm(FlaskForm):
    """Just the CSRF token, for one-button forms."""


def apply_errors(form: FlaskForm, fields: Mapping[str, str]) -> None:
    for name, message in fields.items():
        field = form._fields.get(name)  # noqa: SLF001 - WTForms API
        if field is not None and field.type != "CSRFTokenField":
            field.errors = [message]
        else:
            form.form_errors.append(message)
