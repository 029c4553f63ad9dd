"""The privacy notice and guidelines show the settings' values."""

from __future__ import annotations

import pytest


@pytest.fixture()
def configured(app):  # type: ignore[no-untyped-def]
    saved = {k: app.config[k] for k in ("IP_RETENTION_DAYS", "PRIVACY_CONTACT",
                                        "DATA_CONTROLLER", "AUDIT_RETENTION_DAYS")}
    app.config.update(IP_RETENTION_DAYS=17, PRIVACY_CONTACT="dpo@trust.example",
                      DATA_CONTROLLER="Riverside NHS Trust", AUDIT_RETENTION_DAYS=333)
    yield app
    app.config.update(saved)


def test_privacy_notice_fills_in_the_settings(configured, client) -> None:
    page = client.get("/privacy").get_data(as_text=True)
    assert "17 days" in page and "333 days" in page
    assert "dpo@trust.example" in page and "Riverside NHS Trust" in page
    assert "/settings/your-data" in page and "/settings/close-account" in page


def test_guidelines_name_the_contact(configured, client) -> None:
    page = client.get("/guidelines").get_data(as_text=True)
    assert "dpo@trust.example" in page and "3 years" in page
