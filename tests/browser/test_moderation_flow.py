"""In Chromium: a member reports a post; the facilitator's open review queue shows it
without reloading; the facilitator hides it with the templated reason; the author sees
the notice. The part-2 pages, an escalation and a lead's view of one pass axe. Runs the
real site (``forum run``, Socket.IO in-process) on a loopback port."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.browser.kit import launch, require_chromium, serious_axe_violations

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a calm walk by the river"

# Builds the schema from the models (the migration is regenerated at merge) and the
# people and post the journey needs, through the real actions. Prints their ids.
SEED = """
import json
import re
from forum import create_app
from forum.models import metadata
from forum.db import job_session
from forum.accounts.actions import do_create_user
from forum.accounts.models import Role
from forum.boards.actions import do_create_board, do_assign_facilitator
from forum.permissions import load_viewer
from forum.threads.actions import do_create_thread
from datetime import timedelta
from sqlalchemy import select
from moderation.actions import do_escalate_case, do_report_post
from moderation.escalations import check_escalation_deadlines
from moderation.models import Case
from moderation.protocol import do_add_lead
app = create_app()
metadata.create_all(app.extensions["db_engine"])
with app.app_context(), job_session(app) as s:
    users = {n: do_create_user(s, actor=None, username=n, email=n + "@example.org",
                               password=PASSWORD, role=Role.MEMBER)
             for n in ("guidejo", "reporterann", "writerbo")}
    board = do_create_board(s, actor=None, name="Living with COPD", slug="copd")
    do_assign_facilitator(s, actor=None, board=board, user=users["guidejo"])
    # A second, quiet board: the duty page offers guidejo a choice of boards.
    breath = do_create_board(s, actor=None, name="Breathing exercises", slug="breathing")
    do_assign_facilitator(s, actor=None, board=breath, user=users["guidejo"])
    admin = do_create_user(s, actor=None, username="adminpat", email="adminpat@example.org",
                           password=PASSWORD, role=Role.ADMIN)
    out = do_create_thread(s, actor=load_viewer(s, users["writerbo"]), board=board,
                           title="Pacing on bad breathing days",
                           body="Does anyone have tips for pacing on a bad breathing day?")
    # On another board (so guidejo's queue stays empty): an escalation that reached the
    # leads (level 2), and a lead who facilitates no board.
    carers = do_create_board(s, actor=None, name="Caring for someone", slug="carers")
    sam = do_create_user(s, actor=None, username="guidesam", email="guidesam@example.org",
                         password=PASSWORD, role=Role.MEMBER)
    do_assign_facilitator(s, actor=None, board=carers, user=sam)
    do_create_user(s, actor=None, username="leadkim", email="leadkim@example.org",
                   password=PASSWORD, role=Role.MEMBER)
    do_add_lead(s, actor=load_viewer(s, admin), username="leadkim", title="Clinical lead")
    evening = do_create_thread(s, actor=load_viewer(s, users["writerbo"]), board=carers,
                               title="Evenings", body="Does anyone have an evening routine?")
    do_report_post(s, actor=load_viewer(s, users["reporterann"]), post=evening.post,
                   reason="abuse", note="Please look")
    case = s.scalar(select(Case).where(Case.post_id == evening.post.id))
    esc = do_escalate_case(s, actor=load_viewer(s, sam), case=case, reason="Worried",
                           tier="medium")
    check_escalation_deadlines(s, esc.created_at + timedelta(days=1))
    print(json.dumps({"post_id": out.post.id, "escalation_id": esc.id, "case_id": case.id}))
