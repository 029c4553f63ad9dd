"""The layout, form macros, help and error pages, checked in real Chromium.

A tiny Flask app is built here with stub views for every endpoint the layout links to,
so these tests need nothing from the rest of the app. The pages themselves are the real
templates, rendered through ``init_templating``.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Blueprint, Flask, abort, flash, redirect, render_template, render_template_string
from flask import url_for as flask_url_for
from flask_login import LoginManager, UserMixin, login_user, logout_user
from flask_wtf import FlaskForm
from flask_wtf.csrf import CSRFProtect
from playwright.sync_api import Page, expect, sync_playwright
from werkzeug.serving import make_server
from wtforms import (
    BooleanField,
    PasswordField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Optional

from forum.templating import format_datetime, init_templating, time_ago
from tests.browser.kit import launch, require_chromium, serious_axe_violations

pytestmark = pytest.mark.browser

REPO_ROOT = Path(__file__).resolve().parents[2]
VENDOR_CSS = REPO_ROOT / "static" / "vendor" / "nhsuk-frontend" / "nhsuk-frontend.min.css"

STUB_PAGE = """{% extends "base.html" %}
{% block title %}{{ heading }}{% endblock %}
{% block content %}<h1>{{ heading }}</h1><p>Stub page for the layout tests.</p>{% endblock %}
"""

FORM_PAGE = """{% extends "base.html" %}
{% import "_forms.html" as forms %}
{% block title %}Tell us about you{% endblock %}
{% block content %}
{{ forms.error_summary(form) }}
<h1>Tell us about you</h1>
<form method="post" novalidate>
  {{ forms.csrf(form) }}
  {{ forms.input(form.username, hint="This is the name other members see.",
                 autocomplete="username") }}
  {{ forms.password(form.password, autocomplete="new-password") }}
  {{ forms.textarea(form.about, rows=4, max_length=500) }}
  {{ forms.radios(form.contact) }}
  {{ forms.select(form.board) }}
  {{ forms.checkbox(form.accept) }}
  {{ forms.submit("Save") }}
