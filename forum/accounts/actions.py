"""Account changes: creation by an admin or the CLI, role changes, sign-in and sign-out,
password and email changes, personal access tokens.

Joining through the registration page lives in :mod:`forum.accounts.registration`,
password reset in :mod:`forum.accounts.reset`. Every action follows the same
pattern: check, write, audit, queue mail or events, commit. Mail is queued on the session
(:func:`forum.mail.queue_mail`) and only sent once the change is committed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from forum.accounts import emails
from forum.accounts.models import ApiToken, Role, User, UserSession, UserStatus
from forum.accounts.passwords import (
    MAX_LENGTH,
    dummy_hash,
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from forum.accounts.sessions import (
    Device,
    end_all_sessions,
    end_session_row,
    key_digest,
    start_session,
)
from forum.accounts.usernames import email_key, username_key, username_problem
from forum.audit.models import AuditAction, record
from forum.auth import TOKEN_PREFIX, hash_token
from forum.db import utcnow
from forum.errors import Forbidden, Invalid, NotFound
from forum.mail import queue_mail
from forum.permissions import Viewer, require_user
from forum.privacy.models import SignInAddress

SIGN_IN_FAILED = ("The username, email address or password is not right. "
                  "Please check them and try again.")
TOKEN_NAME_MAX = 80
MAX_ACTIVE_TOKENS = 20
# Longer than any password we accept; stops a huge string being hashed on every try.
_LONGEST_PASSWORD_TRIED = MAX_LENGTH * 4


def normalise_email(email: str) -> str:
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise Invalid(fields={"email": "Enter an email address in the correct format, "
                                       "like name@example.com."}) from None


def check_new_account(session: Session, username: str, email: str, password: str,
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


def do_create_user(session: Session, *, actor: Viewer | None, username: str, email: str,
                   password: str, role: Role = Role.MEMBER) -> User:
    """An admin (or the command line, ``actor=None``) creates an account. Audits
    ``user:create``."""
    if actor is not None and not actor.is_admin:
        raise Forbidden("Only administrators can create accounts.")
    username, email = check_new_account(session, username, email, password,
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
        end_all_sessions(session, user)
        record(session, actor_id=actor.id if actor else None,
               action=AuditAction.USER_CHANGE_ROLE, subject_type="user", subject_id=user.id,
               before={"role": before}, after={"role": str(role)})
    session.commit()
    return user


# ---- signing in and out ---------------------------------------------------------------

def _find_account(session: Session, login: str) -> User | None:
    if "@" in login:
        try:
            key = email_key(validate_email(login, check_deliverability=False).normalized)
        except EmailNotValidError:
            return None
        return session.scalar(select(User).where(User.email_key == key))
    return session.scalar(select(User).where(User.username_key == username_key(login)))


def authenticate(session: Session, login: str, password: str) -> User | None:
    """The active account matching ``login`` (username or email) and ``password``, or None.

    Called by :func:`do_login` and the API's token endpoint. Reads only. When no account
    matches, a dummy hash is still checked so the answer takes about as long either way.
    """
    login = (login or "").strip()
    password = password or ""
    user: User | None = None
    if 0 < len(login) <= 254 and "\x00" not in login:
        user = _find_account(session, login)
    if len(password) > _LONGEST_PASSWORD_TRIED:
        password = password[:_LONGEST_PASSWORD_TRIED]
        user = None
    matched = verify_password(user.password_hash if user else dummy_hash(), password)
    if user is None or not matched or user.status != UserStatus.ACTIVE:
        return None
    return user


@dataclass(frozen=True)
class LoginResult:
    """What the sign-in page does next: the session has started (``session_key``), or the
    member must give a code (``second_step="code"``) or set two-step sign-in up
    (``second_step="setup"``) before it does."""

    user: User
    session_key: str | None = None
    second_step: str | None = None


def do_login(session: Session, *, login: str, password: str,
             device: Device | None = None, ip: str | None = None) -> LoginResult:
    """Check a member's sign-in details (called by the sign-in page). Upgrades an
    out-of-date password hash. When no second step is needed, starts a server-side session
    for ``device``, notes when they were last seen and audits ``user:login``; staff (and
    members who turned it on) are sent to the two-step page instead, with nothing started.
    The network address (``ip``) is kept ``IP_RETENTION_DAYS`` and never in the audit log.
    Raises Invalid with one message whatever was wrong."""
    from forum.accounts.two_factor import needs_two_factor

    user = authenticate(session, login, password)
    if user is None:
        raise Invalid(SIGN_IN_FAILED, fields={"login": SIGN_IN_FAILED})
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if needs_two_factor(user):
        session.commit()
        return LoginResult(user=user, second_step="code" if user.has_two_factor else "setup")
    key = start_session(session, user, device or Device())
    user.last_seen_at = utcnow()
    if ip:
        session.add(SignInAddress(user_id=user.id, ip=ip[:45], created_at=user.last_seen_at))
    record(session, actor_id=user.id, action=AuditAction.USER_LOGIN, subject_type="user",
           subject_id=user.id)
    session.commit()
    return LoginResult(user=user, session_key=key)


def do_logout(session: Session, *, actor: Viewer, session_key: str | None = None) -> None:
    """A member signs out (called by the sign-out button before the session is cleared).
    Ends this browser's session row for real (its remember-me cookie dies with it) and
    tells its live connections. Audits ``user:logout``; does nothing for someone not
    signed in."""
    if actor.user is None:
        return
    if session_key:
        row = session.get(UserSession, key_digest(session_key))
        if row is not None and row.user_id == actor.user.id and row.revoked_at is None:
            end_session_row(session, row)
    record(session, actor_id=actor.user.id, action=AuditAction.USER_LOGOUT,
           subject_type="user", subject_id=actor.user.id)
    session.commit()


# ---- password and email ---------------------------------------------------------------

def _check_current_password(user: User, current_password: str) -> None:
    given = (current_password or "")[:_LONGEST_PASSWORD_TRIED]
    if not given:
        raise Invalid(fields={"current_password": "Enter your current password."})
    if not verify_password(user.password_hash, given):
        raise Invalid(fields={"current_password": "Your current password is not right."})


def do_change_password(session: Session, *, actor: Viewer, current_password: str,
                       new_password: str, device: Device | None = None) -> User:
    """A member chooses a new password (settings page). Ends every session, remember-me
    cookie and live connection (:func:`end_all_sessions`), emails the member, audits
    ``user:change_password``. With ``device`` a fresh session is started for the browser
    that made the change (``user.session_key``), which the caller signs in again."""
    user = require_user(actor)
    _check_current_password(user, current_password)
    problem = password_problem(new_password or "", username=user.username, email=user.email)
    if problem:
        raise Invalid(fields={"new_password": problem})
    user.password_hash = hash_password(new_password)
    end_all_sessions(session, user)
    if device is not None:
        start_session(session, user, device)
    record(session, actor_id=user.id, action=AuditAction.USER_CHANGE_PASSWORD,
           subject_type="user", subject_id=user.id)
    queue_mail(session, emails.password_changed(user))
    session.commit()
    return user


def do_change_email(session: Session, *, actor: Viewer, current_password: str,
                    new_email: str) -> User:
    """A member changes the private address used for account mail (settings page).
    Emails the old address (so a take-over cannot go unnoticed) and the new one, audits
    ``user:change_email`` without either address."""
    user = require_user(actor)
    _check_current_password(user, current_password)
    try:
        email = normalise_email((new_email or "")[:254])
    except Invalid as exc:
        raise Invalid(fields={"email": exc.fields["email"]}) from None
    if email_key(email) == user.email_key:
        raise Invalid(fields={"email": "That is already your email address."})
    if _email_taken(session, email):
        raise Invalid(fields={"email": "That email address cannot be used. "
                                       "Please use a different one."})
    old_email = user.email
    user.email = email
    user.email_key = email_key(email)
    record(session, actor_id=user.id, action=AuditAction.USER_CHANGE_EMAIL,
           subject_type="user", subject_id=user.id)
    queue_mail(session, emails.email_changed_old(user, old_email))
    queue_mail(session, emails.email_changed_new(user))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Invalid(fields={"email": "That email address cannot be used. "
                                       "Please use a different one."}) from None
    return user


# ---- personal access tokens -----------------------------------------------------------

def _clean_token_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise Invalid(fields={"name": "Enter a name for the token, like \"My phone\"."})
    if len(name) > TOKEN_NAME_MAX:
        raise Invalid(fields={"name": f"The name must be {TOKEN_NAME_MAX} characters or fewer."})
    if any(ord(ch) < 32 for ch in name):
        raise Invalid(fields={"name": "The name contains a character we cannot store."})
    return name


def do_create_token(session: Session, *, actor: Viewer, name: str,
                    ip: str | None = None) -> tuple[ApiToken, str]:
    """Make a personal access token for the actor (settings page, ``POST /api/v1/tokens``).

    Returns the token row and its secret, which is shown once and never stored: only its
    hash is kept. Audits ``token:create``. ``ip`` is given when the token was made with a
    username and password (the API): that is a sign-in, so the address joins the member's
    sign-in history like :func:`do_login`'s and the member counts as seen.
    """
    user = require_user(actor)
    name = _clean_token_name(name)
    active = session.scalar(select(func.count(ApiToken.id)).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))) or 0
    if active >= MAX_ACTIVE_TOKENS:
        raise Invalid(fields={"name": f"You can have up to {MAX_ACTIVE_TOKENS} tokens. "
                                      "Please revoke one you no longer use first."})
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(secret),
                     prefix=secret[:12], created_at=utcnow())
    session.add(token)
    if ip:
        user.last_seen_at = token.created_at
        session.add(SignInAddress(user_id=user.id, ip=ip[:45], created_at=token.created_at))
    session.flush()
    record(session, actor_id=user.id, action=AuditAction.TOKEN_CREATE,
           subject_type="api_token", subject_id=token.id)
    session.commit()
    return token, secret


def do_revoke_token(session: Session, *, actor: Viewer, token_id: int) -> None:
    """Revoke one of the actor's own tokens (settings page, API). Audits ``token:revoke``;
    revoking an already revoked token changes nothing. Someone else's token is NotFound."""
    user = require_user(actor)
    # Out-of-range ids would be a database error on PostgreSQL, not a missing token.
    token = session.get(ApiToken, token_id) if 0 < token_id < 2**31 else None
    if token is None or token.user_id != user.id:
        raise NotFound("We could not find that token.")
    if token.revoked_at is not None:
        return
    token.revoked_at = utcnow()
    record(session, actor_id=user.id, action=AuditAction.TOKEN_REVOKE,
           subject_type="api_token", subject_id=token.id)
    session.commit()
