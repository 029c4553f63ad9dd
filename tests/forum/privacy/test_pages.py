"""The privacy notice and guidelines show the settings' values."""

from __future__ import annotations

from datetime import UTC

import pytest


@pytest.fixture()
def configured(app):  # type: ignore[no-untyped-def]
    values = dict(IP_RETENTION_DAYS=17, PRIVACY_CONTACT="dpo@trust.example",
                  DATA_CONTROLLER="Riverside NHS Trust", AUDIT_RETENTION_DAYS=333,
                  MODERATION_RETENTION_DAYS=1461, SAFEGUARDING_RETENTION_DAYS=2927,
                  DELETED_CONTENT_RETENTION_DAYS=41, READ_NOTIFICATION_RETENTION_DAYS=43,
                  EMAIL_JOB_RETENTION_DAYS=47, SECURITY_CONTACT="cert@trust.example")
    saved = {k: app.config[k] for k in values}
    app.config.update(values)
    yield app
    app.config.update(saved)


def test_privacy_notice_fills_in_the_settings(configured, client) -> None:
    page = client.get("/privacy").get_data(as_text=True)
    assert "17 days" in page and "333 days" in page
    assert "dpo@trust.example" in page and "Riverside NHS Trust" in page
    assert "/settings/your-data" in page and "/settings/close-account" in page
    for days in (1461, 2927, 41, 43, 47):
        assert f"{days} days" in page, days
    assert "mailto:cert@trust.example" in page


def test_security_txt_says_where_to_report_a_problem(configured, client) -> None:
    from datetime import datetime

    response = client.get("/.well-known/security.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    fields = dict(line.split(": ", 1) for line in response.get_data(as_text=True).splitlines())
    assert fields["Contact"] == "mailto:cert@trust.example"
    expires = datetime.strptime(fields["Expires"], "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=UTC)
    assert 300 < (expires - datetime.now(UTC)).days <= 366
    assert fields["Canonical"].endswith("/.well-known/security.txt")


def test_guidelines_name_the_contact(configured, client) -> None:
    page = client.get("/guidelines").get_data(as_text=True)
    assert "dpo@trust.example" in page and "4 years" in page  # 1461 days
