"""The settings page points to the other places a member manages things."""

from __future__ import annotations


def test_settings_page_links_to_notifications_reports_and_notices(client, make, login) -> None:
    login(make.user())
    html = client.get("/settings").get_data(as_text=True)
    assert "More settings" in html
    for path in ("/settings/notifications", "/my/reports", "/my/notices"):
        assert f'href="{path}"' in html
        assert client.get(path).status_code == 200
