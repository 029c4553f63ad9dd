"""The account pages in real Chromium: the whole journey works with JavaScript on, and
every page passes axe (no serious or critical problems) and has no inline code."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask
from playwright.sync_api import Page, expect, sync_playwright
from sqlalchemy import select
from werkzeug.serving import make_server

from forum import create_app
from forum.accounts.models import PendingRegistration
from forum.accounts.registration import make_registration_token
from forum.db import job_session
from forum.models import metadata
from tests.browser.kit import launch, require_chromium, serious_axe_violations
from tests.browser.test_layout import assert_no_inline_code

pytestmark = pytest.mark.browser

PASSWORD = "kettle marmalade lighthouse"


def _app(db_path: Path) -> Flask:
    app = create_app({"DATABASE_URL": f"sqlite:///{db_path}", "WTF_CSRF_ENABLED": True},
                     env="test")
    if "notifications" not in app.blueprints:
        # The layout links here; the real page is built on another branch.
        stub = Blueprint("notifications", __name__)
        stub.add_url_rule("/notifications", "index", lambda: "notifications")
        app.register_blueprint(stub)
    metadata.create_all(app.extensions["db_engine"])
    return app


_APPS: dict[str, Flask] = {}


def _finish_link(base: str, username: str) -> str:
    """The address the sign-up email would carry (this app sends no mail: the job's own
    link-making is used on the pending registration)."""
    app = _APPS[base]
    with app.app_context(), job_session(app) as session:
        pending = session.scalar(select(PendingRegistration).where(
            PendingRegistration.username == username))
        assert pending is not None, "the form kept the sign-up"
        return f"/register/finish/{make_registration_token(pending)}"


@pytest.fixture(scope="module")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    app = _app(tmp_path_factory.mktemp("accounts-browser") / "forum.db")
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_port}"
    _APPS[url] = app
    yield url
    httpd.shutdown()
    thread.join(timeout=5)
    app.extensions["db_engine"].dispose()


@pytest.fixture()
def page(server_url: str) -> Iterator[Page]:
    require_chromium()
    with sync_playwright() as playwright:
        browser: Any = launch(playwright)
        context = browser.new_context(base_url=server_url)
        yield context.new_page()
        context.close()
        browser.close()


def page_base(page: Page) -> str:
    scheme, _, rest = page.url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def _check(page: Page) -> None:
    assert serious_axe_violations(page) == []
    assert_no_inline_code(page.content())


def test_account_journey_is_accessible(page: Page) -> None:
    page.goto("/register")
    expect(page).to_have_title("Create an account – Alongside")
    _check(page)

    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_title("Error: Create an account – Alongside")
    expect(page.get_by_role("alert")).to_contain_text("Enter a username")
    _check(page)

    page.get_by_label("Username").fill("WillowBrook")
    page.get_by_label("Email address").fill("willow@example.org")
    page.get_by_label("Create a password").fill(PASSWORD)
    page.get_by_label("I agree to follow the community guidelines").check()
    page.get_by_role("button", name="Create account").click()
    expect(page).to_have_title("Check your email – Alongside")
    _check(page)

    page.goto(_finish_link(page_base(page), "WillowBrook"))
    expect(page).to_have_title("Finish creating your account – Alongside")
    _check(page)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_text("Your account is ready and you are signed in")).to_be_visible()

    page.goto("/settings")  # signed in once the emailed link was used
    expect(page).to_have_title("Settings – Alongside")
    _check(page)
    page.get_by_label("Token name").fill("My phone")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_text("Copy your new token now")).to_be_visible()
    _check(page)

    for path in ("/settings/password", "/settings/email"):
        page.goto(path)
        _check(page)

    page.get_by_role("button", name="Sign out").click()
    page.goto("/sign-in")
    expect(page.get_by_role("navigation", name="Your account").get_by_role(
        "link", name="Sign in")).to_be_visible()
    _check(page)
    page.get_by_label("Username or email address").fill("willow@example.org")
    page.get_by_label("Password", exact=True).fill("not the password at all")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_title("Error: Sign in – Alongside")
    _check(page)

    for path in ("/reset-password", "/reset-password/not-a-real-link"):
        page.goto(path)
        _check(page)
