"""Ready, kind, plain-English messages for each moderation action.

The defaults live here; an admin's edited version (a :class:`MessageTemplate` row) wins.
Facilitators see the filled-in text in the action form and can adjust it before sending.
Placeholders: ``{name}`` (the member), ``{board}``, ``{guidelines_url}``, ``{until}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from moderation.models import MessageTemplate


@dataclass(frozen=True)
class Template:
    key: str
    title: str
    body: str


DEFAULT_TEMPLATES: dict[str, Template] = {t.key: t for t in (
    Template("approve", "Your post is now live",
             "Hello {name}. A facilitator has read your post and it is now on {board} for "
             "everyone to see. Thank you for sharing."),
    Template("reject", "Your post was not published",
             "Hello {name}. A facilitator read your post and could not publish it this time, "
             "because it does not fit our community guidelines: {guidelines_url}. You are "
             "welcome to write it again in a different way. If you would like to talk about "
             "it, reply to a facilitator."),
    Template("hide", "We have hidden one of your posts",
             "Hello {name}. A facilitator has hidden one of your posts on {board} because it "
             "does not fit our community guidelines: {guidelines_url}. We know this can feel "
             "upsetting. You can still read the conversation and keep taking part."),
    Template("restore", "Your post is visible again",
             "Hello {name}. A facilitator has looked at your post again and it is visible "
             "on {board} once more. Thank you for your patience."),
    Template("edit", "A facilitator changed your post",
             "Hello {name}. A facilitator made a small change to one of your posts on "
             "{board} so that it fits our community guidelines: {guidelines_url}. The rest "
             "of your post is as you wrote it."),
    Template("guide_post", "A note from a facilitator",
             "A gentle reminder from the facilitators: this is a space where everyone's "
             "experience matters. Please keep replies kind and supportive. Our guidelines "
             "are here: {guidelines_url}"),
    Template("guide_message", "A message from a facilitator",
             "Hello {name}. I wanted to check in with you about your recent post on {board}. "
             "You are very welcome here. It might help to look at our guidelines: "
             "{guidelines_url}. If anything is hard right now, you can reply to me."),
    Template("warn", "A reminder about our guidelines",
             "Hello {name}. A facilitator has asked us to remind you about our community "
             "guidelines: {guidelines_url}. This is a warning, and nothing else has changed "
             "on your account."),
    Template("mute", "You cannot post on {board} for a while",
             "Hello {name}. Because of what happened on {board}, you will not be able to post "
             "there until {until}. You can still read. Our guidelines are here: "
             "{guidelines_url}"),
    Template("suspend", "Your account is paused",
             "Hello {name}. Your account has been paused until {until}, because of repeated "
             "problems with our community guidelines: {guidelines_url}."),
    Template("appeal_upheld", "Your appeal has been looked at",
             "Hello {name}. Another facilitator has looked at your appeal carefully. They "
             "decided the original decision should stay. Thank you for telling us how you "
             "felt about it."),
    Template("appeal_overturned", "Your appeal was successful",
             "Hello {name}. Another facilitator has looked at your appeal and agreed with you. "
             "We have undone the decision. We are sorry for the trouble."),
)}


# "{{" and "}}" are a brace, as in str.format; "{word}" is a placeholder.
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{(\w+)\}")


def fill(text: str, **values: Any) -> str:
    """``text`` with each known ``{placeholder}`` filled in; anything else in braces stays
    as typed. Not str.format: an admin's template could then reach attributes of the
    values ("{name.__class__}"), ask for a width that fills the memory, or fail the action
    that sends it ("{name.x}")."""

    def _one(match: re.Match[str]) -> str:
        whole, key = match.group(0), match.group(1)
        if key is None:
            return whole[0]
        return str(values[key]) if key in values else whole

    return _PLACEHOLDER.sub(_one, text)


def get_template(session: Session, key: str) -> Template:
    row = session.scalar(select(MessageTemplate).where(MessageTemplate.key == key))
    if row is not None:
        return Template(key, row.title, row.body)
    return DEFAULT_TEMPLATES[key]


def all_templates(session: Session) -> list[Template]:
    rows = {r.key: r for r in session.scalars(select(MessageTemplate))}
    return [Template(k, rows[k].title, rows[k].body) if k in rows else t
            for k, t in DEFAULT_TEMPLATES.items()]


def filled(session: Session, key: str, **values: Any) -> Template:
    t = get_template(session, key)
    return Template(key, fill(t.title, **values), fill(t.body, **values))
