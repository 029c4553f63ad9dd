"""The emergency protocol's contacts and alert addresses are checked properly when saved:
email addresses as account emails are (``forum.accounts.actions.normalise_email``), phone
numbers with ``phonenumbers`` (UK numbers by default), each refusal a clear 422 naming the
line."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from forum.errors import Invalid
from moderation.duty_models import EmergencyProtocol
from moderation.protocol import do_save_protocol
from tests.moderation.mod_scene import build_scene

pytestmark = pytest.mark.usefixtures("fake_checks")

TEXT = "Call the on-call clinician."


def _save(db, make, s, contacts: str = "", alert_emails: str = "") -> EmergencyProtocol:  # type: ignore[no-untyped-def]
    return do_save_protocol(db, actor=make.viewer(s.admin), text=TEXT, contacts=contacts,
                            alert_emails=alert_emails)


@pytest.mark.parametrize("address", [
    "oncall@nhs",  # no dot in the domain
    "a@b@nhs.net",
    "@nhs.net",
    "oncall@",
    "oncall@localhost",
    "on call@nhs.net",
    "oncall@-nhs-.net",
    "<oncall>@nhs.net",
])
def test_alert_addresses_that_are_not_email_addresses_are_refused(db, make, address) -> None:
    s = build_scene(db, make, reported=False)
    with pytest.raises(Invalid) as refused:
        _save(db, make, s, alert_emails=f"duty@nhs.net\n{address}")
    message = refused.value.fields["alert_emails"]
    assert "Line 2" in message and "name@example.com" in message
    assert db.scalar(select(EmergencyProtocol.id)) is None


def test_alert_addresses_are_kept_normalised_and_once(db, make) -> None:
    s = build_scene(db, make, reported=False)
    proto = _save(db, make, s, alert_emails="OnCall@NHS.Example, duty@nhs.net\n"
                                            "oncall@nhs.example\n\n")
    assert proto.alert_emails == ["OnCall@nhs.example", "duty@nhs.net"]


@pytest.mark.parametrize("detail", [
    "call me any time",
    "12345",
    "0300 000 000",  # a digit short
    "+44 7700 900123",  # a drama number, not a real one
    "javascript:alert(1)",
    "0300 000 0000 ext",
])
def test_contacts_that_are_not_a_phone_number_or_address_are_refused(db, make, detail) -> None:
    s = build_scene(db, make, reported=False)
    with pytest.raises(Invalid) as refused:
        _save(db, make, s, contacts=f"Duty clinician: 020 7946 0000\nOn call: {detail}")
    message = refused.value.fields["contacts"]
    assert "Line 2" in message and "phone number" in message


def test_contacts_are_kept_in_a_standard_form(db, make) -> None:
    s = build_scene(db, make, reported=False)
    proto = _save(db, make, s, contacts="\n".join([
        "Duty clinician: 0300 000 0000",
        "Clinical lead: +44 20 7946 0000",
        "Samaritans: 116  123",
        "Emergency: 999",
        "Washington office: +1 202 555 0143",
        "Rota inbox: Rota@NHS.Example",
    ]))
    assert proto.contacts == [
        {"name": "Duty clinician", "detail": "0300 000 0000"},
        {"name": "Clinical lead", "detail": "020 7946 0000"},
        {"name": "Samaritans", "detail": "116 123"},
        {"name": "Emergency", "detail": "999"},
        {"name": "Washington office", "detail": "+1 202-555-0143"},
        {"name": "Rota inbox", "detail": "Rota@nhs.example"},
    ]


def test_the_page_answers_a_bad_address_or_number_with_422(db, make, login) -> None:
    s = build_scene(db, make, reported=False)
    admin = login(s.admin)
    bad_email = admin.post("/moderation/admin/emergency", data={
        "form": "protocol", "protocol-text": TEXT, "protocol-alert_emails": "oncall@nhs"})
    assert bad_email.status_code == 422
    assert "is not an email address" in bad_email.get_data(as_text=True)
    bad_phone = admin.post("/moderation/admin/emergency", data={
        "form": "protocol", "protocol-text": TEXT, "protocol-contacts": "Clinician: 12345"})
    assert bad_phone.status_code == 422
    assert "phone number" in bad_phone.get_data(as_text=True)
    assert db.scalar(select(EmergencyProtocol.id)) is None
