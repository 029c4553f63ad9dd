"""Plain data types shared by the moderation checks (no behaviour beyond serialisation)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

LABELS = ("risk", "pii", "spam")
SEVERITIES = ("urgent", "high", "medium", "low")


@dataclass(frozen=True)
class AuthorMeta:
    """What the app knows about the author when the post is checked."""

    account_age_days: float | None = None
    post_count: int | None = None


@dataclass(frozen=True)
class Finding:
    """One reason a post was flagged.

    ``rule`` names the rule or model that fired, ``span`` is ``(start, end)`` character
    offsets into the checked text, or ``None`` for a whole-text (model) finding.
    ``kind`` is a subtype (for pii: phone, email, postcode, address, nhs_number, ...).
    """

    rule: str
    label: str
    severity: str
    reason: str
    span: tuple[int, int] | None = None
    kind: str | None = None
    score: float | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rule": self.rule,
            "label": self.label,
            "severity": self.severity,
            "reason": self.reason,
            "span": list(self.span) if self.span is not None else None,
            "kind": self.kind,
        }
        if self.score is not None:
            out["score"] = round(self.score, 4)
        return out


@dataclass
class CheckResult:
    """All findings for one text; ``labels`` is the sorted set of labels found."""

    findings: list[Finding] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return sorted({f.label for f in self.findings})

    def to_json(self) -> dict[str, Any]:
        return {"labels": self.labels, "findings": [f.to_json() for f in self.findings]}


WatchedAction = Literal["block", "hold", "flag", "replace"]


@dataclass(frozen=True)
class WatchedWordRule:
    """A facilitator-maintained watched word or phrase.

    ``match`` is "word" (whole word/phrase on word boundaries) or "substring".
    ``scope`` is free text the app uses to decide where a rule applies ("all",
    "posts", "usernames", a sub-forum slug...); this module does not interpret it.
    """

    pattern: str
    action: WatchedAction = "flag"
    replacement: str = ""
    match: Literal["word", "substring"] = "word"
    scope: str = "all"
    rule_id: str | None = None


@dataclass(frozen=True)
class WatchedWordFinding:
    rule_id: str | None
    pattern: str
    action: str
    span: tuple[int, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "pattern": self.pattern,
            "action": self.action,
            "span": list(self.span),
        }


@dataclass
class WatchedWordResult:
    """Findings plus the text with ``replace`` rules applied.

    ``action`` is the strongest action among findings (block > hold > flag > replace),
    or ``None`` when nothing matched.
    """

    text: str
    findings: list[WatchedWordFinding] = field(default_factory=list)

    @property
    def action(self) -> str | None:
        order = ("block", "hold", "flag", "replace")
        present = {f.action for f in self.findings}
        for a in order:
            if a in present:
                return a
        return None
