"""Request and response shapes of the moderation API (pydantic v2), in the same style as
:mod:`forum.api.schemas`; they appear in ``/api/v1/openapi.json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from forum.api.registry import MAX_ID, ApiInput
from moderation.models import FlagReason

MemberReason = Literal["self_harm", "risk_to_others", "abuse", "misinformation", "spam",
                       "personal_details", "other"]
assert set(MemberReason.__args__) == {r.value for r in FlagReason} - {"system"}  # type: ignore[attr-defined]

CaseVerb = Literal["claim", "release", "note", "close", "escalate", "approve", "reject",
                   "hide", "restore", "edit", "guide", "lock", "unlock", "pin", "unpin",
                   "move", "warn", "mute", "suspend", "staff_note"]


class FlagIn(ApiInput):
    """Report a post to the facilitators. The author is never told who reported it."""

    post_id: int = Field(ge=1, le=MAX_ID)
    reason: MemberReason
    note: str = Field("", max_length=1000, description="Required when the reason is `other`.")

    labels: ClassVar[dict[str, str]] = {"post_id": "the post's id", "reason": "a reason"}


class FlagOut(BaseModel):
    id: int
    post_id: int | None
    reason: str
    reviewed: bool
    created_at: datetime
    message: str = ""


class CaseActionIn(ApiInput):
    """One facilitator action on a case. Which fields matter depends on `action`: a
    `reason` wherever it affects a member; `message` replaces the ready template text."""

    action: CaseVerb
    reason: str = Field("", max_length=1000)
    message: str | None = Field(None, max_length=5000)
    body: str = Field("", max_length=20000, description="For `edit`: the new text.")
    text: str = Field("", max_length=5000, description="For `note` and `staff_note`.")
    days: int | None = Field(None, ge=1, le=3650,
                             description="For `mute` and `suspend` (none: permanent).")
    mode: Literal["post", "message"] = "post"
    state: Literal["resolved", "rejected"] = "resolved"
    board: str = Field("", max_length=64, description="For `move`: the board's address.")
    tier: Literal["high", "medium", "low"] = Field(
        "medium", description="For `escalate`: the risk tier, which sets the response clock.")


class FlagDetail(BaseModel):
    id: int
    reason: str
    severity: str
    system: bool
    reporter: str | None
    note: str
    rules: list[dict[str, Any]]
    snapshot_html: str
    snapshot_state: str
    created_at: datetime


class CaseEventOut(BaseModel):
    kind: str
    actor: str | None
    text: str
    created_at: datetime


class CaseOut(BaseModel):
    id: int
    board: str
    kind: str
    state: str
    severity: str
    summary: str
    post_id: int | None
    thread_id: int | None
    thread_title: str | None
    post_state: str | None
    author: str | None
    claimed_by: str | None
    escalated: bool
    reports: int = 0
    created_at: datetime


class CaseDetailOut(CaseOut):
    post_html: str | None
    flags: list[FlagDetail]
    timeline: list[CaseEventOut]
    context_post_ids: list[int]
    author_recent_post_ids: list[int]
    staff_notes: list[str]
    suggested_step: str | None
    templates: dict[str, str]


class QueueOut(BaseModel):
    cases: list[CaseOut]
    appeals: list[int]


class WatchedWordIn(ApiInput):
    pattern: str = Field(min_length=1, max_length=200)
    action: Literal["block", "hold", "flag", "replace"]
    board: str | None = Field(None, max_length=64, description="A board's address, or none "
                                                                "for every board.")
    whole_word: bool = True
    replacement: str = Field("", max_length=200)
    message: str = Field("", max_length=500)

    labels: ClassVar[dict[str, str]] = {"pattern": "a word or phrase"}


class WatchedWordOut(BaseModel):
    id: int
    pattern: str
    action: str
    board: str | None
    whole_word: bool
    replacement: str
    message: str


class PreviewMatch(BaseModel):
    post_id: int
    thread_id: int
    matches: list[str]
    result_text: str | None


class PreviewOut(BaseModel):
    count: int
    posts: list[PreviewMatch]


class NoticeOut(BaseModel):
    id: int
    kind: str
    title: str
    message: str
    post_id: int | None
    thread_id: int | None
    appealable: bool
    appeal_state: str | None
    created_at: datetime


class AppealIn(ApiInput):
    text: str = Field(min_length=1, max_length=3000)

    labels: ClassVar[dict[str, str]] = {"text": "why the decision should change"}


class AppealOut(BaseModel):
    id: int
    notice_id: int
    state: str


class DecisionIn(ApiInput):
    outcome: Literal["upheld", "overturned"]
    note: str = Field("", max_length=1000)
    message: str | None = Field(None, max_length=5000)


class AuditEntryOut(BaseModel):
    id: int
    created_at: datetime
    actor: str | None
    action: str
    board: str | None
    subject_type: str
    subject_id: int | None
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]


class AuditQuery(BaseModel):
    action: str = Field("", max_length=64)
    actor: str = Field("", max_length=32)
    board: str = Field("", max_length=64)
    date_from: str = Field("", max_length=10, description="YYYY-MM-DD")
    date_to: str = Field("", max_length=10, description="YYYY-MM-DD")
    page: int = Field(1, ge=1, le=100_000)


class AuditOut(BaseModel):
    total: int
    entries: list[AuditEntryOut]


