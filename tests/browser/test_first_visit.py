"""A newcomer's first visit, end to end, as the README promises it.

The site is set up and served exactly as ``make run`` does it (``forum db upgrade``,
``forum demo --if-empty``, ``forum run``) in its own process, on a free loopback port with
its own SQLite file, sending its mail to a real SMTP server (aiosmtpd) this test runs on
another loopback port. In real Chromium a new member registers, is told to check their
email, opens the link the site's background job mailed and finishes creating the account,
joins a board and starts a conversation; a demo member signs in and replies; the first
member sees the reply. Every core page is scanned with axe-core on the way.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from playwright.sync_api import Page, expect, sync_playwright

from forum.demo import DEMO_PASSWORD
from tests.browser.kit import launch, require_chromium, serious_axe_violations
from tests.forum.notifications.smtp_server import Mailbox, body

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def mail_sink() -> Iterator[tuple[Mailbox, int]]:
    """The SMTP server the site sends its mail to, and its port."""
    box = Mailbox()
    port = _free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def mailbox(mail_sink: tuple[Mailbox, int]) -> Mailbox:
    return mail_sink[0]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory,
         mail_sink: tuple[Mailbox, int]) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("first-visit")
    port = _free_port()
    smtp_port = mail_sink[1]
    env = {**os.environ, "FORUM_ENV": "development", "PYTHONPATH": str(ROOT),
           "DATABASE_URL": f"sqlite:///{folder / 'site.db'}", "REDIS_URL": "",
           "BASE_URL": f"http://127.0.0.1:{port}", "RATELIMIT_ENABLED": "false",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "MAIL_USE_TLS": "false",
           "MAIL_USERNAME": ""}
    env.pop("TEST_DATABASE_URL", None)
    forum = [sys.executable, "-m", "forum"]
    for step in (["db", "upgrade"], ["demo", "--if-empty"]):
        done = subprocess.run(forum + step, env=env, timeout=180, cwd=ROOT,
                              capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"forum {' '.join(step)} failed:\n{done.stderr[-3000:]}"
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(forum + ["run", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (folder / "server.log").read_text()
            try:
                if requests.get(base + "/", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "the site did not start within a minute"
            time.sleep(0.2)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


def _assert_accessible(page: Page, what: str) -> None:
    violations = serious_axe_violations(page)
    assert violations == [], f"{what}: {violations}"


def _sign_in(page: Page, base: str, login: str, password: str) -> None:
    page.goto(base + "/sign-in")
    page.get_by_label("Username or email address").fill(login)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()


def _mailed_link(mailbox: Mailbox, address: str, path: str) -> str:
    """The link to ``path`` in the mail the site's background job sent to ``address``."""
    deadline = time.monotonic() + 90
    while True:
        for message in mailbox.to(address):
            found = re.search(rf"(http://127\.0\.0\.1:\d+{re.escape(path)}\S*)",
                              body(message))
            if found:
                return found.group(1)
        assert time.monotonic() < deadline, f"no mail with a {path} link reached {address}"
        time.sleep(0.2)


def test_newcomer_registers_posts_and_sees_a_reply(site: str, mailbox: Mailbox) -> None:
    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            _journey(browser, site, mailbox)
        finally:
            browser.close()


def _journey(browser: Any, base: str, mailbox: Mailbox) -> None:
    newcomer = browser.new_context().new_page()
    newcomer.goto(base + "/")
    expect(newcomer.get_by_role("link", name="Need help now?").first).to_be_visible()
    _assert_accessible(newcomer, "board list")

    newcomer.goto(base + "/register")
    _assert_accessible(newcomer, "register")
    newcomer.get_by_label("Username").fill("willow_path")
    newcomer.get_by_label("Email address").fill("willow@example.org")
    newcomer.get_by_label("Create a password").fill("slow mornings and warm tea")
    newcomer.get_by_label("I agree to follow the community guidelines").check()
    newcomer.get_by_role("button", name="Create account").click()
    # Nobody is signed in yet: the same answer as for an address that has an account.
    expect(newcomer.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(newcomer.get_by_text("We've sent a link to finish creating your account")
           ).to_be_visible()
    expect(newcomer.get_by_role("button", name="Sign out")).to_have_count(0)
    _assert_accessible(newcomer, "check your email")

    # The site's job scheduler mails the link; opening it asks for one press of a button.
    newcomer.goto(_mailed_link(mailbox, "willow@example.org", "/register/finish/"))
    expect(newcomer.get_by_text("Your username will be willow_path")).to_be_visible()
    _assert_accessible(newcomer, "finish creating your account")
    newcomer.get_by_role("button", name="Create my account").click()
    expect(newcomer.get_by_text("Your account is ready and you are signed in")).to_be_visible()
    expect(newcomer.get_by_role("button", name="Sign out")).to_be_visible()

    newcomer.goto(base + "/boards/long-covid")
    _assert_accessible(newcomer, "board page")
    newcomer.get_by_role("button", name="Join this board").click()
    expect(newcomer.get_by_role("button", name="Leave this board")).to_be_visible()
    newcomer.get_by_role("link", name="Start a conversation").first.click()
    _assert_accessible(newcomer, "new conversation form")
    newcomer.get_by_label("Title").fill("Brain fog at work")
    newcomer.get_by_label("Your message").fill(
        "Does anyone have tips for explaining brain fog to a manager?")
    newcomer.get_by_role("button", name="Start the conversation").click()
    expect(newcomer.get_by_role("heading", name="Brain fog at work")).to_be_visible()
    thread_url = newcomer.url.split("#")[0]
    _assert_accessible(newcomer, "thread page")

    helper_page = browser.new_context().new_page()
    _sign_in(helper_page, base, "heron", DEMO_PASSWORD)
    _assert_accessible(helper_page, "signed-in board list")
    helper_page.goto(thread_url)
    helper_page.get_by_label("Your reply").fill(
        "I showed my manager the NHS page on long COVID. It helped them understand.")
    helper_page.get_by_role("button", name="Post your reply").click()
    expect(helper_page.get_by_text("Your reply has been posted.")).to_be_visible()

    newcomer.goto(thread_url)
    expect(newcomer.get_by_text("I showed my manager the NHS page on long COVID.")).to_be_visible()
    expect(newcomer.locator("article.app-post")).to_have_count(2)

    # Someone tries to register with a member's address: the page answers exactly as it
    # did for the newcomer, and only the address's owner hears about it, by email.
    prober = browser.new_context().new_page()
    prober.goto(base + "/register")
    prober.get_by_label("Username").fill("curious_visitor")
    prober.get_by_label("Email address").fill("heron@example.org")
    prober.get_by_label("Create a password").fill("slow mornings and warm tea")
    prober.get_by_label("I agree to follow the community guidelines").check()
    prober.get_by_role("button", name="Create account").click()
    expect(prober.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(prober.get_by_text("We've sent a link to finish creating your account")
           ).to_be_visible()
    expect(prober.get_by_role("button", name="Sign out")).to_have_count(0)
    assert _mailed_link(mailbox, "heron@example.org", "/reset-password")

    sign_in_page = browser.new_context().new_page()
    sign_in_page.goto(base + "/sign-in")
    _assert_accessible(sign_in_page, "sign in")
