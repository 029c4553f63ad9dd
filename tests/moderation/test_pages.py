"""Moderation pages over HTTP: who may see what, and each action through its form."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.threads.models import PostState
from moderation.models import ActionNotice, Appeal, CaseState, Flag, WatchedWord
from tests.moderation.mod_scene import build_scene

pytestmark = pytest.mark.usefixtures("fake_checks")

STAFF_PAGES = ["/moderation/", "/moderation/queue/items"]
ADMIN_PAGES = ["/moderation/admin/watched-words", "/moderation/admin/watched-words/new",
               "/moderation/admin/templates", "/moderation/admin/templates/hide",
               "/moderation/admin/ladder", "/moderation/admin/audit"]


@pytest.mark.parametrize("path", STAFF_PAGES + ADMIN_PAGES)
def test_member_gets_403_everywhere(db, make, login, path):
    s = build_scene(db, make)
    client = login(s.member)
    assert client.get(path).status_code == 403
    assert client.get(f"/moderation/cases/{s.case(db).id}").status_code == 403
    assert client.post(f"/moderation/cases/{s.case(db).id}/hide",
                       data={"hide-reason": "x"}).status_code == 403
    assert s.post.state == PostState.PUBLISHED


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_facilitator_gets_403_on_admin_pages(db, make, login, path):
    s = build_scene(db, make)
    assert login(s.guide).get(path).status_code == 403
    assert login(s.admin).get(path).status_code == 200


def test_anonymous_is_asked_to_sign_in(db, make, client):
    s = build_scene(db, make)
    assert client.get("/moderation/").status_code == 401
    assert client.get(f"/posts/{s.post.id}/report").status_code == 401


def test_queue_shows_only_own_boards(db, make, login):
    s = build_scene(db, make)
    other_post = make.thread(s.other_board, body="Elsewhere").post
    from moderation.actions import do_report_post

    do_report_post(db, actor=make.viewer(make.user()), post=other_post, reason="spam")
    page = login(s.guide).get("/moderation/").get_data(as_text=True)
    assert s.thread.title in page and f"case-{s.case(db).id}" in page
    other_case = db.scalar(select(Flag).where(Flag.post_id == other_post.id)).case_id
    assert f"case-{other_case}" not in page
    assert login(s.other_guide).get(f"/moderation/cases/{s.case(db).id}").status_code == 404
    admin_page = login(s.admin).get("/moderation/").get_data(as_text=True)
    assert f"case-{other_case}" in admin_page and f"case-{s.case(db).id}" in admin_page


def test_case_page_shows_context_flags_and_templates(db, make, login):
    s = build_scene(db, make)
    make.reply(s.thread, body="A reply after it")
    page = login(s.guide).get(f"/moderation/cases/{s.case(db).id}").get_data(as_text=True)
    assert "Something that upset people." in page
    assert "Bullying or abuse" in page and "Felt unkind" in page
    assert "/guidelines" in page  # the hide template's link, ready to adjust
    assert "Suggested next step" in page


def test_report_page_flow(db, make, login):
    s = build_scene(db, make, reported=False)
    client = login(s.member)
    form = client.get(f"/posts/{s.post.id}/report")
    assert form.status_code == 200 and "Report a post" in form.get_data(as_text=True)
    bad = client.post(f"/posts/{s.post.id}/report", data={"reason": "other"})
    assert bad.status_code == 422 and "Error:" in bad.get_data(as_text=True)
    ok = client.post(f"/posts/{s.post.id}/report", data={"reason": "abuse"},
                     follow_redirects=True)
    assert ok.status_code == 200 and "Thank you" in ok.get_data(as_text=True)
    mine = client.get("/my/reports").get_data(as_text=True)
    assert "Bullying or abuse" in mine and "Waiting" in mine


def test_hide_through_the_page_and_author_sees_notice(db, make, login):
    s = build_scene(db, make)
    case = s.case(db)
    client = login(s.guide)
    empty = client.post(f"/moderation/cases/{case.id}/hide", data={"hide-reason": ""})
    assert empty.status_code == 422 and "Enter a reason" in empty.get_data(as_text=True)
    assert s.post.state == PostState.PUBLISHED
    done = client.post(f"/moderation/cases/{case.id}/hide",
                       data={"hide-reason": "Unkind words",
                             "hide-message": "We hid your post, sorry."})
    assert done.status_code == 302
    db.refresh(s.post)
    assert s.post.state == PostState.HIDDEN
    notices = login(s.author).get("/my/notices").get_data(as_text=True)
    assert "We hid your post, sorry." in notices and "Unkind words" in notices
    assert s.member.username not in notices  # never who reported


def test_every_case_action_over_http(db, make, login):
    s = build_scene(db, make)
    case = s.case(db)
    guide = login(s.guide)
    steps = [("claim", {}), ("note", {"note-text": "Looking"}),
             ("staff_note", {"staff_note-text": "Second time"}),
             ("guide", {"guide-mode": "post", "guide-message": "Be kind"}),
             ("guide", {"guide-mode": "message", "guide-message": "Checking in"}),
             ("pin", {}), ("lock", {"lock-reason": "Heated"}),
             ("warn", {"warn-reason": "Unkind"}),
             ("mute", {"mute-reason": "Unkind", "mute-days": "3"}),
             ("edit", {"edit-body": "Kinder", "edit-reason": "Tone"}),
             ("escalate", {"escalate-reason": "Worried", "escalate-tier": "medium"})]
    for verb, data in steps:
        response = guide.post(f"/moderation/cases/{case.id}/{verb}", data=data)
        assert response.status_code == 302, (verb, response.get_data(as_text=True)[:500])
    db.refresh(case)
    db.refresh(s.thread)
    assert case.escalated and s.thread.locked and s.thread.pinned
    assert case.state == CaseState.RESOLVED  # the edit closed it
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"case:claim", "case:note", "staff_note:create", "post:guidance", "user:message",
            "thread:pin", "thread:lock", "user:warn", "user:mute", "post:moderate_edit",
            "case:escalate"} <= actions
    assert login(s.guide).post(f"/moderation/cases/{case.id}/suspend",
                               data={"suspend-reason": "x"}).status_code == 403


def test_appeal_over_http_decided_by_another(db, make, login):
    s = build_scene(db, make)
    login(s.guide).post(f"/moderation/cases/{s.case(db).id}/hide",
                        data={"hide-reason": "Unkind"})
    notice = db.scalar(select(ActionNotice).where(ActionNotice.kind == "hidden"))
    author = login(s.author)
    assert author.post(f"/my/notices/{notice.id}/appeal",
                       data={"text": "It was a quote"}).status_code == 200
    again = author.post(f"/my/notices/{notice.id}/appeal", data={"text": "Again"})
    assert again.status_code == 422
    appeal = db.scalar(select(Appeal))
    assert "must decide" in login(s.guide).get(
        f"/moderation/appeals/{appeal.id}").get_data(as_text=True)
    assert login(s.other_guide).get(f"/moderation/appeals/{appeal.id}").status_code == 404
    decided = login(s.guide2).post(f"/moderation/appeals/{appeal.id}",
                                   data={"outcome": "overturned"})
    assert decided.status_code == 302
    db.refresh(s.post)
    assert s.post.state == PostState.PUBLISHED


def test_watched_word_preview_then_save(db, make, login):
    s = build_scene(db, make, reported=False)
    make.thread(s.board, body="These pills are rubbish")
    admin = login(s.admin)
    data = {"pattern": "pills", "action": "flag", "board": "", "whole_word": "y"}
    preview = admin.post("/moderation/admin/watched-words/new", data={**data, "preview": "1"})
    assert preview.status_code == 200 and "1 recent post would be caught" in \
        preview.get_data(as_text=True)
    assert db.scalar(select(WatchedWord.id)) is None
    assert admin.post("/moderation/admin/watched-words/new", data=data).status_code == 302
    word = db.scalar(select(WatchedWord))
    assert word.pattern == "pills"
    assert admin.post(f"/moderation/admin/watched-words/{word.id}/delete").status_code == 302
    assert db.scalar(select(WatchedWord.id)) is None


def test_template_and_ladder_pages(db, make, login):
    s = build_scene(db, make)
    admin = login(s.admin)
    assert admin.post("/moderation/admin/templates/hide",
                      data={"title": "Hidden", "body": "Hi {name}"}).status_code == 302
    assert "Hi {name}" in admin.get("/moderation/admin/templates").get_data(as_text=True)
    bad = admin.post("/moderation/admin/ladder", data={"steps": "warning\nmute soon"})
    assert bad.status_code == 422
    # "²" passes str.isdigit() but not int().
    assert admin.post("/moderation/admin/ladder",
                      data={"steps": "warning\nmute ²"}).status_code == 422
    assert admin.post("/moderation/admin/ladder",
                      data={"steps": "warning\nsuspension permanent"}).status_code == 302


def test_audit_log_page_filters(db, make, login):
    s = build_scene(db, make)
    admin = login(s.admin)
    page = admin.get(f"/moderation/admin/audit?action=flag:create&actor={s.member.username}")
    assert page.status_code == 200 and "flag:create" in page.get_data(as_text=True)
    none = admin.get(f"/moderation/admin/audit?action=post:hide&board={s.board.slug}")
    assert "0 entries" in none.get_data(as_text=True)
    assert admin.get("/moderation/admin/audit?date_from=yesterday").status_code == 422
    # The last day a date can name: everything up to it, not a 500 from the day after.
    for query in ("date_to=9999-12-31", "date_from=0001-01-01&date_to=9999-12-31"):
        assert "flag:create" in admin.get(f"/moderation/admin/audit?{query}").get_data(True)
        assert admin.get(f"/api/v1/moderation/audit?{query}").get_json()["total"] >= 1
    # A page number too big for the database, or not a number, is the first page.
    for junk in ("9" * 30, "²", "-3"):
        assert admin.get(f"/moderation/admin/audit?page={junk}").status_code == 200


def test_held_posts_reach_nobody_but_staff_and_author(db, make, login, client):
    from forum.threads.queries import get_thread_page

    s = build_scene(db, make, reported=False, posting_policy="all_held")
    assert client.get(f"/posts/{s.post.id}/report").status_code == 401
    assert login(s.member).get(f"/posts/{s.post.id}/report").status_code == 404
    for who, sees in ((s.member, False), (s.other_guide, False), (s.guide, True),
                      (s.author, True)):
        viewer = make.viewer(who)
        try:
            page = get_thread_page(db, viewer, s.thread, 1, 25)
        except Exception:  # noqa: BLE001 - a NotFound is "does not see it"
            page = None
        shown = page is not None and any(p.id == s.post.id for p in page.posts)
        assert shown is sees, who.username
    case = db.scalar(select(Flag.case_id)) or s.case(db).id
    assert login(s.other_guide).get(f"/moderation/cases/{case}").status_code == 404
    assert s.post.body_source in login(s.guide).get(
        f"/moderation/cases/{case}").get_data(as_text=True)


def test_report_form_redirects_after_post_and_a_second_report_is_not_a_second_flag(
        db, make, login):
    s = build_scene(db, make, reported=False)
    client = login(s.member)
    sent_url = f"/posts/{s.post.id}/report/sent"
    first = client.post(f"/posts/{s.post.id}/report", data={"reason": "abuse"})
    # Post/redirect/get: refreshing the page after reporting asks for the confirmation
    # again, not for the form to be sent again.
    assert first.status_code == 303 and first.headers["Location"].endswith(sent_url)
    thanks = client.get(sent_url).get_data(as_text=True)
    assert "Thank you for your report" in thanks and "already" not in thanks
    again = client.post(f"/posts/{s.post.id}/report", data={"reason": "spam"})
    assert again.status_code == 303 and again.headers["Location"].endswith(sent_url)
    kind = client.get(sent_url).get_data(as_text=True)
    assert "already reported this post" in kind and "with the facilitators" in kind
    assert len(db.scalars(select(Flag).where(Flag.post_id == s.post.id)).all()) == 1
    # The form itself says so too, instead of offering to report it again.
    form = client.get(f"/posts/{s.post.id}/report", follow_redirects=True)
    assert "already reported this post" in form.get_data(as_text=True)


def test_report_confirmation_still_shows_after_the_report_hid_the_post(db, make, login):
    s = build_scene(db, make, reported=False, report_hide_threshold=1)
    client = login(s.member)
    done = client.post(f"/posts/{s.post.id}/report", data={"reason": "abuse"})
    assert done.status_code == 303
    db.refresh(s.post)
    assert s.post.state == PostState.HIDDEN
    page = client.get(f"/posts/{s.post.id}/report/sent")
    assert page.status_code == 200 and "Thank you for your report" in page.get_data(as_text=True)
    # Nobody else learns anything from the confirmation address.
    assert login(make.user()).get(f"/posts/{s.post.id}/report/sent").status_code in (302, 404)
