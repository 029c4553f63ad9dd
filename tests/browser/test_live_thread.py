"""Two members read one thread in two Chromium contexts; A replies; B sees the reply appear
without reloading, announced in the page's polite live region, and sees A typing first.

The app runs in embedded mode (threading, simple-websocket) in its own process on a free
loopback port with its own SQLite file, as ``make run`` serves it.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from helpers import wait_until_serving
from playwright.sync_api import expect, sync_playwright

from tests.browser.kit import launch

ROOT = Path(__file__).resolve().parents[2]
SECRET = "browser-live-thread-test-secret-0123456789"
WAIT_MS = 10_000

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if not (ROOT / "static/vendor/socket.io/socket.io.min.js").exists():
        subprocess.run(["bash", str(ROOT / "scripts/fetch-assets.sh")], check=True, timeout=600)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    folder = tmp_path_factory.mktemp("live")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FORUM_ENV": "development",
           "RATELIMIT_ENABLED": "false",
           "DEMO_CONTENT": "false", "DATABASE_URL": f"sqlite:///{folder / 'live.db'}",
           "REDIS_URL": "", "SOCKETIO_ASYNC_MODE": "threading", "SECRET_KEY": SECRET,
           "BASE_URL": f"http://127.0.0.1:{port}"}
    script = str(ROOT / "tests/forum/realtime/liveserver.py")
    seeded = subprocess.run([sys.executable, script, "seed"], env=env, capture_output=True,
                            text=True, timeout=120, check=True)
    data = json.loads(seeded.stdout.strip().splitlines()[-1])
    log = folder / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, script, "serve", str(port)], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until_serving(server, base + "/", log)
        yield {"base": base, "port": port, **data}
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def session_cookie(user: dict[str, Any]) -> str:
    """A signed Flask session cookie saying ``user`` is signed in (as Flask-Login keeps it)."""
    signer = Flask(__name__)
    signer.secret_key = SECRET
    serializer = SecureCookieSessionInterface().get_signing_serializer(signer)
    assert serializer is not None
    return serializer.dumps({"_user_id": user["session_id"], "_fresh": True})


def signed_in_page(browser: Any, live: dict[str, Any], user: dict[str, Any],
                   sockets: list[str] | None = None) -> Any:
    """The live thread opened by ``user``; the address of every websocket the page opens
    goes into ``sockets`` when given."""
    context = browser.new_context()
    context.add_cookies([{"name": "session", "value": session_cookie(user),
                          "url": live["base"]}])
    page = context.new_page()
    if sockets is not None:
        page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(f"{live['base']}/threads/{live['thread']}")
    return page


def test_reply_appears_live_for_another_reader_and_is_announced(live):
    author, reader = live["users"][0], live["users"][1]
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            a = signed_in_page(browser, live, author)
            b = signed_in_page(browser, live, reader)
            # Both connections have joined the thread room once B counts two readers.
            expect(b.locator(".app-live-line__presence")).to_have_text(
                "2 people reading now. ", timeout=WAIT_MS)
            b.evaluate("window.__notReloaded = true")
            posts_before = b.locator("#posts [data-post-id]").count()

            a.locator(".app-reply-form textarea").fill("Glucose tablets by the bed help me.")
            expect(b.locator(".app-live-line__typing")).to_have_text(
                "Someone is writing a reply…", timeout=WAIT_MS)
            expect(a.locator(".app-live-line__typing")).to_be_hidden()
            a.get_by_role("button", name="Post your reply").click()

            new_post = b.locator("#posts [data-post-id]").nth(posts_before)
            expect(new_post).to_contain_text("Glucose tablets by the bed help me.",
                                             timeout=WAIT_MS)
            expect(new_post.locator(".app-post__author")).to_have_text(author["username"])
            expect(b.locator("#live-status")).to_have_text(
                f"New reply from {author['username']}", timeout=WAIT_MS)
            assert b.evaluate("window.__notReloaded") is True
            assert b.locator("#posts [data-post-id]").count() == posts_before + 1
            # The author's own page came back from the form post with the reply on it once.
            expect(a.locator("#posts")).to_contain_text("Glucose tablets by the bed help me.")
            assert a.locator("#posts [data-post-id]").count() == posts_before + 1
        finally:
            browser.close()


def test_scrolled_up_reader_gets_a_new_replies_button_and_deletions_show_a_placeholder(live):
    author, reader = live["users"][0], live["users"][2]
    headers = {"Authorization": f"Bearer {author['token']}"}
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context(viewport={"width": 800, "height": 400})
            context.add_cookies([{"name": "session", "value": session_cookie(reader),
                                  "url": live["base"]}])
            b = context.new_page()
            b.goto(f"{live['base']}/threads/{live['thread']}")
            expect(b.locator("#thread")).to_have_attribute("data-live", "joined",
                                                          timeout=WAIT_MS)
            b.evaluate("window.scrollTo(0, 0)")
            last_before = b.locator("#posts [data-post-id]").last
            assert not last_before.evaluate(
                "n => n.getBoundingClientRect().top < window.innerHeight")

            response = requests.post(f"{live['base']}/api/v1/threads/{live['thread']}/posts",
                                     json={"body": "Keeping a diary helped me."},
                                     headers=headers, timeout=10)
            assert response.status_code == 201, response.text
            post_id = response.json()["post"]["id"]

            button = b.get_by_role("button", name="1 new reply – show")
            expect(button).to_be_visible(timeout=WAIT_MS)
            assert b.evaluate("window.scrollY") == 0  # the page did not move
            button.click()
            expect(b.locator(f"#post-{post_id}")).to_be_focused()
            expect(button).to_be_hidden()

            deleted = requests.delete(f"{live['base']}/api/v1/posts/{post_id}",
                                      headers=headers, timeout=10)
            assert deleted.status_code == 204, deleted.text
            expect(b.locator(f"#post-{post_id} .app-post__placeholder")).to_have_text(
                "This post was deleted.", timeout=WAIT_MS)
            expect(b.locator(f"#post-{post_id}")).not_to_contain_text("Keeping a diary")
        finally:
            browser.close()


def test_thread_page_opens_one_connection_shared_with_the_notification_count(live):
    author, reader = live["users"][0], live["users"][1]
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            sockets: list[str] = []
            b = signed_in_page(browser, live, reader, sockets)
            expect(b.locator("#thread")).to_have_attribute("data-live", "joined",
                                                           timeout=WAIT_MS)
            # Both scripts have run by now (deferred, before DOMContentLoaded's listeners).
            b.wait_for_load_state("load")
            assert b.evaluate("Boolean(window.AlongsideRealtime && "
                              "window.AlongsideRealtime.socket.connected)") is True
            assert len(sockets) == 1, sockets
            # The shared connection still brings the bell its count: the author's reply
            # notifies the reader, who follows the thread once they have replied in it.
            b.locator(".app-reply-form textarea").fill("Thank you, that helps.")
            b.get_by_role("button", name="Post your reply").click()
            expect(b.locator("#thread")).to_have_attribute("data-live", "joined",
                                                           timeout=WAIT_MS)
            a = signed_in_page(browser, live, author)
            a.locator(".app-reply-form textarea").fill("You are welcome.")
            a.get_by_role("button", name="Post your reply").click()
            expect(b.locator("#notification-link .app-count")).to_be_visible(timeout=WAIT_MS)
            assert len(sockets) == 2, sockets  # one per page load, never two at once
        finally:
            browser.close()


def test_a_page_whose_rights_change_reconnects_and_rejoins_only_what_it_may_read(live):
    """The third member has a private conversation open in one tab and a public one in
    another, then leaves the private board (from their phone, over the API): both tabs are
    cut off (rooms.reset), reconnect by themselves, and rejoin; the private one is refused,
    the public one hears replies again."""
    member, other = live["users"][2], live["users"][0]
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            context = browser.new_context()
            context.add_cookies([{"name": "session", "value": session_cookie(member),
                                  "url": live["base"]}])
            private_tab = context.new_page()
            private_tab.goto(f"{live['base']}/threads/{live['private_thread']}")
            public_tab = context.new_page()
            public_tab.goto(f"{live['base']}/threads/{live['thread']}")
            for tab in (private_tab, public_tab):
                expect(tab.locator("#thread")).to_have_attribute("data-live", "joined",
                                                                 timeout=WAIT_MS)
                tab.evaluate("window.__notReloaded = true")
            public_tab.evaluate("""() => { window.__resets = 0;
                window.AlongsideRealtime.socket.on('rooms.reset',
                                                   () => { window.__resets++; }); }""")

            left = requests.delete(f"{live['base']}/api/v1/boards/{live['private_board']}/join",
                                   headers={"Authorization": f"Bearer {member['token']}"},
                                   timeout=10)
            assert left.status_code == 200, left.text

            expect(private_tab.locator("#thread")).to_have_attribute("data-live", "off",
                                                                     timeout=WAIT_MS)
            public_tab.wait_for_function("() => window.__resets === 1", timeout=WAIT_MS)
            public_tab.wait_for_function("() => window.AlongsideRealtime.socket.connected",
                                         timeout=WAIT_MS)
            expect(public_tab.locator("#thread")).to_have_attribute("data-live", "joined",
                                                                    timeout=WAIT_MS)
            posted = requests.post(f"{live['base']}/api/v1/threads/{live['thread']}/posts",
                                   json={"body": "Still here after the reconnect."},
                                   headers={"Authorization": f"Bearer {other['token']}"},
                                   timeout=10)
            assert posted.status_code == 201, posted.text
            expect(public_tab.locator("#posts")).to_contain_text(
                "Still here after the reconnect.", timeout=WAIT_MS)
            for tab in (private_tab, public_tab):
                assert tab.evaluate("window.__notReloaded") is True
        finally:
            browser.close()


def test_the_page_says_when_live_updates_pause_and_catches_up_when_they_resume(live):
    """The server's live.paused / live.resumed (forum/live_status.py, sent when Redis is
    down in scale mode; tests/security/test_resilience.py proves the server sends them) are
    delivered here through the page's own socket handlers."""
    reader = live["users"][1]
    message = "Live updates are paused because of a problem on our side."
    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            sockets: list[str] = []
            b = signed_in_page(browser, live, reader, sockets)
            expect(b.locator("#thread")).to_have_attribute("data-live", "joined",
                                                           timeout=WAIT_MS)
            b.wait_for_load_state("load")
            assert b.locator("#live-paused").count() == 0  # nothing said while all is well
            fire = ("([name, data]) => window.AlongsideRealtime.socket.listeners(name)"
                    ".forEach(f => f(data))")
            b.evaluate(fire, ["live.paused", {"message": message}])
            notice = b.locator("#live-paused")
            expect(notice).to_be_visible()
            expect(notice).to_contain_text(message)
            assert notice.get_attribute("role") == "status"
            b.evaluate(fire, ["live.resumed", {"message": "Live updates are back on."}])
            expect(notice).to_be_hidden(timeout=WAIT_MS)
            # Resuming connects again, so the rooms are joined afresh and missed posts come.
            expect(b.locator("#thread")).to_have_attribute("data-live", "joined",
                                                           timeout=WAIT_MS)
            b.wait_for_function("() => window.AlongsideRealtime.socket.connected", timeout=WAIT_MS)
            assert len(sockets) == 2, sockets
        finally:
            browser.close()
