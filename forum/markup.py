"""Member-written Markdown → safe HTML. The only module that imports the sanitiser.

Posts are rendered once, at write time: CommonMark with raw HTML off (markdown-it-py's
``js-default`` preset), then cleaned by nh3 (ammonia) against a short allow-list. We use
nh3 rather than bleach because bleach is no longer maintained, not even for security fixes.
"""

from __future__ import annotations

import html as html_lib
import re

import nh3
from markdown_it import MarkdownIt

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


def _build_parser() -> MarkdownIt:
    parser = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False})
    parser.enable("table").enable("strikethrough")
    # Remote images would tell a third party who reads a health board; leave them as text.
    parser.disable("image")
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
