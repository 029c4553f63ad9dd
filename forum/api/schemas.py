"""Request and response shapes of the JSON API (pydantic v2). The OpenAPI document's
``components.schemas`` are generated from these; the views' data is checked against them.

Length caps match what the actions accept, so a client learns the limits from the
document rather than from a refusal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AfterValidator, AliasChoices, BaseModel, Field

from config import SETTINGS
from forum.accounts.passwords import MAX_LENGTH as PASSWORD_MAX
from forum.api.registry import MAX_ID, ApiInput
from forum.threads.actions import EDIT_REASON_MAX, TITLE_MAX
from forum.threads.models import PostState, ReactionKind

# The schema states the default limit; the actions enforce the configured one as well.
MAX_POST_LENGTH: int = next(s.default for s in SETTINGS if s.name == "MAX_POST_LENGTH")
MAX_PAGE = 100_000
TOKEN_NAME_MAX = 80  # the api_tokens.name column
CATCH_UP_LIMIT = 100


def _no_nul(value: str) -> str:
    # PostgreSQL cannot store NUL in text; say so plainly instead of failing later.
    if "\x00" in value:
        raise ValueError("This contains a character we cannot store.")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


# ---- requests -----------------------------------------------------------------------------

class NewToken(ApiInput):
    """Credentials for a new personal access token."""

    login: Text = Field(min_length=1, max_length=254,
                        validation_alias=AliasChoices("login", "username", "email"),
                        description="Your username or email address "
                                    "(also accepted as `username` or `email`).")
    password: str = Field(min_length=1, max_length=PASSWORD_MAX)
    name: Text = Field("API token", max_length=TOKEN_NAME_MAX,
                       description="A name to help you recognise this token later.")

    labels: ClassVar[dict[str, str]] = {"login": "your username or email address",
                                        "password": "your password"}


class NewThread(ApiInput):
    """A new conversation: its title and opening post (Markdown)."""

    title: Text = Field(min_length=1, max_length=TITLE_MAX)
    body: Text = Field(min_length=1, max_length=MAX_POST_LENGTH,
                       description="Markdown. Raw HTML is shown as text.")
    confirm: bool = Field(False, description="Post anyway after a warning about sharing "
                                             "personal details.")

    labels: ClassVar[dict[str, str]] = {"title": "a title for your conversation",
                                        "body": "your message"}


class NewPost(ApiInput):
    """A reply in a conversation, optionally quoting an earlier post."""

    body: Text = Field(min_length=1, max_length=MAX_POST_LENGTH,
                       description="Markdown. Raw HTML is shown as text.")
    quote_post_id: int | None = Field(None, ge=1, le=MAX_ID,
                                      description="A published post in the same thread.")
    confirm: bool = Field(False, description="Post anyway after a warning about sharing "
                                             "personal details.")

    labels: ClassVar[dict[str, str]] = {"body": "your message"}


class PostEdit(ApiInput):
    """New text for a post, and optionally why it changed."""

    body: Text = Field(min_length=1, max_length=MAX_POST_LENGTH)
    reason: Text = Field("", max_length=EDIT_REASON_MAX)
    confirm: bool = False

    labels: ClassVar[dict[str, str]] = {"body": "your message"}


class ReactionIn(ApiInput):
    """A peer-support reaction."""

    kind: ReactionKind

    labels: ClassVar[dict[str, str]] = {"kind": "a reaction"}


class ReadUpTo(ApiInput):
    """How far you have read in a conversation."""

    post_id: int = Field(ge=1, le=MAX_ID, description="The last post you have read.")

    labels: ClassVar[dict[str, str]] = {"post_id": "the id of the last post you read"}


class PageQuery(BaseModel):
    page: int = Field(1, ge=1, le=MAX_PAGE, description="Page number, from 1.")


class PostsQuery(PageQuery):
    after: int | None = Field(
        None, ge=0, le=MAX_ID,
        description=f"Catch up: posts after this post id, oldest first, at most "
                    f"{CATCH_UP_LIMIT} (then ask again from the last id). Overrides `page`.")


# ---- responses ----------------------------------------------------------------------------

class ErrorBody(BaseModel):
    code: str = Field(description="A stable, machine-readable code, e.g. `not_found`.")
    message: str = Field(description="A plain-English sentence to show a person.")
    fields: dict[str, str] = Field(description="Per-field problems, by field name.")


class ErrorResponse(BaseModel):
    """Every error from the API has this shape."""

    error: ErrorBody


class UserOut(BaseModel):
    id: int
    username: str
    role: str


class MeOut(UserOut):
    """Your own account. Your email address is shown only here."""

    email: str
    status: str
    created_at: datetime
    post_count: int
    authenticated_by: Literal["token", "session"]


class TokenCreated(BaseModel):
    """A new token. `token` is shown this once; keep it safe, like a password."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    token: str
    message: str


class BoardOut(BaseModel):
    slug: str
    name: str
    description: str
    condition: str
    guidelines: str
    visibility: Literal["public", "members", "private"]
    posting_policy: str
    support_model: dict[str, str]
    archived: bool
    thread_count: int
    post_count: int
    last_activity_at: datetime | None
    is_member: bool
    unread_threads: int | None = None
    url: str


class BoardList(BaseModel):
    items: list[BoardOut]


class ThreadOut(BaseModel):
    id: int
    board: str = Field(description="The board's slug.")
    title: str
    author: str
    locked: bool
    pinned: bool
    reply_count: int
    created_at: datetime
    last_activity_at: datetime
    last_post_id: int | None
    unread: bool | None = None
    url: str


class ThreadList(BaseModel):
    items: list[ThreadOut]
    page: int
    pages: int
    total: int
    per_page: int


class PostOut(BaseModel):
    id: int
    thread_id: int
    author: str
    author_id: int | None
    state: PostState
    is_guidance: bool
    html: str = Field(description="Clean HTML to display.")
    body: str | None = Field(None, description="The Markdown source (absent once deleted).")
    created_at: datetime
    edited_at: datetime | None
    reactions: dict[str, int] = Field(default_factory=dict)
    my_reactions: list[str] = Field(default_factory=list)
    url: str


class PostList(BaseModel):
    """One page of posts, or (with `after`) the posts since one you already have."""

    items: list[PostOut]
    page: int | None = Field(description="Null when catching up with `after`.")
    pages: int | None
    total: int | None
    per_page: int
    has_more: bool


class ThreadCreated(BaseModel):
    state: PostState = Field(description="`held` while a facilitator checks the opening post.")
    message: str
    thread: ThreadOut
    post: PostOut
    notices: list[dict[str, Any]]


class PostWritten(BaseModel):
    state: PostState = Field(description="`held` while a facilitator checks the post.")
    message: str
    post: PostOut
    notices: list[dict[str, Any]]


class ReactionsOut(BaseModel):
    post_id: int
    counts: dict[str, int]


class FollowOut(BaseModel):
    thread_id: int
    following: bool