</form>
{% endblock %}
"""


class AboutYouForm(FlaskForm):
    username = StringField("Username", validators=[DataRequired("Enter your username")])
    password = PasswordField("Password", validators=[Optional()])
    about = TextAreaField("About you", validators=[Optional()])
    contact = RadioField(
        "How should we contact you?",
        choices=[SelectChoice("email", "By email"), SelectChoice("none", "Do not contact me")],
        default="email",
    )
    board = SelectField(
        "Board", choices=[SelectChoice("1", "Living with diabetes"), SelectChoice("2", "Arthritis")]
    )
    accept = BooleanField("I agree to the community guidelines")


class StubUser(UserMixin):
    def __init__(self, user_id: str) -> None:
        self.id = user_id
        self.is_staff = user_id == "staff"


def make_app(with_moderation: bool = False) -> Flask:
    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder=str(REPO_ROOT / "static"),
        static_url_path="/static",
    )
    # The help pages fill in settings (retention periods, contacts) from the config.
    from config import SETTINGS

    app.config.update({setting.name: setting.default for setting in SETTINGS
                       if "RETENTION" in setting.name or setting.name.startswith(
                           ("PRIVACY_", "SECURITY_", "DATA_CONTROLLER"))})
    app.config.update(SECRET_KEY="layout-tests-only", SERVICE_NAME="Alongside")
    init_templating(app)
    CSRFProtect(app)
    login = LoginManager(app)
    login.user_loader(StubUser)

    def stub(heading: str) -> Any:
        return lambda: render_template_string(STUB_PAGE, heading=heading)

    boards = Blueprint("boards", __name__)
    boards.add_url_rule("/", "index", stub("Boards"))

    accounts = Blueprint("accounts", __name__, url_prefix="/account")
    accounts.add_url_rule("/sign-in", "login", stub("Sign in"))
    accounts.add_url_rule("/register", "register", stub("Create an account"))
    accounts.add_url_rule("/settings", "settings", stub("Settings"))

    @accounts.post("/sign-out")
    def logout() -> Any:
        logout_user()
        flash("You have signed out.", "success")
        return redirect(flask_url_for("boards.index"))

    @accounts.get("/test-sign-in/<user_id>")
    def test_sign_in(user_id: str) -> Any:
        login_user(StubUser(user_id))
        return redirect(flask_url_for("boards.index"))

    notifications = Blueprint("notifications", __name__, url_prefix="/notifications")
    notifications.add_url_rule("/", "index", stub("Notifications"))

    help_pages = Blueprint("help", __name__, url_prefix="/help")
    help_pages.add_url_rule("/urgent", "crisis", lambda: render_template("help/crisis.html"))
    help_pages.add_url_rule(
        "/guidelines", "guidelines", lambda: render_template("help/guidelines.html")
    )
    help_pages.add_url_rule("/privacy", "privacy", lambda: render_template("help/privacy.html"))

    privacy = Blueprint("privacy", __name__)
    privacy.add_url_rule("/settings/your-data", "export", stub("Download your data"))
    privacy.add_url_rule("/settings/close-account", "delete_account", stub("Close your account"))

    for blueprint in (boards, accounts, notifications, help_pages, privacy):
        app.register_blueprint(blueprint)

    if with_moderation:
        moderation = Blueprint("moderation", __name__, url_prefix="/review")
        moderation.add_url_rule("/", "queue", stub("Review queue"))
        app.register_blueprint(moderation)

    @app.route("/form", methods=["GET", "POST"])
    def form_page() -> Any:
        form = AboutYouForm()
        form.validate_on_submit()
        return render_template_string(FORM_PAGE, form=form)

    @app.route("/flashes")
    def flashes() -> Any:
        flash("Your reply has been posted.", "success")
        flash("Replies on this board are checked before they appear.", "info")
        flash("You have 1 day left to edit this post.", "warning")
        flash("We could not send that. Please try again.", "error")
        return render_template_string(STUB_PAGE, heading="Messages")

    @app.route("/broken")
    def broken() -> Any:
        abort(500)

    @app.errorhandler(404)
    @app.errorhandler(500)
    def error_page(exc: Any) -> Any:
        return render_template("errors/error.html", status=exc.code), exc.code

    return app


class _Server:
    def __init__(self, app: Flask) -> None:
        self.httpd = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.httpd.server_port}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> _Server:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    require_chromium()
    assert VENDOR_CSS.exists(), "Run `bash scripts/fetch-assets.sh` before the browser tests."
    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server() -> Iterator[_Server]:
    with _Server(make_app()) as running:
        yield running


@pytest.fixture
def page(browser: Any, server: _Server) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url)
    page = context.new_page()
    problems: list[str] = []

    def check_response(response: Any) -> None:
        # Our own files must all load (CSS, JS module, images). The Frutiger web font is
        # hosted by NHS.UK, so other origins are not checked; error pages are tested
        # on purpose; Chromium asks for /favicon.ico by itself.
        if (
            response.url.startswith(server.url)
            and response.status >= 400
            and response.request.resource_type != "document"
            and "favicon" not in response.url
        ):
            problems.append(f"{response.status} {response.url}")

    page.on("response", check_response)
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    yield page
    context.close()
    assert problems == [], problems


class _InlineCode(HTMLParser):
    """Collects inline scripts and on* event handler attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.inline_scripts = 0
        self.handlers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower() for name, _ in attrs}
        if tag == "script" and "src" not in names:
            self.inline_scripts += 1
        self.handlers += [f"<{tag} {name}>" for name in names if name.startswith("on")]


def assert_no_inline_code(html: str) -> None:
    parser = _InlineCode()
    parser.feed(html)
    assert parser.inline_scripts == 0, "inline <script> found; a strict CSP would block it"
    assert parser.handlers == [], f"inline event handlers found: {parser.handlers}"


