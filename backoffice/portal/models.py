"""Invitations to the patient portal and password-reset links: a single-use link, valid for a few days, where a
patient sets a password."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db

INVITE = "invite"  # made by the case's coordinator or an admin: the first password of an account it opened
RESET = "reset"  # made by an admin: a new password for an account in use


class PortalInvite(db.Model):
    """Only the SHA-256 of the link's token is stored: a copy of the database does not open anyone's account."""

    __tablename__ = "portal_invites"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))  # where staff invited from
    purpose: Mapped[str] = mapped_column(String(16), default=INVITE, server_default=INVITE)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # replaced by a newer invitation
