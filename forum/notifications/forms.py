"""The email settings form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from forum.notifications.models import EmailFrequency


class EmailFrequencyForm(FlaskForm):
    frequency = RadioField(
        "How often should we email you about notifications?",
        choices=[SelectChoice(f.value, f.label) for f in EmailFrequency],
        validators=[InputRequired("Choose how often you would like emails.")],
        description="We never put what people write on private or members-only boards in "
                    "an email, only a link to it.",
    )