""".replace("PASSWORD", repr(PASSWORD))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, int]]]:
    folder = tmp_path_factory.mktemp("moderation-flow")
    port = _free_port()
    env = {**os.environ, "FORUM_ENV": "development", "PYTHONPATH": str(ROOT),
           "DATABASE_URL": f"sqlite:///{folder / 'site.db'}", "REDIS_URL": "",
           "BASE_URL": f"http://127.0.0.1:{port}", "RATELIMIT_ENABLED": "false",
           "DEMO_CONTENT": "false"}
    env.pop("TEST_DATABASE_URL", None)
    seeded = subprocess.run([sys.executable, "-c", SEED], env=env, cwd=ROOT, timeout=180,
                            capture_output=True, text=True, check=False)
    assert seeded.returncode == 0, seeded.stderr[-3000:]
    ids = json.loads(seeded.stdout.strip().splitlines()[-1])
    log = (folder / "server.log").open("w")
    server = subprocess.Popen([sys.executable, "-m", "forum", "run", "--host", "127.0.0.1",
                               "--port", str(port)], env=env, cwd=ROOT, stdout=log,
                              stderr=subprocess.STDOUT)
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
        yield base, ids
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# Two-step secrets of staff who set it up earlier in this module's site.
_TOTP_SECRETS: dict[str, str] = {}
_LAST_STEP: dict[str, int] = {}


def _signed_in(browser: Browser, base: str, login: str) -> Page:
    page = browser.new_context().new_page()
    page.goto(base + "/sign-in")
    page.get_by_label("Username or email address").fill(login)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    import pyotp

    if "/sign-in/set-up-two-step" in page.url:
        # Staff set up two-step sign-in the first time, as a facilitator would.
        secret = page.get_by_test_id("totp-secret").inner_text().replace(" ", "")
        _TOTP_SECRETS[login] = secret
        _LAST_STEP[login] = int(time.time() // 30)
        page.get_by_label("Security code").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="Turn on two-step sign-in").click()
        # Set-up makes a QR code and ten recovery codes: slow on a busy machine.
        page.get_by_role("link", name="I have saved my codes, continue").click(timeout=90_000)
    elif "/sign-in/code" in page.url:
        # Signing in again: a later time step's code than the last one used (a code cannot
        # be used twice, and only the step either side of now is accepted).
        step = max(int(time.time() // 30), _LAST_STEP.get(login, -1) + 1)
        while step > int(time.time() // 30) + 1:
            time.sleep(1)
        _LAST_STEP[login] = step
        code = pyotp.TOTP(_TOTP_SECRETS[login]).at(step * 30)
        page.get_by_label("Security code").fill(code)
        page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible(timeout=30_000)
    return page


def test_report_reaches_live_queue_and_hide_reaches_author(
        site: tuple[str, dict[str, int]]) -> None:
    base, ids = site
    post_id = ids["post_id"]
    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            guide = _signed_in(browser, base, "guidejo")
            guide.goto(base + "/moderation/")
            expect(guide.get_by_text("Nothing to review right now.")).to_be_visible()
            # Wait until the queue's socket has joined the staff room.
            guide.wait_for_function("() => window.io !== undefined")

            reporter = _signed_in(browser, base, "reporterann")
            reporter.goto(f"{base}/posts/{post_id}/report")
            reporter.get_by_label("Bullying or abuse").check()
            reporter.get_by_role("button", name="Send report").click()
            expect(reporter.get_by_role("heading", name="Thank you for your report")
                   ).to_be_visible()

            # No reload: queue.js hears case.opened and fetches the list again.
            item = guide.get_by_role("link", name="Pacing on bad breathing days")
            expect(item).to_be_visible(timeout=15000)
            item.click()
            guide.locator("#action-hide summary").click()
            message = guide.locator("#hide-message")
            expect(message).to_contain_text("does not fit our community guidelines")
            guide.locator("#hide-reason").fill("Name-calling another person")
            guide.get_by_role("button", name="Hide the post").click()
            expect(guide.get_by_text("The post is hidden. The author has been told why.")
                   ).to_be_visible()

            author = _signed_in(browser, base, "writerbo")
            author.goto(base + "/my/notices")
            expect(author.get_by_role("heading", name="We have hidden one of your posts")
                   ).to_be_visible()
            expect(author.get_by_text("Reason: Name-calling another person")).to_be_visible()
            expect(author.get_by_role("link", name="Ask for this decision to be looked at "
                                                   "again")).to_be_visible()
        finally:
            browser.close()


DUTY_PAGES = [("guidejo", "/moderation/escalations", "Escalations"),
              ("guidejo", "/moderation/duty", "Who is on duty"),
              ("guidejo", "/moderation/handover", "Handover queue"),
              ("guidejo", "/moderation/unanswered", "Unanswered posts"),
              ("adminpat", "/moderation/admin/rota", "Rota and coverage"),
              ("adminpat", "/moderation/admin/training", "Training records"),
              ("adminpat", "/moderation/admin/workload", "Workload"),
              ("adminpat", "/moderation/admin/emergency", "Leads and emergency protocol")]


def test_duty_pages_pass_axe_and_the_board_shows_the_unwatched_banner(
        site: tuple[str, dict[str, int]]) -> None:
    base, ids = site
    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            # Nobody is on duty on this site: the board says so calmly, with help.
            visitor = browser.new_context().new_page()
            visitor.goto(base + "/boards/copd")
            expect(visitor.locator("#unwatched-banner")).to_contain_text(
                "not being watched by a facilitator right now")
            assert serious_axe_violations(visitor) == []
            pages = {name: _signed_in(browser, base, name) for name in ("guidejo", "adminpat")}
            for who, path, heading in DUTY_PAGES:
                page = pages[who]
                page.goto(base + path)
                expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
                assert serious_axe_violations(page) == [], path
                if path == "/moderation/duty":  # the choice of boards is on the page
                    expect(page.get_by_role("checkbox", name="Breathing exercises")
                           ).to_be_visible()
            # An escalation, with who saw it on its timeline.
            admin = pages["adminpat"]
            admin.goto(f"{base}/moderation/escalations/{ids['escalation_id']}")
            expect(admin.get_by_role("heading", level=1, name="Medium risk escalation")
                   ).to_be_visible()
            expect(admin.get_by_text("Seen by adminpat")).to_be_visible()
            assert serious_axe_violations(admin) == []
            # A lead of no board: the queue, the escalation, and the item read-only.
            lead = _signed_in(browser, base, "leadkim")
            for path, text in [("/moderation/", "1 open escalation"),
                               (f"/moderation/escalations/{ids['escalation_id']}",
                                "I have seen this and I am on it"),
                               (f"/moderation/cases/{ids['case_id']}",
                                "its escalation has reached you")]:
                lead.goto(base + path)
                expect(lead.get_by_text(text)).to_be_visible()
                assert serious_axe_violations(lead) == [], path
        finally:
            browser.close()


def test_admin_resets_a_facilitators_lost_two_step_sign_in(site: tuple[str, int]) -> None:
    """Member details → "Reset two-step sign-in": the facilitator's open page is signed
    out, and their next sign-in asks them to set two-step sign-in up again."""
    base, _ = site
    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            guide = _signed_in(browser, base, "guidejo")
            admin = _signed_in(browser, base, "adminpat")
            admin.goto(base + "/admin/members/guidejo")
            expect(admin.get_by_role("heading", level=1, name="Member details: guidejo")
                   ).to_be_visible()
            assert serious_axe_violations(admin) == []
            admin.get_by_role("link", name="Reset two-step sign-in for guidejo").click()
            expect(admin.get_by_role("heading", level=1,
                                     name="Reset two-step sign-in for guidejo")).to_be_visible()
            assert serious_axe_violations(admin) == []
            admin.get_by_label("Why are you resetting it?").fill(
                "Lost phone, confirmed by a call to their lead")
            admin.get_by_role("button", name="Reset two-step sign-in").click()
            expect(admin.get_by_text("Two-step sign-in for guidejo has been reset")
                   ).to_be_visible()

            guide.goto(base + "/moderation/")
            expect(guide.get_by_role("button", name="Sign out")).to_have_count(0)
            again = browser.new_context().new_page()
            again.goto(base + "/sign-in")
            again.get_by_label("Username or email address").fill("guidejo")
            again.get_by_label("Password", exact=True).fill(PASSWORD)
            again.get_by_role("button", name="Sign in").click()
            expect(again).to_have_url(re.compile(r"/sign-in/set-up-two-step$"))
        finally:
            browser.close()


def _two_live_staff_pages(browser: Browser, base: str, username: str,
                          other: str) -> tuple[Page, Page]:
    """``username``'s review queue and ``other`` page, in one browser context, each
    joined to its live room."""
    queue = _signed_in(browser, base, username)
    second = queue.context.new_page()
    queue.goto(base + "/moderation/")
    second.goto(base + other)
    for page in (queue, second):
        expect(page.locator("#queue-live[data-live='joined']")).to_have_count(1, timeout=15000)
    return queue, second


def test_a_lead_of_no_board_sees_escalations_change_live(
        site: tuple[str, dict[str, int]]) -> None:
    """leadkim facilitates no board: their queue and escalations pages join the leads'
    room, so when the board's facilitator acknowledges the level-2 escalation both lists
    update without a reload and the live region says so."""
    base, ids = site
    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            lead, listing = _two_live_staff_pages(browser, base, "leadkim",
                                                  "/moderation/escalations")
            expect(lead.get_by_text("1 not yet acknowledged")).to_be_visible()
            expect(listing.get_by_text("Open, not yet acknowledged")).to_be_visible()

            sam = _signed_in(browser, base, "guidesam")
            sam.goto(f"{base}/moderation/escalations/{ids['escalation_id']}")
            sam.get_by_role("button", name="I have seen this and I am on it").click()
            expect(sam.get_by_text("Acknowledged").first).to_be_visible()

            # No reload: queue.js hears escalation.updated in staff:leads.
            expect(listing.locator("#queue-status")).to_have_text(
                "The escalations have been updated. 1 open escalation.", timeout=15000)
            expect(listing.get_by_role("cell", name="Acknowledged", exact=True)).to_be_visible()
            expect(lead.locator("#queue-status")).to_have_text(
                "The escalations have been updated. 1 open escalation.", timeout=15000)
            expect(lead.get_by_text("1 not yet acknowledged")).to_have_count(0)
            assert serious_axe_violations(listing) == []
        finally:
            browser.close()


def test_who_is_on_duty_shows_live_to_staff(site: tuple[str, dict[str, int]]) -> None:
    """guidejo has the review queue and the duty page open; adminpat goes on duty, then
    off: both of guidejo's pages show it without a reload, and the duty page's live region
    says so."""
    base, _ = site
    require_chromium()
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            queue, duty = _two_live_staff_pages(browser, base, "guidejo", "/moderation/duty")
            expect(queue.locator("#queue-on-duty")).to_contain_text("Nobody is on duty")
            expect(duty.locator("#on-duty")).to_contain_text("Nobody is on duty right now")

            admin = _signed_in(browser, base, "adminpat")
            admin.goto(base + "/moderation/duty")
            admin.get_by_role("button", name="Go on duty now").click()
            expect(queue.locator("#queue-on-duty")).to_contain_text("adminpat", timeout=15000)
            expect(duty.locator("#on-duty")).to_contain_text("adminpat", timeout=15000)
            expect(duty.locator("#queue-status")).to_have_text("Who is on duty has changed.")
            assert serious_axe_violations(duty) == []

            admin.goto(base + "/moderation/duty")
            admin.get_by_role("button", name="Go off duty").click()
            expect(queue.locator("#queue-on-duty")).to_contain_text("Nobody is on duty",
                                                                    timeout=15000)
            expect(duty.locator("#on-duty")).to_contain_text("Nobody is on duty right now",
                                                             timeout=15000)
            # The shift just worked is on the workload page's per-shift table.
            admin.goto(base + "/moderation/admin/workload")
            expect(admin.locator("#shift-loads")).to_contain_text("adminpat")
            assert serious_axe_violations(admin) == []
        finally:
            browser.close()