def assert_calm_page(page: Page, title: str) -> None:
    """Checks every page must pass: title, help link, styles and scripts loaded, axe."""
    expect(page).to_have_title(title)
    expect(page.get_by_role("banner").get_by_text("Alongside", exact=True)).to_be_visible()
    help_links = page.get_by_role("link", name="Need help now?", exact=True)
    expect(help_links.first).to_be_visible()
    expect(help_links.first).to_have_attribute("href", "/help/urgent")
    # The NHS.UK CSS is applied (header is NHS blue) and the JS module ran.
    header_colour = page.locator("header.nhsuk-header").evaluate(
        "el => getComputedStyle(el).backgroundColor"
    )
    assert header_colour == "rgb(0, 94, 184)"
    expect(page.locator("body")).to_have_class(re.compile(r"\bnhsuk-frontend-supported\b"))
    assert page.locator("#live-status[aria-live=polite]").count() == 1
    assert serious_axe_violations(page) == []
    assert_no_inline_code(page.content())


PAGES = [
    ("/", "Boards – Alongside"),
    ("/help/urgent", "Need help now? – Alongside"),
    ("/help/guidelines", "Community guidelines – Alongside"),
    ("/help/privacy", "Privacy – Alongside"),
    ("/form", "Tell us about you – Alongside"),
    ("/flashes", "Messages – Alongside"),
]


@pytest.mark.parametrize(("path", "title"), PAGES)
def test_page_is_calm_and_accessible(page: Page, path: str, title: str) -> None:
    response = page.goto(path)
    assert response is not None and response.status == 200
    assert_no_inline_code(response.text())
    assert_calm_page(page, title)


def test_skip_link_is_first_and_moves_focus_to_main(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.locator(":focus")
    expect(focused).to_have_text("Skip to main content")
    page.keyboard.press("Enter")
    expect(page.locator("main#maincontent")).to_be_focused()


def test_need_help_link_is_reachable_by_keyboard(page: Page) -> None:
    page.goto("/")
    for _ in range(15):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Need help now?":
            break
    else:
        pytest.fail("'Need help now?' was not reached within 15 presses of Tab")
    page.keyboard.press("Enter")
    expect(page).to_have_title("Need help now? – Alongside")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_have_text("Need help now?")
    for text in ("Samaritans", "116 123", "NHS 111", "option 2", "999", "85258"):
        expect(main).to_contain_text(text)
    expect(main.get_by_role("link", name="Samaritans")).to_have_attribute("href", "tel:116123")


def test_form_error_summary_links_to_the_field(page: Page) -> None:
    page.goto("/form")
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_title("Error: Tell us about you – Alongside")
    summary = page.locator(".nhsuk-error-summary")
    # The NHS.UK script focuses the summary so screen readers hear it straight away.
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading")).to_have_text("There is a problem")
    links = summary.get_by_role("link")
    expect(links).to_have_count(1)  # one error: the username is missing
    expect(links.first).to_have_text("Enter your username")
    expect(links.first).to_have_attribute("href", "#username")
    username = page.get_by_label("Username")
    expect(username).to_have_accessible_description(
        re.compile(r"This is the name other members see\.\s+Error:\s+Enter your username")
    )
    links.first.click()
    expect(username).to_be_focused()
    # The other answers survive the round trip, so nobody has to type them again.
    expect(page.get_by_label("By email")).to_be_checked()
    assert serious_axe_violations(page) == []
    assert_no_inline_code(page.content())


def test_valid_form_has_no_error_summary(page: Page) -> None:
    page.goto("/form")
    page.get_by_label("Username").fill("sam")
    page.get_by_label("About you").fill("Two lines\nof text")
    page.get_by_label("I agree to the community guidelines").check()
    page.get_by_role("button", name="Save").click()
    expect(page).to_have_title("Tell us about you – Alongside")
    expect(page.locator(".nhsuk-error-summary")).to_have_count(0)
    expect(page.get_by_label("Username")).to_have_value("sam")
    expect(page.get_by_label("About you")).to_have_value("Two lines\nof text")
    expect(page.get_by_label("I agree to the community guidelines")).to_be_checked()


def test_error_pages_are_calm(page: Page) -> None:
    response = page.goto("/no-such-page")
    assert response is not None and response.status == 404
    assert_calm_page(page, "Page not found – Alongside")
    expect(page.get_by_role("main")).to_contain_text("check it is correct")

    response = page.goto("/broken")
    assert response is not None and response.status == 500
    assert_calm_page(page, "Sorry, there is a problem with the service – Alongside")


def test_signed_in_navigation_and_sign_out(page: Page) -> None:
    page.goto("/account/test-sign-in/member")
    account = page.get_by_role("navigation", name="Your account")
    expect(account.get_by_role("link", name="Notifications")).to_be_visible()
    expect(account.get_by_role("link", name="Settings")).to_be_visible()
    expect(account.get_by_role("link", name="Sign in")).to_have_count(0)
    # No moderation blueprint in this app, so even staff would get no broken link.
    expect(page.get_by_role("link", name="Review queue")).to_have_count(0)
    expect(page.get_by_role("link", name="Boards")).to_have_attribute("aria-current", "page")
    assert serious_axe_violations(page) == []

    # Sign out is a POST with the CSRF token; CSRFProtect rejects it without one.
    account.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("alert")).to_contain_text("You have signed out.")
    expect(account.get_by_role("link", name="Sign in")).to_be_visible()
    expect(account.get_by_role("link", name="Create an account")).to_be_visible()


