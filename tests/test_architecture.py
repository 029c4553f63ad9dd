"""The house rules that keep state, audit and events in one place, checked on the source."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*ROOT.glob("forum/**/*.py"), *ROOT.glob("moderation/**/*.py")])


def _adapter(path: Path) -> bool:
    name = path.name
    return (name in {"views.py", "api.py", "sockets.py", "cli.py", "jobs.py"}
            or name.endswith("_views.py") or path.parent.name in {"views", "api"})


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def test_adapters_never_commit() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES
                 if _adapter(p) and re.search(r"\.commit\(\)", _read(p))]
    assert offenders == []


def test_only_the_realtime_layer_emits() -> None:
    allowed = {"forum/realtime.py", "forum/sockets.py"}
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES
                 if re.search(r"socketio\.emit\(", _read(p))
                 and str(p.relative_to(ROOT)) not in allowed]
    assert offenders == []


def test_only_markup_imports_the_sanitiser() -> None:
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES
                 if re.search(r"^\s*(import nh3|from nh3 )", _read(p), re.MULTILINE)
                 and p.relative_to(ROOT).as_posix() != "forum/markup.py"]
    assert offenders == []


def test_nothing_marks_member_text_safe_in_templates() -> None:
    # |safe is allowed only on stored, sanitised post HTML (body_html / html).
    unsafe = []
    for template in ROOT.glob("templates/**/*.html"):
        for match in re.finditer(r"\{\{([^}]*)\|\s*safe", _read(template)):
            expression = match.group(1)
            if "body_html" not in expression and "html" not in expression:
                unsafe.append(f"{template.relative_to(ROOT)}: {expression.strip()}")
    assert unsafe == []
