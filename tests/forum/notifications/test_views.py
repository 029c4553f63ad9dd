"""The notification pages: access control, reading, settings, and unsubscribe."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.audit.models import AuditEntry
from forum.notifications.emails import unsubscribe_token
from forum.notifications.models import Notification, NotificationPreference
from forum.notifications.queries import get_frequency


def _reply_to(make, author, title="Tiredness"):
    board = make.board()
    started = make.thread(board, author=author, title=title)
    return make.reply(started.thread, body="Me too, it helps to rest.")


def _note(db, user):
    return db.scalar(select(Notification).where(Notification.user_id == user.id))


@pytest.mark.parametrize("path", ["/notifications", "/notifications/1",
                                  "/settings/notifications"])
def test_anonymous_is_sent_to_sign_in(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_read_all_needs_sign_in(client):
    response = client.post("/notifications/read")
    assert response.status_code == 302
    assert "/sign-in" in response.headers["Location"]


def test_list_shows_notifications_and_count_in_header(db, make, login):
    member = make.user()
    _reply_to(make, member, title="Tiredness")
    page = login(member).get("/notifications")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "replied in “Tiredness”" in html
    assert "Mark all as read" in html
    # The layout's bell: the unread count next to "Notifications".
    assert '<span class="app-count">1<span class="nhsuk-u-visually-hidden"> unread' in html


def test_opening_a_notification_marks_it_read_and_goes_to_the_post(
        db, make, login, captured_events):
    member = make.user()
    reply = _reply_to(make, member)
    note = _note(db, member)
    captured_events.clear()
    response = login(member).get(f"/notifications/{note.id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/posts/{reply.post.id}")
    db.refresh(note)
    assert note.read_at is not None
    [evt] = [e for e in captured_events if e.name == "notification.read"]
    assert evt.room == f"user:{member.id}" and evt.payload["unread_count"] == 0


def test_someone_elses_notification_is_not_found(db, make, login):
    owner = make.user()
    _reply_to(make, owner)
    note = _note(db, owner)
    response = login(make.user()).get(f"/notifications/{note.id}")
    assert response.status_code == 404
    db.refresh(note)
    assert note.read_at is None


def test_mark_all_as_read(db, make, login):
    member = make.user()
    _reply_to(make, member)
    _reply_to(make, member)
    response = login(member).post("/notifications/read")
    assert response.status_code == 302
    notes = db.scalars(select(Notification).where(Notification.user_id == member.id)).all()
    assert len(notes) == 2
    assert all(n.read_at is not None for n in notes)
    assert "You have read all" in login(member).get("/notifications").get_data(as_text=True)


def test_settings_saves_choice_and_audits(db, make, login):
    member = make.user()
    page = login(member).get("/settings/notifications")
    assert page.status_code == 200
    assert 'value="daily" checked' in page.get_data(as_text=True)
    response = login(member).post("/settings/notifications", data={"frequency": "weekly"})
    assert response.status_code == 302
    assert str(get_frequency(db, member.id)) == "weekly"
    entry = db.scalar(select(AuditEntry).where(AuditEntry.action == "notification:preference",
                                               AuditEntry.actor_id == member.id))
    assert entry is not None and entry.after == {"email": "weekly"}


def test_settings_rejects_an_unknown_choice(db, make, login):
    member = make.user()
    response = login(member).post("/settings/notifications", data={"frequency": "hourly"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<title>Error: " in html
    assert db.get(NotificationPreference, member.id) is None


def test_unsubscribe_link_confirms_then_unsubscribes_without_sign_in(app, db, make, client):
    member = make.user()
    url = f"/notifications/unsubscribe/{unsubscribe_token(app, member.id)}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Stop notification emails" in page.get_data(as_text=True)
    assert str(get_frequency(db, member.id)) == "daily"  # a GET changes nothing
    done = client.post(url)
    assert done.status_code == 200
    assert "You are unsubscribed" in done.get_data(as_text=True)
    assert str(get_frequency(db, member.id)) == "never"
    entry = db.scalar(select(AuditEntry).where(
        AuditEntry.action == "notification:unsubscribe", AuditEntry.subject_id == member.id))
    assert entry is not None


def test_one_click_unsubscribe_post(app, db, make, client):
    member = make.user()
    response = client.post(f"/notifications/unsubscribe/{unsubscribe_token(app, member.id)}",
                           data="List-Unsubscribe=One-Click",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200
    assert str(get_frequency(db, member.id)) == "never"


def test_forged_unsubscribe_link_is_not_found(app, db, make, client):
    member = make.user()
    token = unsubscribe_token(app, member.id)
    forged = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert client.get(f"/notifications/unsubscribe/{forged}").status_code == 404
    assert client.post(f"/notifications/unsubscribe/{forged}").status_code == 404
    assert db.get(NotificationPreference, member.id) is None


def test_signed_in_pages_include_the_live_count_script(db, make, login, client):
    assert "js/notifications.js" not in client.get("/notifications/unsubscribe/x").get_data(
        as_text=True)
    html = login(make.user()).get("/notifications").get_data(as_text=True)
    assert 'id="notification-link"' in html
    assert "js/notifications.js" in html
