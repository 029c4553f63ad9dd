"""Account changes: registration, creation by an admin or the CLI, role changes, sign-in.

Password reset, email change and tokens live in their own modules of this package as they
grow; every one of them follows the same pattern: check, write, audit, commit.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts.models import Role, User
from forum.accounts.passwords import hash_password, password_problem
from forum.accounts.usernames import email_key, username_key, username_problem
from forum.audit.models import AuditAction, record
from forum.db import utcnow
from forum.errors import Forbidden, Invalid
from forum.permissions import Viewer


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(fields={"email": "Enter an email address in the correct format, "
                                       "like name@example.com."}) from None


def _check_new_account(session: Session, username: str, email: str, password: str,
                       *, allow_reserved: bool = False) -> tuple[str, str]:
    errors: dict[str, str] = {}
    username = (username or "").strip()
    problem = username_problem(username, allow_reserved=allow_reserved)
    if problem:
        errors["username"] = problem
    try:
        email = normalise_email(email or "")
    except Invalid as exc:
        errors.update(exc.fields)
    pw_problem = password_problem(password or "", username=username, email=email)
    if pw_problem:
        errors["password"] = pw_problem
    if not errors and session.scalar(
            select(User.id).where(User.username_key == username_key(username))) is not None:
        errors["username"] = "That username is taken. Please choose another."
    if errors:
        raise Invalid(fields=errors)
    return username, email


def _email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(User.id).where(User.email_key == email_key(email))) is not None


def do_register(session: Session, *, username: str, email: str, password: str,
                accepted_guidelines: bool) -> User | None:
    """A member signs up. Audits ``user:register``.

    Returns None without saying so when the email already has an account: the page shows
    the same message either way, and the owner is emailed instead, so registration never
    reveals whether someone uses the service.
    """
    if not accepted_guidelines:
        raise Invalid(fields={"accept_guidelines": "You need to agree to the community "
                                                   "guidelines to join."})
    username, email = _check_new_account(session, username, email, password)
    if _email_taken(session, email):
        return None
    user = User(username=username, username_key=username_key(username), email=email,
                email_key=email_key(email), password_hash=hash_password(password),
                role=Role.MEMBER, accepted_guidelines_at=utcnow())
    session.add(user)
    session.flush()
    record(session, actor_id=user.id, action=AuditAction.USER_REGISTER, subject_type="user",
           subject_id=user.id)
    session.commit()
    return user


def do_create_user(session: Session, *, actor: Viewer | None, username: str, email: str,
                   password: str, role: Role = Role.MEMBER) -> User:
    """An admin (or the command line, ``actor=None``) creates an account. Audits
    ``user:create``."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only administrators can create accounts.")
    username, email = _check_new_account(session, username, email, password,
                                         allow_reserved=Role(role) != Role.MEMBER)
    if _email_taken(session, email):
        raise Invalid(fields={"email": "An account already uses that email address."})
    user = User(username=username, username_key=username_key(username), email=email,
                email_key=email_key(email), password_hash=hash_password(password),
                role=Role(role), accepted_guidelines_at=utcnow())
    session.add(user)
    session.flush()
    record(session, actor_id=actor.id if actor else None, action=AuditAction.USER_CREATE,
           subject_type="user", subject_id=user.id, after={"role": str(user.role)})
    session.commit()
    return user


def do_set_role(session: Session, *, actor: Viewer | None, user: User, role: Role) -> User:
    """Change a member's role; ends their other sessions. Audits ``user:change_role``."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only administrators can change roles.")
    before = str(user.role)
    if before != str(role):
        user.role = Role(role)
        user.session_version += 1
        record(session, actor_id=actor.id if actor else None,
               action=AuditAction.USER_CHANGE_ROLE, subject_type="user", subject_id=user.id,
               before={"role": before}, after={"role": str(role)})
    session.commit()
    return user