def test_staff_see_review_queue_once_it_exists(browser: Any) -> None:
    with _Server(make_app(with_moderation=True)) as running:
        context = browser.new_context(base_url=running.url)
        page = context.new_page()
        page.goto("/account/test-sign-in/member")
        expect(page.get_by_role("link", name="Review queue")).to_have_count(0)
        page.goto("/account/test-sign-in/staff")
        expect(page.get_by_role("link", name="Review queue")).to_have_attribute("href", "/review/")
        context.close()


def test_flash_messages_use_the_right_roles(page: Page) -> None:
    page.goto("/flashes")
    banners = page.locator(".nhsuk-notification-banner")
    expect(banners).to_have_count(4)
    expect(banners.nth(0)).to_have_attribute("role", "alert")  # success
    expect(banners.nth(1)).to_have_attribute("role", "status")  # info
    expect(banners.nth(2)).to_have_attribute("role", "alert")  # warning
    expect(banners.nth(3)).to_have_attribute("role", "alert")  # error
    expect(banners.nth(3)).to_contain_text("We could not send that.")
    ids = page.eval_on_selector_all("[id]", "els => els.map(e => e.id)")
    assert len(ids) == len(set(ids)), "duplicate ids on the page"


# --- Rendering checks that need no browser -----------------------------------------


def test_macros_escape_member_text() -> None:
    app = make_app()
    with app.test_request_context("/form", method="POST", data={"username": "<b>x</b>"}):
        form = AboutYouForm(meta={"csrf": False})
        form.validate()
        html = render_template_string(
            '{% import "_forms.html" as forms %}'
            '{{ forms.input(form.username, hint="<script>alert(1)</script>") }}'
            "{{ forms.textarea(form.about) }}",
            form=form,
        )
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert 'value="&lt;b&gt;x&lt;/b&gt;"' in html


def test_dates_read_naturally_in_uk_time() -> None:
    app = make_app()
    with app.app_context():
        # 15:05 UTC in November is 3:05pm in London; in June it is 4:05pm (BST).
        assert format_datetime(datetime(2026, 11, 26, 15, 5, tzinfo=UTC)) == (
            "26 November 2026 at 3:05pm"
        )
        assert format_datetime(datetime(2026, 6, 1, 15, 5, tzinfo=UTC)) == "1 June 2026 at 4:05pm"
        assert format_datetime(datetime(2026, 1, 2, 12, 0, tzinfo=UTC)) == (
            "2 January 2026 at midday"
        )
        now = datetime(2026, 11, 26, 15, 5, tzinfo=UTC)
        assert time_ago(now - timedelta(seconds=20), now) == "just now"
        assert time_ago(now - timedelta(minutes=1), now) == "1 minute ago"
        assert time_ago(now - timedelta(minutes=5), now) == "5 minutes ago"
        assert time_ago(now - timedelta(hours=3), now) == "3 hours ago"
        assert time_ago(now - timedelta(days=1), now) == "yesterday"
        assert time_ago(now - timedelta(days=3), now) == "3 days ago"
        assert time_ago(now - timedelta(days=30), now) == "27 October 2026"
        assert time_ago(now + timedelta(seconds=30), now) == "just now"
