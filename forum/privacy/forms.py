"""Forms for the privacy pages. They only check that something was entered; the rules
(password right, confirmation typed, reason long enough) live in the actions."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length


class ExportForm(FlaskForm):
    password = PasswordField(
        "Your password",
        description="We ask again because the file holds your email address and everything "
                    "you have written.",
        validators=[InputRequired("Enter your password."), Length(max=1024)])
    format = RadioField(
        "Which kind of file?", default="json",
        choices=[SelectChoice("json", "A data file (JSON), for moving your information to "
                                  "another service"),
                 SelectChoice("html", "A web page you can open and read in your browser")],
        validators=[InputRequired("Choose which kind of file you want.")])


class DeleteAccountForm(FlaskForm):
    mode = RadioField(
        "What should happen to your posts?", default="erase",
        choices=[SelectChoice("erase", "Remove what I wrote (recommended). A short note says "
                                       "a post was removed, so replies still make sense."),
                 SelectChoice("keep", "Leave my posts, shown as written by "
                                      "\u201cFormer member\u201d.")],
        validators=[InputRequired("Choose what should happen to your posts.")])
    confirmation = StringField(
        "Type \u201cdelete my account\u201d to confirm",
        validators=[InputRequired("Type \u201cdelete my account\u201d to confirm."),
                    Length(max=100)])
    password = PasswordField(
        "Your password",
        validators=[InputRequired("Enter your password."), Length(max=1024)])


class ViewPrivateForm(FlaskForm):
    reason = TextAreaField(
        "Why do you need to see this member's email address?",
        description="For example: \u201cMember asked by phone for help getting back into "
                    "their account\u201d. Your name, the time and this reason are recorded.",
        validators=[InputRequired("Say why you need to see these details."),
                    Length(max=500, message="Keep the reason to 500 characters or fewer.")])
