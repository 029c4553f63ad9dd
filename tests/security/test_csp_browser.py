"""The strict Content-Security-Policy, checked in real Chromium: the NHS.UK CSS and JS work
under it, and nothing on our pages is blocked (every violation is a console error and a
``securitypolicyviolation`` event, both collected here)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

from tests.browser.kit import launch

pytestmark = pytest.mark.browser

PAGES = ["/help/now", "/guidelines", "/privacy", "/no-such-page", "/healthz"]

COLLECT_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => {
  window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI);
});
"""


@pytest.fixture()
def live_server(secure_app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, secure_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def test_pages_load_under_the_policy_without_violations(live_server: str) -> None:
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page()
        page.add_init_script(COLLECT_VIOLATIONS)
        page.on("console", lambda msg: problems.append(f"console: {msg.text}")
                if "Content Security Policy" in msg.text else None)
        scripts_ran: list[Any] = []
        for path in PAGES:
            page.goto(live_server + path)
            page.wait_for_load_state("load")
            problems.extend(f"{path}: {v}" for v in page.evaluate("window.__cspViolations"))
            if path != "/healthz":
                # nhsuk-frontend's script marks the body once it has run.
                scripts_ran.append(page.evaluate(
                    "document.body.classList.contains('nhsuk-frontend-supported')"
                    " || document.body.classList.contains('js-enabled')"))
        real_pages = list(problems)
        # Canary: an injected inline script is blocked, and the blocking is seen.
        page.goto(live_server + "/help/now")
        page.evaluate("""() => { const s = document.createElement('script');
            s.textContent = 'window.__inlineRan = true'; document.body.appendChild(s); }""")
        page.wait_for_function("window.__cspViolations.length > 0")
        inline_ran = page.evaluate("window.__inlineRan === true")
        browser.close()
    assert real_pages == []
    assert all(scripts_ran), scripts_ran
    assert inline_ran is False
    assert any("inline script" in problem for problem in problems)
