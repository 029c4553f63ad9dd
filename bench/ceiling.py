"""The ceiling: a minimal Flask + Jinja app serving a thread-sized page from memory.

Started by :mod:`bench.http` under the same production server as the forum (gunicorn +
gevent, ``config/gunicorn.conf.py``) as ``gunicorn bench.ceiling:app``. It does what any
page on this stack must do (route, render a Jinja template with a loop of 50 posts,
autoescape, respond) and nothing the forum adds (database, sessions, permissions), so its
throughput is the most this stack can give on this machine.

``CEILING_BYTES`` sets the page size in bytes: the benchmark measures the real thread page
first and passes its size, so both answers are the same length on the wire.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, render_template
from jinja2 import DictLoader

from bench.seed import BODIES

POSTS = 50

PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>{{ title }} - Alongside</title></head>
<body>
<main id="maincontent">
<h1>{{ title }}</h1>
<ol class="posts">
{% for post in posts %}
<li id="post-{{ post.id }}"><article>
<p class="post-meta">{{ post.author }} wrote on {{ post.when }}</p>
<div class="post-body">{{ post.html|safe }}</div>
</article></li>
{% endfor %}
</ol>
<!-- {{ padding }} -->
</main>
</body>
</html>
"""


def _posts(count: int) -> list[dict[str, Any]]:
    from forum.markup import render_markdown

    rendered = [render_markdown(body) for body in BODIES]
    return [{"id": 1000 + i, "author": f"member{i:04d}", "when": "3 March 2025",
             "html": rendered[i % len(rendered)]} for i in range(count)]


def create_app(size: int | None = None) -> Flask:
    """The ceiling app; ``size`` (default ``CEILING_BYTES``) is the exact body length."""
    app = Flask(__name__)
    app.jinja_loader = DictLoader({"page.html": PAGE})
    target = size if size is not None else int(os.environ.get("CEILING_BYTES", "60000"))
    context: dict[str, Any] = {"title": "How do you explain it to family?", "padding": ""}
    with app.app_context():
        count = POSTS
        while True:
            context["posts"] = _posts(count)
            length = len(render_template("page.html", **context).encode("utf-8"))
            if length <= target or count == 0:
                break
            count -= 1  # a real page smaller than 50 bodies: fewer posts, then pad
        context["padding"] = "x" * max(0, target - length)

    @app.get("/")
    def page() -> str:
        return render_template("page.html", **context)

    return app


app = create_app() if os.environ.get("CEILING_BYTES") else None
