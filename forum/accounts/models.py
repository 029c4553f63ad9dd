"""Member accounts and personal access tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.db import Base, UTCDateTime, utcnow
from forum.outbox import OutboxColumns


class Role(enum.StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"
    ADMIN = "admin"


class UserStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    # Lower-cased, look-alike-folded form: uniqueness and reserved names are checked on it.
    username_key: Mapped[str] = mapped_column(String(32), unique=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[Role] = mapped_column(Enum(Role, native_enum=False, length=20),
                                       default=Role.MEMBER)
    status: Mapped[UserStatus] = mapped_column(
        Enum(UserStatus, native_enum=False, length=20), default=UserStatus.ACTIVE
    )
    # Bumped to end every session and remember-me cookie at once.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    accepted_guidelines_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Counted at write time so that posting rules need no extra query.
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    # Two-step sign-in: the TOTP secret, encrypted with a key derived from SECRET_KEY
    # (forum.accounts.two_factor). Set but not enabled while the member is setting it up.
    totp_secret_enc: Mapped[str | None] = mapped_column(String(255), nullable=True)
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # The time step of the last code accepted, so a code cannot be used twice.
    totp_last_step: Mapped[int] = mapped_column(Integer, default=0)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user",
                                                  cascade="all, delete-orphan")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.status == UserStatus.ACTIVE

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The session key ties the cookie (and the remember-me cookie, which carries this
        # same id) to one UserSession row, so ending that row ends both.
        key = getattr(self, "session_key", None)
        if key:
            return f"{self.id}:{self.session_version}:{key}"
        return f"{self.id}:{self.session_version}"

    @property
    def has_two_factor(self) -> bool:
        return self.totp_enabled_at is not None

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN

    @property
    def is_staff(self) -> bool:
        return self.role in (Role.ADMIN, Role.FACILITATOR)

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class ApiToken(Base):
    """A personal access token; only a hash of the secret is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The first characters, shown in settings so a member can tell tokens apart.
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)

    user: Mapped[User] = relationship(back_populates="tokens")


class PasswordResetUse(Base):
    """Marks a reset link as spent, so each link works once."""

    __tablename__ = "password_reset_uses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class UserSession(Base):
    """One signed-in browser. Its id is a SHA-256 of the random key held in the browser's
    (signed) cookie, so the table alone cannot be used to forge a session."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The member's session version when it began: a later bump ends it.
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # "Firefox on Android": browser and system only, never the full header.
    user_agent: Mapped[str] = mapped_column(String(80), default="")
    # Truncated to the /24 (IPv4) or /64 (IPv6) network.
    ip_network: Mapped[str] = mapped_column(String(64), default="")
    remember: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class RecoveryCode(Base):
    """A single-use two-step recovery code; only its hash is kept."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class PendingRegistration(Base):
    """A sign-up waiting for its owner to open the emailed link.

    No account exists until the link is used (:func:`forum.accounts.registration.
    do_confirm_registration`), so the registration page can answer every address the same
    way. Holds the chosen name and the password's hash only: deleted when the link is
    used, when the address turns out to have an account already, or when
    ``REGISTRATION_LINK_MAX_AGE`` has passed (the account-mail job).
    """

    __tablename__ = "pending_registrations"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(32))
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    # Also carried in the signed link: a link for an earlier row with the same id (after a
    # purge and reuse of ids) never matches.
    nonce: Mapped[str] = mapped_column(String(64))
    accepted_guidelines_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class PendingEmailChange(Base):
    """A member's new email address, waiting for them to open the link sent to it.

    The settings form adds one whatever the address (:func:`forum.accounts.email_change.
    do_request_email_change`), so it never says whether an address has an account; the
    address changes only when the link's button is pressed. Once it has, the row keeps the
    replaced address (``old_email``) only until the "your email was changed" notice has
    gone to it, then is deleted. Unused ones are deleted when
    ``EMAIL_CHANGE_LINK_MAX_AGE`` has passed (the account-mail job), and so is a used one
    whose notice could not be sent by then.
    """

    __tablename__ = "pending_email_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    email: Mapped[str] = mapped_column(String(254))
    email_key: Mapped[str] = mapped_column(String(254))
    # Also carried in the signed link, like a pending registration's.
    nonce: Mapped[str] = mapped_column(String(64))
    # The member's session version when they asked: a password change or reset, a
    # suspension or a role change bumps it, and the link stops working.
    session_version: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    old_email: Mapped[str | None] = mapped_column(String(254), nullable=True)


class AccountEmailKind(enum.StrEnum):
    # A sign-up: the link to finish it, or (when the address already has an account) a
    # note to the owner. Which one is decided when the mail is written, not in the request.
    REGISTRATION = "registration"
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind of mail, not a password
    WELCOME = "welcome"
    # A new email address: the link that makes the change, or (when the address already
    # has an account) a note to its owner. Decided when the mail is written, like sign-ups.
    EMAIL_CHANGE = "email_change"
    # To the address that was replaced, once the change is made.
    EMAIL_CHANGED = "email_changed"


class AccountEmail(OutboxColumns, Base):
    """One account email in the outbox, sent by the background job
    (:mod:`forum.accounts.outbox`), never while a request waits.

    Holds no address and no link: the mail is written at send time from the account,
    pending registration or pending email change it points to, so no secret sits in the
    table. A request for an
    address with no account still adds a row (``user_id`` empty), which the job closes
    unsent: both answers do the same work.
    """

    __tablename__ = "account_emails"
    __table_args__ = (
        Index("ix_account_emails_due", "sent_at", "cancelled_at", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[AccountEmailKind] = mapped_column(
        Enum(AccountEmailKind, native_enum=False, length=30))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True)
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("pending_registrations.id", ondelete="SET NULL"), nullable=True,
        index=True)
    email_change_id: Mapped[int | None] = mapped_column(
        ForeignKey("pending_email_changes.id", ondelete="SET NULL"), nullable=True,
        index=True)


Index("ix_users_created_at", User.created_at)
