"""The house rules that keep state, audit and events in one place, checked on the source."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

from forum.db import ROLLS_BACK_MARKER

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


def _actions() -> list[tuple[str, str]]:
    """Every public action: a module-level ``do_*`` function in forum/ or moderation/."""
    found = []
    for path in SOURCES:
        tree = ast.parse(_read(path))
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        found += [(module, node.name) for node in tree.body
                  if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
                  and node.name.startswith("do_")]
    return found


def test_every_action_rolls_back_when_it_fails() -> None:
    actions = _actions()
    assert len(actions) > 90  # the scan found them (there were 96 when this was written)
    missing = [f"{module}.{name}" for module, name in actions
               if not getattr(getattr(importlib.import_module(module), name),
                              ROLLS_BACK_MARKER, False)]
    assert missing == [], "decorate these with @forum.db.rolls_back_on_error"


def test_adapters_leave_rolling_back_to_the_actions() -> None:
    # forum/sockets.py starts a new snapshot for catch-up; it has written nothing.
    allowed = {"forum/sockets.py"}
    offenders = [str(p.relative_to(ROOT)) for p in SOURCES
                 if _adapter(p) and re.search(r"\.rollback\(\)", _read(p))
                 and p.relative_to(ROOT).as_posix() not in allowed]
    assert offenders == []
