"""Two-step sign-in with an authenticator app (TOTP, RFC 6238) and recovery codes.

Every facilitator and admin must use it; members may turn it on in settings. The secret is
stored encrypted (Fernet, with a key derived from ``SECRET_KEY``: rotating the secret key
means staff set their app up again) and never logged. A code is accepted one time step
either side of now, and never twice. Recovery codes are shown once and stored hashed.

Called by the sign-in flow (:mod:`forum.accounts.views`, :mod:`forum.accounts.two_factor_views`)
through the ``do_*`` actions here, which audit and commit.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

import pyotp
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from forum.accounts import emails
from forum.accounts.models import RecoveryCode, User
from forum.accounts.passwords import verify_password
from forum.accounts.sessions import Device, end_all_sessions, start_session
from forum.audit.models import AuditAction, record
from forum.db import rolls_back_on_error, utcnow
from forum.errors import Forbidden, Invalid
from forum.mail import queue_mail
from forum.permissions import Viewer, require_user
from forum.security import login_throttle

RECOVERY_CODES = 10
REASON_MIN, REASON_MAX = 10, 500
CODE_WRONG = ("That code is not right. Check the 6-digit code in your authenticator app "
              "and try again.")
SLOW_DOWN = "Too many codes were tried. Please wait {seconds} seconds and try again."


def _fernet() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    key = hashlib.sha256(b"alongside-totp-secret:" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def _encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode("ascii")).decode("ascii")


def _decrypt(token: str) -> str | None:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode("ascii")
    except (InvalidToken, ValueError):
        return None


def needs_two_factor(user: User) -> bool:
    """Whether this account must use two-step sign-in (staff) whether or not set up yet."""
    return user.is_staff or user.has_two_factor


def pending_secret(user: User) -> str | None:
    """The secret being set up (shown on the set-up page), or None."""
    if user.totp_secret_enc is None or user.has_two_factor:
        return None
    return _decrypt(user.totp_secret_enc)


def provisioning_uri(user: User, secret: str) -> str:
    issuer = str(current_app.config.get("SERVICE_NAME") or "Alongside")
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=issuer)


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def qr_data_uri(uri: str) -> str | None:
    """A PNG QR code of ``uri`` as a data: address (the CSP allows data: images)."""
    try:
        import segno
    except ImportError:  # optional: the secret is shown for typing in either way
        return None
    data_uri: str = segno.make(uri, error="m").png_data_uri(scale=5, border=2)
    return data_uri


def _clean_code(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()[:40]


def _matching_step(secret: str, code: str, last_step: int, now: float) -> int | None:
    """The time step ``code`` belongs to (now ±1), if later than ``last_step``."""
    # ASCII only: "²" counts as a digit to isdigit(), and compare_digest refuses non-ASCII.
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(int(now))
    for step in (current - 1, current, current + 1):
        if step > last_step and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _hash_recovery(code: str) -> str:
    return hashlib.sha256(_clean_code(code).encode("utf-8")).hexdigest()


def _throttle(user: User) -> None:
    wait = login_throttle.is_throttled(f"2fa:{user.id}")
    if wait:
        raise Invalid(fields={"code": SLOW_DOWN.format(seconds=wait)})


def _check_code(session: Session, user: User, code: str, *, allow_recovery: bool,
                now: float | None = None) -> bool:
    """Accept a TOTP code (or a recovery code); record it as used. Returns whether a
    recovery code was used. Raises Invalid (and counts a failure) otherwise."""
    _throttle(user)
    cleaned = _clean_code(code)
    secret = _decrypt(user.totp_secret_enc) if user.totp_secret_enc else None
    step = (_matching_step(secret, cleaned, user.totp_last_step, now or time.time())
            if secret else None)
    if step is not None:
        user.totp_last_step = step
        login_throttle.record_success(f"2fa:{user.id}")
        return False
    if allow_recovery and len(cleaned) == 10:
        row = session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _hash_recovery(cleaned),
            RecoveryCode.used_at.is_(None)))
        if row is not None:
            row.used_at = utcnow()
            login_throttle.record_success(f"2fa:{user.id}")
            return True
    login_throttle.record_failure(f"2fa:{user.id}")
    raise Invalid(fields={"code": CODE_WRONG})


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (0/o, 1/l/i)
    codes = ["".join(secrets.choice(alphabet) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=_hash_recovery(code)))
    return [f"{c[:5]}-{c[5:]}" for c in codes]


@rolls_back_on_error
def do_begin_two_factor(session: Session, *, user: User) -> str:
    """Make a new secret for ``user`` to add to their app (set-up page, for a signed-in
    member or staff half-way through signing in). Not enabled until confirmed; no audit
    (nothing is in force yet). Returns the secret."""
    if user.has_two_factor:
        raise Invalid("Two-step sign-in is already set up.")
    secret = pyotp.random_base32()
    user.totp_secret_enc = _encrypt(secret)
    user.totp_last_step = 0
    session.commit()
    return secret


@rolls_back_on_error
def do_confirm_two_factor(session: Session, *, user: User, code: str,
                          device: Device | None = None) -> list[str]:
    """Turn two-step sign-in on once the member proves their app shows the right code.
    Returns the 10 recovery codes (shown once). With ``device`` (staff finishing sign-in)
    also starts their session. Audits ``user:enable_two_factor``."""
    if user.has_two_factor or user.totp_secret_enc is None:
        raise Invalid("Please start setting up two-step sign-in again.")
    _check_code(session, user, code, allow_recovery=False)
    user.totp_enabled_at = utcnow()
    codes = _new_recovery_codes(session, user)
    record(session, actor_id=user.id, action=AuditAction.TWO_FACTOR_ENABLE,
           subject_type="user", subject_id=user.id)
    if device is not None:
        start_session(session, user, device)
        user.last_seen_at = utcnow()
        record(session, actor_id=user.id, action=AuditAction.USER_LOGIN, subject_type="user",
               subject_id=user.id)
    session.commit()
    return codes


@rolls_back_on_error
def do_login_second_step(session: Session, *, user: User, code: str, device: Device,
                         now: float | None = None) -> str:
    """Finish signing in with a code from the app or a recovery code (sign-in page's
    second step). Starts the session and returns its key. Audits ``user:login`` (and
    ``user:use_recovery_code``). Wrong codes count towards the slow-down."""
    if not user.has_two_factor:
        raise Invalid("Please sign in again.")
    used_recovery = _check_code(session, user, code, allow_recovery=True, now=now)
    key = start_session(session, user, device)
    user.last_seen_at = utcnow()
    if used_recovery:
        record(session, actor_id=user.id, action=AuditAction.TWO_FACTOR_RECOVERY_USED,
               subject_type="user", subject_id=user.id)
    record(session, actor_id=user.id, action=AuditAction.USER_LOGIN, subject_type="user",
           subject_id=user.id, after={"second_step": "recovery" if used_recovery else "app"})
    session.commit()
    return key


@rolls_back_on_error
def do_disable_two_factor(session: Session, *, actor: Viewer, current_password: str) -> None:
    """A member turns two-step sign-in off (settings). Staff cannot. Audits
    ``user:disable_two_factor``."""
    user = require_user(actor)
    if user.is_staff:
        raise Forbidden("Facilitators and administrators must keep two-step sign-in on.")
    if not verify_password(user.password_hash, (current_password or "")[:512]):
        raise Invalid(fields={"current_password": "Your current password is not right."})
    user.totp_secret_enc = None
    user.totp_enabled_at = None
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    record(session, actor_id=user.id, action=AuditAction.TWO_FACTOR_DISABLE,
           subject_type="user", subject_id=user.id)
    session.commit()


def can_reset_two_factor(user: User) -> bool:
    """Whether there is anything to reset: staff (who must use it) or a member who set it
    up or started to."""
    return user.is_staff or user.has_two_factor or user.totp_secret_enc is not None


@rolls_back_on_error
def do_reset_two_factor(session: Session, *, actor: Viewer, user: User, reason: str) -> None:
    """An administrator resets someone's two-step sign-in, usually staff who lost their
    phone (the "Reset two-step sign-in" page). Removes the app's secret and the recovery
    codes, ends every session, remember-me cookie and live connection of theirs at once,
    and emails them; staff must set it up again at their next sign-in. Audits
    ``user:reset_two_factor`` with the reason. Admins cannot reset their own: another
    administrator must, so a stolen admin session cannot quietly remove the second step."""
    admin = require_user(actor)
    if not actor.is_admin:
        raise Forbidden("Only administrators can reset two-step sign-in.")
    if user.id == admin.id:
        raise Forbidden("You cannot reset your own two-step sign-in. Please ask another "
                        "administrator.")
    if not can_reset_two_factor(user):
        raise Invalid(f"{user.username} does not use two-step sign-in, so there is nothing "
                      "to reset.")
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN:
        raise Invalid(fields={"reason": "Say why you are resetting it, in a few words (at "
                                        f"least {REASON_MIN} characters)."})
    if len(reason) > REASON_MAX:
        raise Invalid(fields={"reason": f"Keep the reason to {REASON_MAX} characters or "
                                        "fewer."})
    was_on = user.has_two_factor
    user.totp_secret_enc = None
    user.totp_enabled_at = None
    user.totp_last_step = 0
    for old in session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)):
        session.delete(old)
    end_all_sessions(session, user)
    record(session, actor_id=admin.id, action=AuditAction.TWO_FACTOR_RESET,
           subject_type="user", subject_id=user.id, reason=reason,
           before={"two_factor": was_on}, after={"two_factor": False})
    queue_mail(session, emails.two_factor_reset(user))
    session.commit()
