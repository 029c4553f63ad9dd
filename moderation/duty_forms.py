"""Forms for the escalation, duty, handover, rota, training and protocol pages. The
actions do the real validation; their ``Invalid.fields`` go back onto these forms."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Optional

from moderation.models import EscalationOutcome

OUTCOME_CHOICES = [SelectChoice(o.value, o.label) for o in EscalationOutcome]


class EscalationForm(FlaskForm):
    note = TextAreaField("Note", validators=[Optional()])
    outcome = RadioField("What was the outcome?", validators=[Optional()],
                         choices=OUTCOME_CHOICES, validate_choice=False)


class EscalationNoteForm(FlaskForm):
    """Prefixed ("add"), so its note field does not share an id with the handover note."""

    note = TextAreaField("Note", validators=[Optional()])


class DutyForm(FlaskForm):
    hours = StringField("For how many hours? (optional)", validators=[Optional()],
                        description="Leave empty to stay on duty until you go off duty.")
    boards = SelectMultipleField("Which boards? (optional)", validators=[Optional()],
                                 validate_choice=False,
                                 description="Leave them all empty to be on duty for every "
                                             "board you facilitate.")


class HandoverForm(FlaskForm):
    pass


class ShiftForm(FlaskForm):
    user = SelectField("Facilitator", validators=[Optional()], validate_choice=False)
    starts_at = DateTimeLocalField("Starts (UK time)", validators=[Optional()],
                                   format="%Y-%m-%dT%H:%M")
    ends_at = DateTimeLocalField("Ends (UK time)", validators=[Optional()], format="%Y-%m-%dT%H:%M")
    boards = StringField("Boards (optional)", validators=[Optional()],
                         description="Board addresses separated by commas. Leave empty for "
                                     "every board they facilitate.")


class CourseForm(FlaskForm):
    name = StringField("Course name", validators=[Optional()])
    required = BooleanField("Required to act in the review queue")
    high_risk = BooleanField("Required to handle high-risk escalations")


class TrainingRecordForm(FlaskForm):
    user = SelectField("Facilitator", validators=[Optional()], validate_choice=False)
    course = SelectField("Course", validators=[Optional()], validate_choice=False)
    completed_on = DateField("Date completed", validators=[Optional()])
    expires_on = DateField("Expiry date (optional)", validators=[Optional()])


class ProtocolForm(FlaskForm):
    text = TextAreaField("What staff must do in an emergency")
    contacts = TextAreaField("Emergency contacts", validators=[Optional()],
                             description="One a line: name, a colon, then a phone number "
                                         "or an email address.")
    alert_emails = TextAreaField("Email addresses alerted at level 3", validators=[Optional()],
                                 description="One a line, like name@example.com.")


class LeadForm(FlaskForm):
    username = StringField("User name", validators=[Optional()],
                           description="Leads see escalations from level 2 and the posts "
                                       "behind them, on every board. A member named lead "
                                       "becomes a facilitator and signs in with two steps.")
    title = RadioField("Role", validators=[Optional()], validate_choice=False, choices=[
        SelectChoice("Lead facilitator", "Lead facilitator"),
        SelectChoice("Clinical lead", "Clinical lead")])
