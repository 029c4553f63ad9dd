"""Admins configure who is alerted above the board's facilitators: the leads (level 2)
and the deployment's emergency protocol (level 3: its text, contacts and the addresses
alerted). Actions check permission, write, audit and commit; they emit nothing.
"""

from __future__ import annotations

import phonenumbers
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.actions import normalise_email
from forum.accounts.models import Role, User
from forum.accounts.sessions import end_all_sessions
from forum.audit.models import record
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Conflict, Invalid, NotFound
from forum.permissions import Viewer
from forum.session_sockets import queue_rooms_reset
from moderation.access import require_admin
from moderation.duty_models import EmergencyProtocol, StaffLead

TEXT_MAX = 5000
TITLES = ("Lead facilitator", "Clinical lead")
MAX_ALERT_EMAILS = 20
# Numbers without a country code are read as UK numbers (the service is run in the NHS).
PHONE_REGION = "GB"
EMAIL_FORMAT = "Write each address like name@example.com, one a line."
CONTACT_FORMAT = ("After the colon, give a phone number (like 020 7946 0000, or +44 20 7946 "
                  "0000 with a country code) or an email address (like name@example.com).")


def get_protocol(session: Session) -> EmergencyProtocol | None:
    return session.scalar(select(EmergencyProtocol).order_by(EmergencyProtocol.id))


def _email_or_none(text: str) -> str | None:
    """``text`` as an account's email would be kept (the same checks), or None."""
    try:
        return normalise_email(text)
    except Invalid:
        return None


def _phone_or_none(text: str) -> str | None:
    """``text`` as a phone number staff can dial: a valid number in its usual written form
    (national for UK numbers, international otherwise) or a valid UK short number (999,
    111, 116 123); None for anything else."""
    if not any(ch.isdigit() for ch in text) or any(ch.isalpha() for ch in text):
        return None  # phonenumbers reads letters as keypad digits ("0800 FLOWERS")
    try:
        number = phonenumbers.parse(text, PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    if phonenumbers.is_valid_number(number):
        style = (phonenumbers.PhoneNumberFormat.NATIONAL if number.country_code == 44
                 else phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return phonenumbers.format_number(number, style)
    if phonenumbers.is_valid_short_number(number):
        return " ".join(text.split())
    return None


def parse_contacts(text: str) -> list[dict[str, str]]:
    """One contact a line: ``Name: phone number or email address``. Staff reach for these
    in an emergency, so each is checked to be something they can dial or write to."""
    contacts = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        name, sep, detail = line.partition(":")
        if not sep or not name.strip() or not detail.strip():
            raise Invalid(fields={"contacts": f"Line {number}: write the name, a colon, then "
                                              "how to reach them."})
        detail = detail.strip()
        reach = (_email_or_none(detail) if "@" in detail else _phone_or_none(detail))
        if reach is None:
            raise Invalid(fields={"contacts": f"Line {number}: \u201c{detail[:60]}\u201d is not "
                                              f"a phone number or an email address. "
                                              f"{CONTACT_FORMAT}"})
        contacts.append({"name": name.strip()[:120], "detail": reach[:300]})
    return contacts


def parse_emails(text: str) -> list[str]:
    """Addresses alerted at level 3, one a line (or separated by commas), checked and kept
    as account emails are, each once."""
    lines = [e.strip() for e in (text or "").replace(",", "\n").splitlines()]
    emails: list[str] = []
    for number, line in enumerate((e for e in lines if e), start=1):
        email = _email_or_none(line)
        if email is None:
            raise Invalid(fields={"alert_emails": f"Line {number}: \u201c{line[:80]}\u201d is "
                                                  f"not an email address. {EMAIL_FORMAT}"})
        if email.lower() not in {e.lower() for e in emails}:
            emails.append(email)
    if len(emails) > MAX_ALERT_EMAILS:
        raise Invalid(fields={"alert_emails": f"Give at most {MAX_ALERT_EMAILS} addresses."})
    return emails


@rolls_back_on_error
def do_save_protocol(session: Session, *, actor: Viewer, text: str, contacts: str,
                     alert_emails: str) -> EmergencyProtocol:
    """Save the level-3 protocol. Audits ``protocol:update`` (no addresses)."""
    require_admin(actor)
    body = (text or "").replace("\r\n", "\n").strip()
    if not body:
        raise Invalid(fields={"text": "Write what staff must do in an emergency."})
    if len(body) > TEXT_MAX:
        raise Invalid(fields={"text": f"Keep this to {TEXT_MAX:,} characters or fewer."})
    people, emails = parse_contacts(contacts), parse_emails(alert_emails)
    proto = get_protocol(session)
    if proto is None:
        proto = EmergencyProtocol(version=0)
        session.add(proto)
    proto.text, proto.contacts, proto.alert_emails = body, people, emails
    proto.updated_by_id, proto.updated_at = actor.id, utcnow()
    proto.version = (proto.version or 0) + 1
    session.flush()
    record(session, actor_id=actor.id, action="protocol:update", subject_type="protocol",
           subject_id=proto.id, after={"version": proto.version, "contacts": len(people),
                                       "alert_emails": len(emails)})
    session.commit()
    return proto


@rolls_back_on_error
def do_add_lead(session: Session, *, actor: Viewer, username: str, title: str) -> StaffLead:
    """Name a lead (alerted at level 2). A lead reads escalations and the posts behind
    them, so a member named lead becomes a facilitator by role (staff sign in with two
    steps; their sessions end so the next sign-in asks for it), as when made a board's
    facilitator. Audits ``lead:add`` (and the role change in it)."""
    require_admin(actor)
    user = session.scalar(select(User).where(User.username == (username or "").strip()))
    if user is None:
        raise Invalid(fields={"username": "There is no account with that user name."})
    if title not in TITLES:
        raise Invalid(fields={"title": "Choose lead facilitator or clinical lead."})
    if session.scalar(select(StaffLead).where(StaffLead.user_id == user.id)):
        raise Conflict(f"{user.username} is already a lead.")
    promoted = user.role == Role.MEMBER
    if promoted:
        user.role = Role.FACILITATOR
        end_all_sessions(session, user)
    lead = StaffLead(user_id=user.id, user=user, title=title, created_at=utcnow())
    session.add(lead)
    session.flush()
    record(session, actor_id=actor.id, action="lead:add", subject_type="user",
           subject_id=user.id, after={"title": title, "role": str(user.role)},
           before={"role": "member"} if promoted else None)
    session.commit()
    return lead


@rolls_back_on_error
def do_remove_lead(session: Session, *, actor: Viewer, lead_id: int) -> None:
    """Audits ``lead:remove``."""
    require_admin(actor)
    lead = session.get(StaffLead, lead_id)
    if lead is None:
        raise NotFound("We could not find that lead.")
    record(session, actor_id=actor.id, action="lead:remove", subject_type="user",
           subject_id=lead.user_id, before={"title": lead.title})
    session.delete(lead)
    # Out of the leads' room at once, not at the next message their page sends.
    queue_rooms_reset(session, f"user:{lead.user_id}")
    session.commit()


def list_leads(session: Session, viewer: Viewer) -> list[StaffLead]:
    require_admin(viewer)
    return list(session.scalars(select(StaffLead).order_by(StaffLead.id)))
