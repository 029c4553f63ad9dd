"""The checks engine: rules first, then the semantic risk head, merged into one result."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any, TextIO

from moderation.checks import heads, semantic
from moderation.checks.pii import scan_pii
from moderation.checks.risk_rules import RiskScan, scan_risk
from moderation.checks.spam import URL, scan_spam
from moderation.checks.text import normalise, sentences
from moderation.checks.types import AuthorMeta, CheckResult, Finding

log = logging.getLogger(__name__)

MODEL_RULE = "model.minilm-risk"
#: With a mitigating cue (negation, recovery story, idiom, helpline, quoted question) and
#: no rule finding, the model must be at least this sure before it flags.
CUED_THRESHOLD = 0.93
#: Very short posts ("Knackered.", "Anyone awake?") give the encoder little to go on and
#: it reads any first-person feeling as risk-like: below SHORT_WORDS words the model must
#: clear its threshold by SHORT_MARGIN. Explicit short risk ("kms", "want to die") is
#: caught by the rules, which do not depend on length.
SHORT_WORDS = 6
SHORT_MARGIN = 0.10
MAX_CHUNK_CHARS = 700
MAX_CHUNKS = 8
MAX_WINDOWS = 12


def _mask_urls(text: str) -> str:
    return URL.sub(lambda m: " " * len(m.group()), text)


def _chunks(text: str) -> list[str]:
    """Split long posts into sentence-aligned chunks the encoder sees whole."""
    if len(text) <= MAX_CHUNK_CHARS:
        return [text]
    out: list[str] = []
    cur = ""
    for s, e in sentences(text):
        piece = text[s:e]
        if cur and len(cur) + len(piece) > MAX_CHUNK_CHARS:
            out.append(cur)
            cur = ""
        cur += piece[:MAX_CHUNK_CHARS]
    if cur:
        out.append(cur)
    return out[:MAX_CHUNKS] if len(out) <= MAX_CHUNKS else out[: MAX_CHUNKS - 1] + [out[-1]]


def _hide(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        for i in range(max(0, a), min(len(chars), b)):
            chars[i] = " "
    return "".join(chars)


def risk_score(text: str, hide: list[tuple[int, int]] | None = None) -> float | None:
    """The risk head's probability for ``text`` (max over chunks), or None without a model.

    ``hide`` lists spans (idioms, negated mentions...) blanked out before embedding.
    """
    emb = semantic.get_embedder()
    head = heads.load_head()
    if emb is None or head is None:
        return None
    pieces = model_inputs(_hide(_mask_urls(normalise(text)), hide or []))
    if not pieces:
        return 0.0
    return max(float(head.score(emb.embed(c))) for c in pieces)


def model_inputs(masked: str) -> list[str]:
    """The texts the encoder scores for one (already masked) post: the whole post in
    sentence-aligned chunks, plus, for posts of three or more sentences, each pair of
    neighbouring sentences. Why: in a long post the one or two sentences that matter
    ("I've put the tablets by the bed...") are diluted in the mean-pooled embedding.
    Training calibrates the threshold on exactly these inputs."""
    flat = re.sub(r"\s+", " ", masked).strip()
    if not flat:
        return []
    out = _chunks(flat)
    sents = [masked[a:b].strip() for a, b in sentences(masked)]
    sents = [re.sub(r"\s+", " ", x) for x in sents if x.strip()]
    if len(sents) >= 3:
        out += [" ".join(sents[i:i + 2])[:MAX_CHUNK_CHARS]
                for i in range(min(len(sents) - 1, MAX_WINDOWS))]
    return out


def _word_count(text: str, hide: list[tuple[int, int]]) -> int:
    return len(_hide(_mask_urls(normalise(text)), hide).split())


def _model_finding(text: str, scan: RiskScan, other_labels: bool) -> Finding | None:
    head = heads.load_head()
    if head is None:
        return None
    has_rule = bool(scan.findings)
    try:
        p = risk_score(text, scan.masks)
    except Exception as exc:  # noqa: BLE001 - the model must never break posting
        log.warning("moderation semantic model failed on a post: %s", type(exc).__name__)
        return None
    if p is None:
        return None
    # Stricter when the rules saw a mitigating cue (negation, recovery, idiom, helpline) or
    # the post is already spam: the model's known misfires. Never stricter than CUED.
    cautious = not has_rule and (bool(scan.cues) or other_labels)
    threshold = max(head.threshold, CUED_THRESHOLD) if cautious else head.threshold
    if not has_rule and _word_count(text, scan.masks) < SHORT_WORDS:
        threshold = max(threshold, head.threshold + SHORT_MARGIN)
    if p < threshold:
        return None
    sev = "high" if p >= 0.9 else "medium"
    return Finding(MODEL_RULE, "risk", sev,
                   "The wording is similar to posts about suicide, self-harm or harm from "
                   "others. Please read it and check in with the member.", None, None, p)


def run_checks(text: str, meta: AuthorMeta | None = None) -> CheckResult:
    """Run every automatic check on one post's text."""
    if not isinstance(text, str):
        text = str(text)
    norm = normalise(text)
    scan = scan_risk(_mask_urls(norm))
    findings: list[Finding] = list(scan.findings)
    spam = scan_spam(norm, meta)
    model = _model_finding(text, scan, bool(spam))
    if model is not None:
        findings.append(model)
    findings.extend(scan_pii(norm))
    findings.extend(spam)
    return CheckResult(findings)


def _meta_from(obj: Any) -> AuthorMeta | None:
    if obj is None:
        return None
    if not isinstance(obj, dict):
        raise ValueError("meta must be an object")
    age = obj.get("account_age_days")
    posts = obj.get("post_count")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int | float)):
        raise ValueError("meta.account_age_days must be a number")
    if posts is not None and (isinstance(posts, bool) or not isinstance(posts, int)):
        raise ValueError("meta.post_count must be an integer")
    return AuthorMeta(float(age) if age is not None else None, posts)


def scan_stream(lines: Iterable[str], out: TextIO) -> int:
    """Check JSON lines ``{"text": ..., "meta": {...}}``; write one JSON result per line.

    A malformed line gets ``{"error": "..."}`` on its own output line. Returns the number
    of lines processed (results and errors). Error messages never include post text.
    """
    count = 0
    for line in lines:
        count += 1
        try:
            obj = json.loads(line)
            if not isinstance(obj, dict):
                raise ValueError("line is not a JSON object")
            text = obj.get("text")
            if not isinstance(text, str):
                raise ValueError("missing or non-string 'text'")
            result: dict[str, Any] = run_checks(text, _meta_from(obj.get("meta"))).to_json()
        except json.JSONDecodeError as exc:
            result = {"error": f"invalid JSON at column {exc.colno}"}
        except ValueError as exc:
            result = {"error": str(exc)}
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    return count


def engine_status() -> dict[str, Any]:
    """Whether the semantic layer is running, and why not if it is not."""
    st = semantic.status()
    head = heads.load_head()
    st["risk_head"] = heads.describe(head)
    if head is None and st["semantic"] == "loaded":
        st["semantic"] = "unavailable"
        st["reason"] = f"risk head weights missing or unreadable ({heads.RISK_HEAD_PATH.name})"
    st["rules"] = "loaded"
    return st
