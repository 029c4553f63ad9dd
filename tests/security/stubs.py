"""Stand-in views for endpoints other branches are still building.

``base.html`` links to sign-in, settings and notifications, and the limits table names
sign-in, posting and report endpoints. On a branch without those views, a marked stub
takes the endpoint name so pages render and limits can be exercised; once the real view
is merged no stub is added. Used by the security tests' conftest and the resilience
server (a plain module: no pytest import).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

STUB_MARK = "_security_test_stub"
# Endpoints base.html and the error page link to.
LAYOUT_ENDPOINTS = ("accounts.login", "accounts.register", "accounts.settings",
                    "accounts.logout", "notifications.index")


def _stub_view(name: str) -> Callable[..., str]:
    def view(**_values: Any) -> str:
        return f"stub for {name}"

    view.__name__ = "stub_" + name.replace(".", "_")
    view.__qualname__ = view.__name__
    setattr(view, STUB_MARK, True)
    return view


def add_stubs(app: Flask, names: Iterable[str]) -> list[str]:
    """Give each missing endpoint a stub at ``/_stub/<name>``; returns the names stubbed."""
    added = []
    for name in sorted(set(names)):
        if name not in app.view_functions:
            app.add_url_rule(f"/_stub/{name}", endpoint=name, view_func=_stub_view(name),
                             methods=["GET", "POST"])
            added.append(name)
    return added


def is_stub(app: Flask, endpoint: str) -> bool:
    return bool(getattr(app.view_functions.get(endpoint), STUB_MARK, False))


def sign_in(client: Any, user: Any) -> Any:
    """Sign ``user`` in on a Flask test client without the sign-in form."""
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
    return client
