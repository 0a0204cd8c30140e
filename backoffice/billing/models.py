"""Resident tariffs: what a resident pays at a hospital, by code and period. Hospital bills come next."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.auth.models import User
from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.directory.models import Hospital
from backoffice.extensions import db
from backoffice.money import Amount

# Tariff prices carry up to 4 decimals (unit prices of consumables); line totals are rounded to the cent.
PRICE_SCALE = 4


class TariffImport(db.Model):
    """One import of a hospital's resident price list. The latest import of a hospital is its tariff; earlier ones
    stay, so an audit can always be traced to the list it used."""

    __tablename__ = "tariff_imports"
    __table_args__ = (Index("ix_tariff_imports_hospital_imported_at", "hospital_id", "imported_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    filename: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64))
    item_count: Mapped[int]
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    hospital: Mapped[Hospital] = relationship(lazy="raise")
    imported_by: Mapped[User | None] = relationship(lazy="raise")


class TariffItem(db.Model):
    """One version of one code of a resident price list: valid from a date, until a date (inclusive) or open."""

    __tablename__ = "tariff_items"
    __table_args__ = (
        Index("ix_tariff_items_import_code", "import_id", "code", "valid_from"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
        CheckConstraint("resident_price >= 0", name="price_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("tariff_imports.id", ondelete="CASCADE"))
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300))
    resident_price: Mapped[Decimal] = mapped_column(Amount(scale=PRICE_SCALE))
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]  # inclusive; empty = open-ended
