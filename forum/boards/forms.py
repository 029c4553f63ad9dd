"""Forms for board administration and invitations.

Choices and numbers are passed to the board actions as typed, because the actions do the
real validation (their messages are mapped back onto these fields by ``apply_errors``).
"""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field, RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from forum.boards.actions import TEXT_LIMITS
from forum.boards.models import SUPPORT_MODEL_FIELDS, PostingPolicy, RiskPolicy, Visibility

SUPPORT_PREFIX = "sm_"
SUPPORT_MAX = 1000

VISIBILITY_CHOICES = [
    SelectChoice(Visibility.PUBLIC.value, "Public: anyone can read it, members can post"),
    SelectChoice(Visibility.MEMBERS.value, "Members only: people must sign in to read it"),
    SelectChoice(Visibility.PRIVATE.value,
                 "Private: only invited members can see it, and it is hidden from everyone else"),
]
POSTING_CHOICES = [
    SelectChoice(PostingPolicy.OPEN.value, "Posts appear straight away"),
    SelectChoice(PostingPolicy.NEW_MEMBERS_HELD.value,
                 "A member's first posts wait for a facilitator to check them"),
    SelectChoice(PostingPolicy.ALL_HELD.value, "Every post waits for a facilitator to check it"),
]
RISK_CHOICES = [
    SelectChoice(RiskPolicy.PUBLISH_AND_FLAG.value,
                 "Publish a post that may show someone is at risk, and alert facilitators"),
    SelectChoice(RiskPolicy.HOLD_AND_FLAG.value,
                 "Hold a post that may show someone is at risk until a facilitator checks it"),
]


def _length(limit: int) -> Length:
    return Length(max=limit, message=f"This must be {limit:,} characters or fewer.")


class BoardForm(FlaskForm):
    name = StringField("Board name", validators=[
        DataRequired("Enter a name for the board."), _length(TEXT_LIMITS["name"])])
    slug = StringField(
        "Web address", validators=[Optional(), Length(max=64, message=(
            "The web address must be 64 characters or fewer."))],
        description="Lower-case letters, numbers and dashes, like type-2-diabetes. "
                    "Leave it empty to make one from the name. It cannot be changed later.")
    description = TextAreaField("Description", validators=[
        Optional(), _length(TEXT_LIMITS["description"])],
        description="One or two sentences shown in the list of boards.")
    condition = StringField("Condition or group", validators=[
        Optional(), _length(TEXT_LIMITS["condition"])],
        description="For example: Type 2 diabetes, or Carers of people with dementia.")
    guidelines = TextAreaField("Board guidelines", validators=[
        Optional(), _length(TEXT_LIMITS["guidelines"])],
        description="Anything this board asks of members, on top of the community "
                    "guidelines.")
    visibility = RadioField("Who can see the board", choices=VISIBILITY_CHOICES,
                            default=Visibility.PUBLIC.value, validate_choice=False)
    posting_policy = RadioField("When posts appear", choices=POSTING_CHOICES,
                                default=PostingPolicy.OPEN.value, validate_choice=False)
    held_first_posts = StringField(
        "How many of a new member's first posts wait for a facilitator", default="3",
        description="Used when a member's first posts wait to be checked.")
    risk_policy = RadioField("Posts that may show someone is at risk", choices=RISK_CHOICES,
                             default=RiskPolicy.PUBLISH_AND_FLAG.value, validate_choice=False)
    report_hide_threshold = StringField(
        "How many reports hide a post until a facilitator decides", default="3",
        description="Enter 0 to never hide a post because of reports alone.")
    position = StringField("Position in the list of boards", default="0",
                           description="Lower numbers are shown first.")

    def support_fields(self) -> list[Field]:
        """The support-model fields, in the order the evidence review lists them."""
        return [self[SUPPORT_PREFIX + key] for key in SUPPORT_MODEL_FIELDS]

    def support_model(self) -> dict[str, str]:
        return {key: (self[SUPPORT_PREFIX + key].data or "") for key in SUPPORT_MODEL_FIELDS}

    def board_fields(self) -> dict[str, Any]:
        """Everything the board actions take, as typed (the actions check it)."""
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "condition": self.condition.data or "",
            "guidelines": self.guidelines.data or "",
            "visibility": self.visibility.data or "",
            "posting_policy": self.posting_policy.data or "",
            "held_first_posts": (self.held_first_posts.data or "").strip(),
            "risk_policy": self.risk_policy.data or "",
            "report_hide_threshold": (self.report_hide_threshold.data or "").strip(),
            "position": (self.position.data or "").strip(),
            "support_model": self.support_model(),
        }


# One optional text box per support-model descriptor, added once at import.
for _key, _label in SUPPORT_MODEL_FIELDS.items():
    setattr(BoardForm, SUPPORT_PREFIX + _key, TextAreaField(
        _label, validators=[Optional(), _length(SUPPORT_MAX)]))


class UsernameForm(FlaskForm):
    username = StringField("Username", validators=[
        DataRequired("Enter the member's username."),
        Length(max=32, message="Usernames are 32 characters or fewer.")])


class InviteForm(UsernameForm):
    pass


class FacilitatorForm(UsernameForm):
    pass
