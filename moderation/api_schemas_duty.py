"""Request and response shapes of the escalation, duty, rota and training endpoints of the
moderation API (pydantic v2, in the style of :mod:`moderation.api_schemas`); they appear
in ``/api/v1/openapi.json``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, BaseModel, Field

from forum.api.registry import MAX_ID, ApiInput
from moderation.models import EscalationOutcome, EscalationState, EscalationTier

StateName = Literal["open", "acknowledged", "in_progress", "handed_over", "resolved"]
TierName = Literal["high", "medium", "low"]
OutcomeName = Literal["signposted", "peer_supported", "clinical_lead", "emergency_services",
                      "no_further_action"]
assert set(StateName.__args__) == {s.value for s in EscalationState}  # type: ignore[attr-defined]
assert set(TierName.__args__) == {t.value for t in EscalationTier}  # type: ignore[attr-defined]
assert set(OutcomeName.__args__) == {o.value for o in EscalationOutcome}  # type: ignore[attr-defined]

Slug = Annotated[str, Field(min_length=1, max_length=64)]
Username = Annotated[str, Field(min_length=1, max_length=32)]


def _as_utc(value: datetime) -> datetime:
    # A time without an offset is read as UTC (the rota page takes UK time, as it shows).
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(_as_utc)]


# ---- escalations ---------------------------------------------------------------------------

class EscalationQuery(BaseModel):
    state: StateName | None = Field(None, description="Only escalations in this state. "
                                    "Without it: every escalation not yet resolved.")
    tier: TierName | None = Field(None, description="Only this risk tier.")
    board: str | None = Field(None, max_length=64, description="Only this board (its address).")


class EscalationOut(BaseModel):
    id: int
    url: str = Field(description="The escalation's page.")
    case_id: int | None
    board: str | None
    board_name: str | None
    tier: TierName
    tier_label: str
    state: StateName
    state_label: str
    level: int = Field(description="1: the board's facilitators; 2: the lead facilitator or "
                                   "clinical lead; 3: the emergency protocol.")
    level_label: str
    source: str = Field(description="`queue` (a facilitator's judgement) or `risk_check`.")
    reason: str
    outcome: OutcomeName | None
    ack_due_at: datetime | None = Field(description="Acknowledge by (none: no clock).")
    act_due_at: datetime | None = Field(description="Act by (none: no clock).")
    next_due_at: datetime | None
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    resolved_at: datetime | None
    created_at: datetime
    updated_at: datetime


class EscalationListOut(BaseModel):
    escalations: list[EscalationOut] = Field(
        description="High tier and highest level first, then the nearest deadline; at most "
                    "200.")


class TimelineEntryOut(BaseModel):
    kind: str = Field(description="opened, alerted, level_up, viewed, acknowledged, "
                                  "in_progress, handover, note, resolved, message_sent (a "
                                  "message to the member or a guidance reply, about the "
                                  "item) or item_action (something done to the review "
                                  "item).")
    actor: str | None
    summary: str = Field(description="What happened, in plain English, e.g. \"Seen by rowan\".")
    note: str = Field(description="What the person wrote, if anything.")
    created_at: datetime


class ContactOut(BaseModel):
    name: str
    detail: str


class ProtocolOut(BaseModel):
    text: str
    contacts: list[ContactOut]


class EscalationDetailOut(EscalationOut):
    timeline: list[TimelineEntryOut]
    protocol: ProtocolOut | None = Field(
        description="The emergency protocol, shown from level 3.")


class StartIn(ApiInput):
    """Mark as in progress (work has begun): stops both clocks."""

    note: str = Field("", max_length=5000)


class HandoverIn(ApiInput):
    """Hand over to the next shift; the next person must acknowledge it."""

    note: str = Field(min_length=1, max_length=5000,
                      description="What has been done, and what needs to happen next.")

    labels: ClassVar[dict[str, str]] = {
        "note": "a handover note: what has been done and what happens next"}


class ResolveIn(ApiInput):
    outcome: OutcomeName
    note: str = Field("", max_length=5000)


class EscalationNoteIn(ApiInput):
    note: str = Field(min_length=1, max_length=5000)

    labels: ClassVar[dict[str, str]] = {"note": "your note"}


# ---- duty and the rota ---------------------------------------------------------------------

class ShiftOut(BaseModel):
    id: int
    user: str
    boards: list[str] = Field(description="Board addresses; empty: every board they "
                                          "facilitate.")
    starts_at: datetime
    ends_at: datetime | None = Field(description="None: on duty until they go off duty.")


class OnDutyOut(BaseModel):
    user: str
    boards: list[str] = Field(description="The boards they cover now (addresses).")
    until: datetime | None


class DutyNowOut(BaseModel):
    on_duty: list[OnDutyOut]
    my_shift: ShiftOut | None = Field(description="Your own shift, if you are on duty.")


class GoOnDutyIn(ApiInput):
    hours: int | None = Field(None, ge=1, le=24, description="None: until you go off duty.")
    boards: list[Slug] = Field(default_factory=list, max_length=100,
                               description="Board addresses; empty: every board you "
                                           "facilitate.")


class RotaQuery(BaseModel):
    days: int = Field(7, ge=1, le=31, description="How many days ahead.")


class RotaOut(BaseModel):
    shifts: list[ShiftOut]


class ShiftIn(ApiInput):
    """Put a facilitator on the rota. Times without an offset are UTC."""

    user: Username = Field(description="The facilitator's user name.")
    starts_at: UtcDateTime
    ends_at: UtcDateTime
    boards: list[Slug] = Field(default_factory=list, max_length=100,
                               description="Board addresses; empty: every board they "
                                           "facilitate.")

    labels: ClassVar[dict[str, str]] = {"user": "the facilitator's user name",
                                        "starts_at": "when the shift starts",
                                        "ends_at": "when the shift ends"}


class GapOut(BaseModel):
    starts_at: datetime
    ends_at: datetime


class BoardCoverageOut(BaseModel):
    board: str
    board_name: str
    shifts: list[ShiftOut] = Field(description="Shifts by facilitators with current "
                                               "training that cover this board.")
    gaps: list[GapOut] = Field(description="Times nobody trained is on the rota.")


class CoverageQuery(BaseModel):
    days: int = Field(7, ge=1, le=31, description="How many days ahead.")


class CoverageOut(BaseModel):
    starts_at: datetime
    ends_at: datetime
    boards: list[BoardCoverageOut]


# ---- training ------------------------------------------------------------------------------

class CourseOut(BaseModel):
    id: int
    name: str
    required: bool = Field(description="Needed to act in the review queue.")
    high_risk: bool = Field(description="Needed to handle high-risk escalations.")


class TrainingRecordOut(BaseModel):
    id: int
    user: str
    course_id: int
    course: str
    completed_on: date
    expires_on: date | None
    current: bool


class TrainingQuery(BaseModel):
    user: str | None = Field(None, max_length=32, description="Only this person's records.")


class TrainingListOut(BaseModel):
    courses: list[CourseOut]
    records: list[TrainingRecordOut]


class TrainingRecordIn(ApiInput):
    """Record (or renew) one facilitator's completion of a course."""

    user: Username = Field(description="The facilitator's user name.")
    course: int = Field(ge=1, le=MAX_ID, description="The course's id.")
    completed_on: date
    expires_on: date | None = None

    labels: ClassVar[dict[str, str]] = {"user": "the facilitator's user name",
                                        "course": "the course's id",
                                        "completed_on": "the date the course was completed"}


class MyTrainingOut(BaseModel):
    ok: bool = Field(description="False: you can read the queue but not act on it.")
    high_risk_ok: bool
    message: str
    missing: list[str]
    expired: list[str]
    high_risk_missing: list[str]
    records: list[TrainingRecordOut]
