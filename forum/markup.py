"""Member-written Markdown → safe HTML. The only module that imports the sanitiser.

Posts are rendered once, at write time: CommonMark with raw HTML off (markdown-it-py's
``js-default`` preset), then cleaned by nh3 (ammonia) against a short allow-list. We use
nh3 rather than bleach because bleach is no longer maintained, not even for security fixes.
"""

from __future__ import annotations

import html as html_lib
import re
from types import SimpleNamespace

import nh3
from markdown_it import MarkdownIt, helpers
from markdown_it.rules_inline import StateInline

ALLOWED_TAGS: frozenset[str] = frozenset({
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"


def parse_link_label(state: StateInline, start: int, disableNested: bool = False) -> int:  # noqa: N803
    """markdown-it-py's ``parseLinkLabel`` (4.x, the same steps), remembering labels that
    found no end.

    Every ``[`` makes markdown-it look ahead for the ``]`` that ends its label, trying a
    link at each ``[`` on the way (recursively, up to ``maxNesting``, 100, deep). The tokens
    it skips are cached, but the look-ahead's own answer is not, so in a paragraph of
    unmatched brackets each ``[`` walked the cached positions after it again at every
    depth: 20,000 ``[`` took about a second, some 100 times a typical post of that length.

    What is remembered: the look-ahead from a ``[`` failed (ran to the end of the paragraph,
    or met a link inside the label, or markdown-it's nesting limit). A later look-ahead
    that reaches that ``[`` as plain text (no link starts there) would walk the very same
    cached tokens from there one level deeper, so it can only fail the same way: it stops
    there. Same start, same end of paragraph and same ``disableNested``, so the answer is
    exactly the one the full walk gives (``tests/forum/test_markup.py`` compares the two
    on thousands of bracket-heavy inputs)."""
    failed: set[tuple[int, int, bool]] | None = getattr(state, "_failed_labels", None)
    if failed is None:
        failed = set()
        state._failed_labels = failed  # type: ignore[attr-defined]
    oldPos = state.pos  # noqa: N806
    state.pos = start + 1
    level = 1
    while state.pos < state.posMax:
        marker = state.src[state.pos]
        if marker == "]":
            level -= 1
            if level == 0:
                labelEnd = state.pos  # noqa: N806
                state.pos = oldPos
                return labelEnd
        prevPos = state.pos  # noqa: N806
        state.md.inline.skipToken(state)
        if marker == "[":
            if prevPos == state.pos - 1:
                # A text "[": if its own look-ahead failed, this one fails too.
                if (prevPos, state.posMax, disableNested) in failed:
                    break
                level += 1
            elif disableNested:
                break
    failed.add((start, state.posMax, disableNested))
    state.pos = oldPos
    return -1


def _build_parser() -> MarkdownIt:
    parser = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table").enable("strikethrough")
    # Remote images would tell a third party who reads a health board; leave them as text.
    parser.disable("image")
    # This parser's own helpers (markdown-it's module is shared), with the label look-ahead
    # that remembers unclosed labels: a post of unmatched "[" costs about what other text does.
    parser.helpers = SimpleNamespace(**{name: getattr(helpers, name) for name in helpers.__all__})
    parser.helpers.parseLinkLabel = parse_link_label
    return parser


_parser = _build_parser()


def clean_html(html: str) -> str:
    """Clean HTML against the allow-list (also used for staff-written rich text)."""
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        attributes={tag: set(attrs) for tag, attrs in ALLOWED_ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=LINK_REL,
        strip_comments=True,
    )


def render_markdown(source: str) -> str:
    """Render Markdown source to clean HTML for storage."""
    # Heading levels start at 3 inside a post, so a post's headings never outrank the page's.
    html = _parser.render(source)
    html = _demote_headings(html)
    return clean_html(html)


_HEADING = re.compile(r"<(/?)h([1-6])>")


def _demote_headings(html: str) -> str:
    return _HEADING.sub(lambda m: f"<{m.group(1)}h{min(int(m.group(2)) + 2, 6)}>", html)


def quote_markdown(author_name: str, source: str, post_id: int) -> str:
    """Markdown that quotes ``source`` in a new reply, attributed to its author."""
    lines = source.strip().splitlines() or [""]
    quoted = "\n".join(f"> {line}" if line else ">" for line in lines)
    heading = f"> **{_escape_md(author_name)}** wrote ([post {post_id}](#post-{post_id})):"
    return f"{heading}\n>\n{quoted}\n\n"


def _escape_md(text: str) -> str:
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|>~<])", r"\\\1", text)


def plain_text(html: str) -> str:
    """Text content of stored HTML, for excerpts and emails from public boards."""
    return html_lib.unescape(re.sub(r"\s+", " ", nh3.clean(html, tags=set()))).strip()
