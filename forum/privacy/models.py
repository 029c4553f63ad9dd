"""Sign-in addresses: the network address a member signed in from, for security only.

Written by :func:`forum.accounts.actions.do_login`; shown to the member in their data export
and to an admin who gives a reason (``member:view_private``); deleted after
``IP_RETENTION_DAYS`` by the retention purge and at once when the account is closed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from forum.db import Base, UTCDateTime, utcnow


class SignInAddress(Base):
    __tablename__ = "privacy_sign_in_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # IPv6 text form is at most 45 characters.
    ip: Mapped[str] = mapped_column(String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
