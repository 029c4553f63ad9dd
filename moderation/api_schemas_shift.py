"""Request and response shapes of the handover queue, unanswered posts and workload
endpoints of the moderation API (pydantic v2); they appear in ``/api/v1/openapi.json``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field

from forum.api.registry import MAX_ID, ApiInput

ItemId = Annotated[int, Field(ge=1, le=MAX_ID)]


class HandoverItemOut(BaseModel):
    id: int
    board: str = Field(description="The board's address.")
    kind: str = Field(description="held, flagged, report, auto_hide_waiting or escalation.")
    summary: str = Field(description="What happened, in plain English; never the post's "
                                     "text.")
    case_id: int | None
    post_id: int | None
    thread_id: int | None
    escalation_id: int | None
    url: str | None = Field(description="The review item's or escalation's page, if any.")
    created_at: datetime
    cleared_at: datetime | None


class HandoverOut(BaseModel):
    items: list[HandoverItemOut] = Field(description="Oldest first; the not yet cleared "
                                                     "ones unless `cleared=true`.")


class HandoverQuery(BaseModel):
    cleared: bool = Field(False, description="Include the items already cleared.")


class HandoverClearIn(ApiInput):
    items: list[ItemId] = Field(min_length=1, max_length=500,
                                description="The ids of the items you have read.")
    labels: ClassVar[dict[str, str]] = {"items": "the items you have read"}


class HandoverClearOut(BaseModel):
    cleared: int


class UnansweredThreadOut(BaseModel):
    id: int
    title: str
    board: str
    author: str | None
    created_at: datetime
    url: str


class QuietMemberOut(BaseModel):
    user: str
    unanswered: int = Field(description="How many of their recent posts got no reply.")
    last_posted_at: datetime
    last_thread_id: int
    last_thread_url: str


class UnansweredOut(BaseModel):
    wait_hours: int = Field(description="How long a post waits before it counts "
                                        "(UNANSWERED_HOURS).")
    threads: list[UnansweredThreadOut] = Field(description="Conversations nobody has "
                                                           "answered, oldest first.")
    members: list[QuietMemberOut] = Field(description="Members whose recent posts got no "
                                                      "reply, most first.")


class ShiftLoadOut(BaseModel):
    starts_at: datetime
    ends_at: datetime | None = Field(description="None: still on duty.")
    high_risk: int = Field(description="High-risk escalations handled in this shift.")


class WorkloadRowOut(BaseModel):
    user: str
    open_cases: int = Field(description="Open review items they hold.")
    open_escalations: int = Field(description="Open escalations they acknowledged.")
    median_ack_minutes: float | None
    median_act_minutes: float | None
    high_risk_handled: int = Field(description="High-risk escalations handled in the window.")
    most_in_a_shift: int | None
    shifts: list[ShiftLoadOut] = Field(description="Their shifts in the window, newest first.")


class WorkloadOut(BaseModel):
    window_days: int
    facilitators: list[WorkloadRowOut] = Field(description="Heaviest load first.")
