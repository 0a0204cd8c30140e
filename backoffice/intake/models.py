from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db

OUTCOMES = ("pending", "accepted", "paused_destination", "rejected", "rate_limited")  # pending: being decided


class IntakeAttempt(db.Model):
    """Each submission of the public request form, accepted or not: the rate limit counts these."""

    __tablename__ = "intake_attempts"
    __table_args__ = (Index("ix_intake_attempts_remote_addr_attempted_at", "remote_addr", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    remote_addr: Mapped[str] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(200), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
