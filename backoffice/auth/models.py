from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.auth.permissions import PATIENT, ROLE_LABELS, ROLES, STAFF_ROLES
from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, db.Model):
    """A person who signs in: staff (admin, coordinator, finance) or a patient."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({', '.join(repr(r) for r in ROLES)})", name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Part of the session cookie's identity: replacing it ends every session of this user (logout, deactivation).
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set when someone else (an administrator) chose the password: the first sign-in asks for the person's own.
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default=false())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Staff: how their notifications also reach them by mail ("off", "daily"); the centre shows them either way.
    notification_digest: Mapped[str] = mapped_column(String(10), default="off", server_default="off")
    # Staff: the language of their pages (None: the browser's). A patient's is their record's preferred language.
    language: Mapped[str | None] = mapped_column(String(2))

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to sign in inactive users
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_patient(self) -> bool:
        return self.role == PATIENT

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"


class LoginAttempt(db.Model):
    """One try at signing in; failures in a sliding window slow an attacker down (see operations.check_throttle)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_attempted_at", "email", "attempted_at"),
        Index("ix_login_attempts_remote_addr_attempted_at", "remote_addr", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    email: Mapped[str] = mapped_column(String(254))
    remote_addr: Mapped[str] = mapped_column(String(64))
    succeeded: Mapped[bool] = mapped_column(default=False)
    # From a browser carrying the account's known-device cookie, or an address that signed in to it before: the
    # per-account limit counts only the other attempts, so strangers cannot lock the owner out.
    known_device: Mapped[bool] = mapped_column(default=False, server_default=false())
