"""The words of account mail, built by the account actions and queued with
:func:`forum.mail.queue_mail`.

Plain text only, short and calm. Mail goes to a private address that others in a
household may read, so it never names a board, a condition or anything a member wrote.
"""

from __future__ import annotations

from flask import current_app

from forum.accounts.models import PendingRegistration, User
from forum.mail import Mail
from forum.templating import describe_seconds


def _service() -> str:
    return str(current_app.config.get("SERVICE_NAME") or "Alongside")


def _site() -> str:
    return str(current_app.config.get("BASE_URL") or "").rstrip("/")


def _sign_off() -> str:
    return f"\n\nThe {_service()} team\n{_site()}/\n"


def registration_confirm(pending: PendingRegistration, link: str, max_age_seconds: int) -> Mail:
    """To a new address: the link that creates the account and signs its owner in."""
    text = (f"Hello {pending.username},\n\n"
            f"Thank you for joining {_service()}. To finish creating your account, "
            f"open this link:\n\n{link}\n\n"
            f"The link works once and stops working after {describe_seconds(max_age_seconds)}.\n\n"
            "If you did not ask to join, you can ignore this email. No account will be "
            "created." + _sign_off())
    return Mail(to=pending.email, subject=f"Finish creating your {_service()} account",
                text=text, kind="registration_confirm",
                dev_note=f"link to finish creating an account: {link}")


def welcome(user: User) -> Mail:
    text = (f"Hello {user.username},\n\n"
            f"Your {_service()} account is ready. You can sign in at any time at "
            f"{_site()}/sign-in with your username or this email address.\n\n"
            "If you did not create this account, please set a new password at "
            f"{_site()}/reset-password and contact the {_service()} team."
            + _sign_off())
    return Mail(to=user.email, subject=f"Welcome to {_service()}", text=text,
                user_id=user.id, kind="welcome")


def registration_attempt(user: User) -> Mail:
    """To the owner of an address someone tried to register again."""
    text = ("Hello,\n\n"
            f"Someone tried to create a new {_service()} account with this email address. "
            "You already have an account, so we did not create another one.\n\n"
            f"If it was you, you can sign in at {_site()}/sign-in. If you have forgotten "
            f"your password, you can set a new one at {_site()}/reset-password.\n\n"
            "If it was not you, you do not need to do anything. Your account has not changed."
            + _sign_off())
    return Mail(to=user.email, subject=f"Someone tried to join {_service()} with your email",
                text=text, user_id=user.id, kind="registration_attempt")


def password_reset(user: User, link: str, max_age_seconds: int) -> Mail:
    text = (f"Hello {user.username},\n\n"
            f"Someone asked to set a new password for your {_service()} account. "
            f"To choose a new password, open this link:\n\n{link}\n\n"
            f"The link works once and stops working after {describe_seconds(max_age_seconds)}.\n\n"
            "If you did not ask for this, you can ignore this email. "
            "Your password has not changed." + _sign_off())
    return Mail(to=user.email, subject=f"Set a new password for {_service()}", text=text,
                user_id=user.id, kind="password_reset",
                dev_note=f"password reset link for user id {user.id}: {link}")


def password_changed(user: User) -> Mail:
    text = (f"Hello {user.username},\n\n"
            f"The password for your {_service()} account has just been changed, and you "
            "have been signed out everywhere else.\n\n"
            "If you did not do this, please set a new password straight away at "
            f"{_site()}/reset-password." + _sign_off())
    return Mail(to=user.email, subject=f"Your {_service()} password has been changed",
                text=text, user_id=user.id, kind="password_changed")


def email_changed_old(user: User, old_email: str) -> Mail:
    """To the address that was replaced, so a take-over cannot happen silently."""
    text = (f"Hello {user.username},\n\n"
            f"The email address for your {_service()} account has just been changed. "
            "We will not send account emails to this address any more.\n\n"
            f"If you did not do this, please contact the {_service()} team straight away "
            "so we can help you get your account back." + _sign_off())
    return Mail(to=old_email, subject=f"Your {_service()} email address has been changed",
                text=text, user_id=user.id, kind="email_changed_old")


def email_changed_new(user: User) -> Mail:
    text = (f"Hello {user.username},\n\n"
            f"This is now the email address for your {_service()} account. We will use it "
            "only for account emails, such as setting a new password." + _sign_off())
    return Mail(to=user.email, subject=f"Your {_service()} email address", text=text,
                user_id=user.id, kind="email_changed_new")


def two_factor_reset(user: User) -> Mail:
    """To a member whose two-step sign-in an administrator reset (lost phone)."""
    text = (f"Hello {user.username},\n\n"
            f"An administrator has reset two-step sign-in for your {_service()} account, "
            "and you have been signed out everywhere. The next time you sign in, you will "
            "set up your authenticator app again and get new recovery codes.\n\n"
            f"If you did not ask for this, please contact the {_service()} team straight "
            "away." + _sign_off())
    return Mail(to=user.email, subject=f"Your {_service()} two-step sign-in has been reset",
                text=text, user_id=user.id, kind="two_factor_reset")
