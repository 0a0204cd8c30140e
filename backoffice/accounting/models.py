"""DATEV exports: one booking batch (the EXTF "Buchungsstapel" CSV) per export, and the bookings it carried.

A booking is one issued invoice, credit note or payment; it is exported once: the unique index on (source_type,
source_id) keeps a second export of the same period to what is new since the first."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db

CHARTS = ("SKR03", "SKR04")
SOURCE_TYPES = ("invoice", "payment", "refund")  # refund: a case's credit paid back (invoicing.AccountCredit)


class DatevExport(db.Model):
    __tablename__ = "datev_exports"
    __table_args__ = (
        CheckConstraint("period_to >= period_from", name="period"),
        CheckConstraint(f"chart IN ({', '.join(repr(c) for c in CHARTS)})", name="chart"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    period_from: Mapped[date]
    period_to: Mapped[date]
    chart: Mapped[str] = mapped_column(String(5))
    booking_count: Mapped[int]
    # Bookings of the period left out because an earlier export carried them
    earlier_count: Mapped[int] = mapped_column(default=0)
    # The CSV as given out, in the archive with its SHA-256
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    bookings: Mapped[list[DatevBooking]] = relationship(
        back_populates="export", order_by="DatevBooking.id", lazy="raise", cascade="all, delete-orphan"
    )


class DatevBooking(db.Model):
    __tablename__ = "datev_bookings"
    __table_args__ = (
        UniqueConstraint("source_type", "source_id", name="uq_datev_bookings_source"),
        CheckConstraint(f"source_type IN ({', '.join(repr(t) for t in SOURCE_TYPES)})", name="source_type"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    export_id: Mapped[int] = mapped_column(ForeignKey("datev_exports.id", ondelete="CASCADE"), index=True)
    source_type: Mapped[str] = mapped_column(String(10))
    source_id: Mapped[int]
    # What the batch said of it: document number and date, the amount in euro cents-free text as written
    document_number: Mapped[str] = mapped_column(String(36))
    document_date: Mapped[date]

    export: Mapped[DatevExport] = relationship(back_populates="bookings")
