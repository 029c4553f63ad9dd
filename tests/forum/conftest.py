"""Page tests render the real layout, which links to every part of the service. While a
part is still being built on another branch its endpoints may be missing; this adds
plain stand-ins for only those, so page tests run on every branch (a no-op once merged)."""

from __future__ import annotations

import pytest
from flask import Flask

LAYOUT_ENDPOINTS = {
    "accounts.login": "/sign-in",
    "accounts.register": "/register",
    "accounts.settings": "/settings",
    "accounts.logout": "/sign-out",
    "notifications.index": "/notifications",
}


@pytest.fixture(autouse=True, scope="session")
def _layout_endpoints(app: Flask) -> None:
    missing = {name: path for name, path in LAYOUT_ENDPOINTS.items()
               if name not in app.view_functions}
    if not missing:
        return
    # Flask refuses new routes after the first request; these stand-ins are test-only.
    started = app._got_first_request  # noqa: SLF001
    app._got_first_request = False  # noqa: SLF001
    try:
        for name, path in missing.items():
            app.add_url_rule(path, name, lambda: "stand-in", methods=["GET", "POST"])
    finally:
        app._got_first_request = started  # noqa: SLF001
