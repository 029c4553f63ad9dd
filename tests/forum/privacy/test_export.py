"""Download my data: complete, private, password-protected, audited."""

from __future__ import annotations

import json

import pytest
from helpers import PASSWORD
from sqlalchemy import select

from forum.accounts.actions import do_create_token
from forum.audit.models import AuditEntry
from forum.errors import Invalid
from forum.models import metadata
from forum.privacy.actions import do_export_my_data
from forum.privacy.export import SECTION_TITLES
from forum.privacy.inventory import EXPORTED, NOT_EXPORTED, user_foreign_keys
from forum.privacy.models import SignInAddress
from forum.threads.actions import do_add_reaction, do_edit_post
from moderation.actions.flags import do_report_post


def _audits(db, action: str) -> list[AuditEntry]:
    return list(db.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_every_table_keyed_to_members_is_exported_or_explained() -> None:
    keys = user_foreign_keys(list(metadata.sorted_tables))
    decided = set(EXPORTED) | set(NOT_EXPORTED)
    assert keys - decided == set(), "add these to forum/privacy/inventory.py"
    # Nothing listed twice, nothing stale, and every reason is a real sentence.
    assert set(EXPORTED) & set(NOT_EXPORTED) == set()
    assert decided - keys == set()
    assert all(len(reason) > 20 for reason in NOT_EXPORTED.values())
    assert set(EXPORTED.values()) <= set(SECTION_TITLES)


@pytest.fixture()
def busy_member(db, make):  # type: ignore[no-untyped-def]
    board = make.board("Living with asthma")
    member = make.member_of(board, "wren")
    viewer = make.viewer(member)
    opening = make.thread(board, member, title="Inhaler tips", body="Spacers help me a lot.")
    do_edit_post(db, actor=viewer, post=opening.post, body="Spacers help me a great deal.")
    other = make.user("heron")
    reply = make.reply(opening.thread, other, body="Thank you, I will try one.")
    do_add_reaction(db, actor=viewer, post=reply.post, kind="thank_you")
    do_report_post(db, actor=viewer, post=reply.post, reason="spam", note="looks like an advert")
    # Someone else's report on the same post must not appear in wren's copy.
    do_report_post(db, actor=make.viewer(make.user("tern")), post=reply.post, reason="abuse",
                   note="tern's private note")
    do_create_token(db, actor=viewer, name="My phone")
    db.add(SignInAddress(user_id=member.id, ip="192.0.2.7"))
    db.commit()
    return member


def test_the_export_holds_everything_about_the_member(db, make, busy_member,
                                                      captured_events) -> None:
    data = do_export_my_data(db, actor=make.viewer(busy_member), password=PASSWORD,
                             service_name="Alongside")
    assert set(SECTION_TITLES) <= set(data)
    assert data["profile"]["username"] == "wren"
    assert data["profile"]["email"] == "wren@example.org"
    post = data["posts"][0]
    assert post["thread_title"] == "Inhaler tips"
    assert post["board"] == "Living with asthma"
    assert post["body"] == "Spacers help me a great deal."
    assert post["earlier_versions"][0]["body"] == "Spacers help me a lot."
    assert data["reactions"][0]["reaction"] == "thank_you"
    assert [r["note"] for r in data["reports_made"]] == ["looks like an advert"]
    assert data["api_tokens"][0]["name"] == "My phone"
    assert data["sign_in_addresses"][0]["ip"] == "192.0.2.7"
    assert data["board_memberships"][0]["board"] == "Living with asthma"
    assert data["follows"][0]["thread_title"] == "Inhaler tips"
    text = json.dumps(data)
    assert "tern" not in text
    assert busy_member.password_hash not in text
    token_hash = busy_member.tokens[0].token_hash
    assert token_hash not in text
    entry = _audits(db, "privacy:export")[-1]
    assert entry.actor_id == busy_member.id and entry.before == {} and entry.after == {}
    assert captured_events == []


def test_a_wrong_password_gets_nothing_and_leaves_no_trace(db, make, busy_member) -> None:
    with pytest.raises(Invalid) as exc:
        do_export_my_data(db, actor=make.viewer(busy_member), password="not it")
    assert "password" in exc.value.fields
    assert _audits(db, "privacy:export") == []


def test_download_as_json_is_an_uncached_attachment(db, login, busy_member) -> None:
    client = login(busy_member)
    response = client.post("/settings/your-data", data={"password": PASSWORD,
                                                        "format": "json"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.mimetype == "application/json"
    assert response.get_json()["profile"]["username"] == "wren"


def test_download_as_a_readable_page(db, login, busy_member) -> None:
    client = login(busy_member)
    response = client.post("/settings/your-data", data={"password": PASSWORD,
                                                        "format": "html"})
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert ".html" in response.headers["Content-Disposition"]
    page = response.get_data(as_text=True)
    assert "Your posts" in page and "Spacers help me a great deal." in page
    assert "<script" not in page


def test_the_download_page_asks_for_the_password(db, login, busy_member) -> None:
    client = login(busy_member)
    page = client.get("/settings/your-data")
    assert page.status_code == 200 and 'type="password"' in page.get_data(as_text=True)
    wrong = client.post("/settings/your-data", data={"password": "nope", "format": "json"})
    assert wrong.status_code == 422
    assert "Your password is not right." in wrong.get_data(as_text=True)
    assert "Content-Disposition" not in wrong.headers


def test_signed_out_visitors_are_sent_to_sign_in(client) -> None:
    response = client.get("/settings/your-data")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_settings_links_to_the_data_pages(db, make, login) -> None:
    page = login(make.user()).get("/settings").get_data(as_text=True)
    assert "/settings/your-data" in page and "/settings/close-account" in page


def test_the_export_holds_sign_ins_sessions_and_moderation_notices(db, make) -> None:
    from forum.accounts.actions import do_login
    from forum.accounts.sessions import Device
    from moderation.actions import do_warn_member

    board = make.board("Carers")
    member = make.member_of(board, "kite")
    guide = make.facilitator(board)
    do_login(db, login="kite", password=PASSWORD,
             device=Device(ip="198.51.100.23", user_agent="Mozilla/5.0 (X11; Linux x86_64; "
                           "rv:128.0) Gecko/20100101 Firefox/128.0", remember=True),
             ip="198.51.100.23")
    do_warn_member(db, actor=make.viewer(guide), user=member, board=board,
                   reason="Shared another member's phone number")
    data = do_export_my_data(db, actor=make.viewer(member), password=PASSWORD)
    assert [e["action"] for e in data["sign_in_history"]] == ["signed in"]
    [session_row] = data["sessions"]
    assert session_row["network"] == "198.51.100.0/24" and session_row["remember_me"] is True
    assert "Firefox" in session_row["browser"]
    assert data["sign_in_addresses"][0]["ip"] == "198.51.100.23"
    [notice] = data["moderation_notices"]
    assert notice["kind"] == "warning" and notice["message"]
    assert data["sanctions"][0]["kind"] == "warning"
    assert "user:login" in {e["action"] for e in data["account_activity"]}
    # Which facilitator acted is not shown to members.
    assert guide.username not in json.dumps(data)
