"""The account forms. They check only that something was entered and is not absurdly
long; the rules themselves (usernames, passwords, emails) live in the actions, whose
``Invalid`` errors :func:`show_errors` puts back on the right field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length

from forum.errors import Invalid

# Generous limits: long enough for anything real, short enough to refuse junk early.
_TEXT_MAX = 254
_PASSWORD_MAX = 1024


def _required(message: str) -> InputRequired:
    return InputRequired(message=message)


class RegisterForm(FlaskForm):
    username = StringField(
        "Username",
        description="This is the name other members see. Do not use your real name. "
                    "Use 3 to 32 letters, numbers, dots, dashes or underscores.",
        validators=[_required("Enter a username."),
                    Length(max=_TEXT_MAX, message="Your username is too long.")])
    email = StringField(
        "Email address",
        description="We only use this to send you account emails, such as a link to set a "
                    "new password. Other members never see it.",
        validators=[_required("Enter your email address."),
                    Length(max=_TEXT_MAX, message="Your email address is too long.")])
    password = PasswordField(
        "Create a password",
        description="Use at least 10 characters. A few unrelated words are easy to remember "
                    "and hard to guess.",
        validators=[_required("Enter a password."),
                    Length(max=_PASSWORD_MAX, message="Your password is too long.")])
    accept_guidelines = BooleanField("I agree to follow the community guidelines")


class ConfirmRegistrationForm(FlaskForm):
    """The button that finishes joining; the username only when the chosen one was taken
    in the meantime."""

    username = StringField(
        "Choose another username",
        description="This is the name other members see. Do not use your real name. "
                    "Use 3 to 32 letters, numbers, dots, dashes or underscores.",
        validators=[Length(max=_TEXT_MAX, message="Your username is too long.")])


class LoginForm(FlaskForm):
    login = StringField(
        "Username or email address",
        validators=[_required("Enter your username or email address."),
                    Length(max=_TEXT_MAX, message="That is too long to be a username or "
                                                  "email address.")])
    password = PasswordField(
        "Password",
        validators=[_required("Enter your password."),
                    Length(max=_PASSWORD_MAX, message="Your password is too long.")])
    remember = BooleanField("Keep me signed in on this device")
    next = HiddenField()


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        validators=[_required("Enter your current password."),
                    Length(max=_PASSWORD_MAX, message="Your password is too long.")])
    new_password = PasswordField(
        "New password",
        description="Use at least 10 characters. A few unrelated words are easy to remember "
                    "and hard to guess.",
        validators=[_required("Enter a new password."),
                    Length(max=_PASSWORD_MAX, message="Your new password is too long.")])


class ChangeEmailForm(FlaskForm):
    email = StringField(
        "New email address",
        description="We only use this to send you account emails. Other members never see it.",
        validators=[_required("Enter your new email address."),
                    Length(max=_TEXT_MAX, message="Your email address is too long.")])
    current_password = PasswordField(
        "Current password",
        description="We ask for this to check it is really you.",
        validators=[_required("Enter your current password."),
                    Length(max=_PASSWORD_MAX, message="Your password is too long.")])


class ResetRequestForm(FlaskForm):
    email = StringField(
        "Email address",
        description="Enter the email address you used when you joined.",
        validators=[_required("Enter your email address."),
                    Length(max=_TEXT_MAX, message="Your email address is too long.")])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(
        "New password",
        description="Use at least 10 characters. A few unrelated words are easy to remember "
                    "and hard to guess.",
        validators=[_required("Enter a new password."),
                    Length(max=_PASSWORD_MAX, message="Your new password is too long.")])


class TokenForm(FlaskForm):
    name = StringField(
        "Token name",
        description="Something to help you recognise it later, like \"My phone app\".",
        validators=[_required("Enter a name for the token."),
                    Length(max=80, message="The name must be 80 characters or fewer.")])


class CodeForm(FlaskForm):
    code = StringField(
        "Security code",
        description="The 6-digit code from your authenticator app. If you cannot use your "
                    "app, enter one of your recovery codes instead.",
        validators=[_required("Enter the code from your authenticator app."),
                    Length(max=40, message="That code is too long.")])


class DisableTwoFactorForm(FlaskForm):
    current_password = PasswordField(
        "Current password",
        description="We ask for this to check it is really you.",
        validators=[_required("Enter your current password."),
                    Length(max=_PASSWORD_MAX, message="Your password is too long.")])


class ResetTwoFactorForm(FlaskForm):
    reason = TextAreaField(
        "Why are you resetting it?",
        description="For example: \u201cLost phone, confirmed by a call to their "
                    "lead\u201d. Your name, the time and this reason are recorded.",
        validators=[_required("Say why you are resetting two-step sign-in."),
                    Length(max=500, message="Keep the reason to 500 characters or fewer.")])


class PlainForm(FlaskForm):
    """A form with only the CSRF field, for buttons such as "Revoke"."""


def show_errors(form: FlaskForm, exc: Invalid) -> None:
    """Put an action's field errors on the form's fields (unknown ones on the form)."""
    for name, message in exc.fields.items():
        field = form._fields.get(name)
        if field is None:
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
    if not exc.fields:
        form.form_errors.append(exc.message)
