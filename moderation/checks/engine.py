"""The checks engine: rules first, then the semantic risk head, merged into one result."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
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
#: no rule finding, the model must be at least this sure before it flags. 0.80 since the
#: network head (27 Nov 2026): on the five labelled sets not trained on (heldout3b-7,
#: 1,191 posts) 0.93 / 0.85 / 0.80 / 0.75 / 0.70 caught 303 / 304 / 306 / 306 / 308 of 322
#: risk posts for 26 / 26 / 26 / 27 / 27 false alarms.
CUED_THRESHOLD = 0.80
#: Very short posts ("Knackered.", "Anyone awake?") give the encoder little to go on and
#: it reads any first-person feeling as risk-like: below SHORT_WORDS words the model must
#: clear its threshold by SHORT_MARGIN. Explicit short risk ("kms", "want to die") is
#: caught by the rules, which do not depend on length.
SHORT_WORDS = 6
SHORT_MARGIN = 0.10
MAX_CHUNK_CHARS = 700
MAX_CHUNKS = 8
#: Posts longer than WINDOW_FROM_CHARS (and of three or more sentences) are scored
#: sentence by sentence instead of whole: in a long post the one sentence that matters is
#: diluted in a mean-pooled embedding, and the training examples are a sentence or two
#: long. A sentence under WINDOW_MIN_WORDS words is joined to the next. A post with more
#: than MAX_WINDOWS such pieces has neighbouring ones merged to stay within MAX_WINDOWS, so
#: every sentence is always scored and the cost is capped at MAX_WINDOWS encoder runs.
WINDOW_FROM_CHARS = 300
WINDOW_MIN_WORDS = 6
WINDOW_CHARS = 400
MAX_WINDOWS = 8
#: A long post is also scored whole (one more encoder run, only when no window flags it):
#: a post that builds up to risk over several sentences ("the pain, the job, the
#: marriage... I've put the tablets by the bed") can have no single sentence that is
#: sure enough on its own, while the whole reads as risk. Judged against the head's
#: whole threshold, calibrated on long everyday and long hard ordinary posts. Not when no
#: window reaches WHOLE_MIN_WINDOW: in training, every long risk post the whole score
#: caught had a window above 0.5, while a third of long ordinary posts have none above
#: 0.45, and skipping them saves the extra run.
WHOLE_MIN_WINDOW = 0.45
_SPACES = re.compile(r"\s+")


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


@dataclass(frozen=True)
class ModelView:
    """What the encoder scores for one post, and how strictly each piece is judged.

    ``pieces`` are the (masked) texts embedded; ``cued[i]`` says whether piece ``i`` has a
    mitigating cue of its own (negation, recovery, idiom, helpline...), so a cue in one
    corner of a long post does not make the model stricter about the rest of it.
    """

    pieces: list[str]
    cued: list[bool]
    words: int
    #: Scored sentence by sentence (a long post): judged against the head's window
    #: threshold, calibrated for the many chances a long post gives the model to misfire.
    windowed: bool = False
    #: The whole (masked) text of a windowed post, also scored once; ``None`` otherwise.
    whole: str | None = None


def model_view(norm: str, scan: RiskScan) -> ModelView:
    """The model's view of a post whose text is already normalised and URL-masked."""
    hidden = _hide(norm, scan.masks)
    words = len(hidden.split())
    flat = _SPACES.sub(" ", hidden).strip()
    if not flat:
        return ModelView([], [], 0)
    spans = list(sentences(norm))
    if len(flat) <= WINDOW_FROM_CHARS or len(spans) < 3:
        chunks = _chunks(flat)
        return ModelView(chunks, [bool(scan.cues)] * len(chunks), words)
    units = _units(hidden, spans)
    if len(units) > MAX_WINDOWS:  # merge neighbours so that every sentence is still scored
        per = -(-len(units) // MAX_WINDOWS)
        units = [(units[i][0], units[min(i + per, len(units)) - 1][1])
                 for i in range(0, len(units), per)]
    pieces: list[str] = []
    cued: list[bool] = []
    for a, b in units:
        piece = _SPACES.sub(" ", hidden[a:b]).strip()[:WINDOW_CHARS]
        if piece:
            pieces.append(piece)
            cued.append(bool(scan_risk(norm[a:b]).cues))
    return ModelView(pieces, cued, words, windowed=True, whole=flat)


def _units(hidden: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sentences, each joined with the next until it has WINDOW_MIN_WORDS words
    ("Sorry." "Long day." are not scored alone)."""
    out: list[tuple[int, int]] = []
    start = None
    for a, b in spans:
        start = a if start is None else start
        if len(hidden[start:b].split()) >= WINDOW_MIN_WORDS:
            out.append((start, b))
            start = None
    if start is not None:
        if out:
            out[-1] = (out[-1][0], spans[-1][1])
        else:
            out.append((start, spans[-1][1]))
    return out


def model_flags(scores: list[float], view: ModelView, threshold: float, has_rule: bool,
                other_labels: bool, window_threshold: float | None = None,
                whole_score: float | None = None, whole_threshold: float | None = None) -> bool:
    """The model's decision for one post from its pieces' scores (shared with training,
    which calibrates the thresholds through exactly this function).

    ``window_threshold`` (if given) replaces ``threshold`` for a post scored sentence by
    sentence. Stricter where a piece has a mitigating cue, or the post is already spam:
    the model's known misfires; and for very short posts. Never stricter than
    CUED_THRESHOLD. ``whole_score`` is a windowed post's whole-text score, judged against
    ``whole_threshold`` (both needed), and against CUED_THRESHOLD if any piece is cued.
    """
    if _pieces_flag(scores, view, threshold, has_rule, other_labels, window_threshold):
        return True
    if whole_score is None or whole_threshold is None or not view.windowed \
            or max(scores, default=0.0) < WHOLE_MIN_WINDOW:
        return False
    if not has_rule and (any(view.cued) or other_labels):
        whole_threshold = max(whole_threshold, CUED_THRESHOLD)
    return whole_score >= whole_threshold


def _pieces_flag(scores: list[float], view: ModelView, threshold: float, has_rule: bool,
                 other_labels: bool, window_threshold: float | None) -> bool:
    if view.windowed and window_threshold is not None:
        threshold = window_threshold
    short = not has_rule and view.words < SHORT_WORDS
    for score, cued in zip(scores, view.cued, strict=True):
        t = max(threshold, CUED_THRESHOLD) if not has_rule and (cued or other_labels) \
            else threshold
        if short:
            t = max(t, threshold + SHORT_MARGIN)
        if score >= t:
            return True
    return False


def piece_scores(pieces: list[str]) -> list[float] | None:
    """The risk head's score for each piece, or None without a model."""
    emb = semantic.get_embedder()
    head = heads.load_head()
    if emb is None or head is None:
        return None
    return [float(head.score(emb.embed(c), c)) for c in pieces]


def risk_score(text: str, hide: list[tuple[int, int]] | None = None) -> float | None:
    """The risk head's highest score over the post's pieces, or None without a model.

    ``hide`` lists spans (idioms, negated mentions...) blanked out before embedding.
    """
    view = model_view(_mask_urls(normalise(text)), RiskScan([], [], list(hide or [])))
    scores = piece_scores(view.pieces)
    if scores is None:
        return None
    return max(scores, default=0.0)


def _model_finding(norm: str, scan: RiskScan, other_labels: bool) -> Finding | None:
    head = heads.load_head()
    if head is None:
        return None
    try:
        view = model_view(norm, scan)
        scores = piece_scores(view.pieces)
    except Exception as exc:  # noqa: BLE001 - the model must never break posting
        log.warning("moderation semantic model failed on a post: %s", type(exc).__name__)
        return None
    has_rule = bool(scan.findings)
    flagged = bool(scores) and model_flags(scores, view, head.threshold, has_rule, other_labels,
                                           head.window_threshold)
    if not flagged and view.whole and head.whole_threshold is not None \
            and max(scores or [0.0]) >= WHOLE_MIN_WINDOW:
        # Only now: the extra encoder run is spent on long posts no window flagged.
        try:
            whole = piece_scores([view.whole])
        except Exception as exc:  # noqa: BLE001 - the model must never break posting
            log.warning("moderation semantic model failed on a post: %s", type(exc).__name__)
            return None
        if whole:
            flagged = model_flags(scores or [], view, head.threshold, has_rule, other_labels,
                                  head.window_threshold, whole[0], head.whole_threshold)
            scores = [*(scores or []), whole[0]]
    if not flagged or not scores:
        return None
    p = max(scores)
    sev = "high" if p >= 0.9 else "medium"
    return Finding(MODEL_RULE, "risk", sev,
                   "The wording is similar to posts about suicide, self-harm or harm from "
                   "others. Please read it and check in with the member.", None, None, p)


def run_checks(text: str, meta: AuthorMeta | None = None) -> CheckResult:
    """Run every automatic check on one post's text."""
    if not isinstance(text, str):
        text = str(text)
    norm = normalise(text)
    masked = _mask_urls(norm)
    scan = scan_risk(masked)
    findings: list[Finding] = list(scan.findings)
    spam = scan_spam(norm, meta)
    model = _model_finding(masked, scan, bool(spam))
    if model is not None:
        findings.append(model)
    pii = scan_pii(norm)
    if spam:
        # A handle in a spam post ("Telegram @cheapmeds") is the spammer's advert, not a
        # member's identity; the spam flag already brings the post to a person.
        pii = [f for f in pii if f.kind != "social"]
    findings.extend(pii)
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
