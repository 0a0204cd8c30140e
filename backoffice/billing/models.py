"""Resident tariffs: what a resident pays at a hospital, by code and period. Hospital bills come next."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.auth.models import User
from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.directory.models import Hospital
from backoffice.extensions import db
from backoffice.money import Amount

# Tariff prices carry up to 4 decimals (unit prices of consumables); line totals are rounded to the cent.
PRICE_SCALE = 4
TARIFF_KINDS = ("resident", "international")


class TariffImport(db.Model):
    """One import of a hospital's resident price list. The latest import of a hospital is its tariff; earlier ones
    stay, so an audit can always be traced to the list it used."""

    __tablename__ = "tariff_imports"
    __table_args__ = (
        Index("ix_tariff_imports_hospital_imported_at", "hospital_id", "imported_at"),
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in TARIFF_KINDS)})", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    # What the list prices: the resident tariff (what a resident pays, the audit's measure) or the hospital's
    # international price list (what a foreign patient would pay, the offers' comparison). Each kind has its own
    # latest import.
    kind: Mapped[str] = mapped_column(String(15), default="resident", server_default="resident")
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


# How a bill reached the operator: the hospital's CSV, an XRechnung / ZUGFeRD e-invoice as UBL or CII XML, or a
# ZUGFeRD / Factur-X PDF with its CII XML embedded.
BILL_FORMATS = ("csv", "ubl", "cii", "facturx")
BILL_STATUSES = ("received", "under_review", "approved", "disputed", "paid")
LINE_STATUSES = (
    "invalid",
    "duplicate",
    "credit",
    "unknown_code",
    "no_valid_tariff",
    "currency_mismatch",
    "outside_stay",
    "not_in_programme",
    "overcharged",
    "below_tariff",
    "ok_rounding",
    "ok",
)
LINE_DECISIONS = ("accepted", "disputed")
# Lines finance must decide (accept or dispute) before a bill is approved, unless overridden with a note, and that no
# invoice charges unless accepted: every finding that matters, and every line without a price comparison (finance is
# the only check such a line gets). The rule is `bills.approve_bill`'s; it is stated here, below billing and
# invoicing, so the final invoice's sources read the same list.
NEEDS_DECISION = (
    "overcharged",
    "invalid",
    "duplicate",
    "credit",
    "unknown_code",
    "no_valid_tariff",
    "currency_mismatch",
    "outside_stay",
    "not_in_programme",
)


class HospitalBill(db.Model):
    """A hospital's bill for a case, audited line by line against the hospital's resident tariff.

    received -> under_review -> approved | disputed; a disputed bill goes back to under_review when the hospital
    sends a corrected bill (which `supersedes` it); an approved bill becomes paid.
    """

    __tablename__ = "hospital_bills"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in BILL_STATUSES)})", name="status"),
        CheckConstraint(
            f"original_format = '' OR original_format IN ({', '.join(repr(f) for f in BILL_FORMATS)})",
            name="original_format",
        ),
        Index("ix_hospital_bills_hospital_received_on", "hospital_id", "received_on"),
        # A bill is corrected once; a hospital's invoice number is received once (its correction may repeat it).
        Index("uq_hospital_bills_supersedes_id", "supersedes_id", unique=True),
        Index(
            "uq_hospital_bills_hospital_reference",
            "hospital_id",
            "reference",
            unique=True,
            sqlite_where=text("supersedes_id IS NULL"),
            postgresql_where=text("supersedes_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    hospital_id: Mapped[int] = mapped_column(ForeignKey("hospitals.id"))
    reference: Mapped[str] = mapped_column(String(60))  # the hospital's invoice number
    received_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(20), default="received")
    version: Mapped[int] = mapped_column(default=1)
    # The tariff the lines were audited against, and the bill this one corrects.
    tariff_import_id: Mapped[int | None] = mapped_column(ForeignKey("tariff_imports.id"))
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("hospital_bills.id"))
    source_filename: Mapped[str] = mapped_column(String(255), default="")
    # The file the bill came in, archived unchanged as its legal original (backoffice/archive.py): its form
    # (BILL_FORMATS; empty for a bill entered line by line), where it lies in the archive, its SHA-256 and size.
    original_format: Mapped[str] = mapped_column(String(10), default="", server_default="")
    original_filename: Mapped[str | None] = mapped_column(String(255))
    original_sha256: Mapped[str | None] = mapped_column(String(64))
    original_size: Mapped[int | None]
    # What an e-invoice states of itself (BT-2, BT-27, BT-31, BT-106 and BT-5), checked when it was received.
    issued_on: Mapped[date | None]
    seller_name: Mapped[str] = mapped_column(String(200), default="", server_default="")
    seller_vat_id: Mapped[str] = mapped_column(String(20), default="", server_default="")
    stated_total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    stated_currency: Mapped[str | None] = mapped_column(String(3))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # approved or disputed
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    override_note: Mapped[str] = mapped_column(String(2000), default="")  # approval despite undecided findings
    paid_on: Mapped[date | None]

    hospital: Mapped[Hospital] = relationship(lazy="raise")
    lines: Mapped[list[BillLine]] = relationship(
        back_populates="bill", order_by="BillLine.position", lazy="raise", cascade="all, delete-orphan"
    )
    findings: Mapped[list[BillFinding]] = relationship(
        back_populates="bill", order_by="BillFinding.position", lazy="raise", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


BILL_FINDING_KINDS = ("exceeds_offer",)


class BillFinding(db.Model):
    """A finding about the bill as a whole or one code across its lines, beside the line-by-line audit: the bill's
    total (code empty) or one code's charges above what the case's accepted offer promised."""

    __tablename__ = "bill_findings"
    __table_args__ = (
        CheckConstraint(f"kind IN ({', '.join(repr(k) for k in BILL_FINDING_KINDS)})", name="kind"),
        Index("ix_bill_findings_bill_position", "bill_id", "position", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("hospital_bills.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    code: Mapped[str] = mapped_column(String(40), default="")  # empty: the bill's total
    description: Mapped[str] = mapped_column(String(300), default="")
    charged: Mapped[Decimal] = mapped_column(Amount(scale=2))
    promised: Mapped[Decimal] = mapped_column(Amount(scale=2))
    currency: Mapped[str] = mapped_column(String(3))
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))  # the accepted offer it was held against
    offer_label: Mapped[str] = mapped_column(String(60), default="")  # "C-2026-00042 offer, version 2"

    bill: Mapped[HospitalBill] = relationship(back_populates="findings")


class BillLine(db.Model):
    """One line as the hospital wrote it (raw text kept), what the audit found, and finance's decision on it."""

    __tablename__ = "bill_lines"
    __table_args__ = (
        CheckConstraint(f"status IN ({', '.join(repr(s) for s in LINE_STATUSES)})", name="status"),
        CheckConstraint(
            f"decision IS NULL OR decision IN ({', '.join(repr(s) for s in LINE_DECISIONS)})", name="decision"
        ),
        Index("ix_bill_lines_bill_position", "bill_id", "position", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("hospital_bills.id", ondelete="CASCADE"))
    position: Mapped[int]  # order in the bill
    line_no: Mapped[int]  # the hospital's line number (or the row number when it gave none)
    # As written by the hospital
    raw_date: Mapped[str] = mapped_column(String(40), default="")
    code: Mapped[str] = mapped_column(String(40), default="")
    description: Mapped[str] = mapped_column(String(300), default="")
    raw_quantity: Mapped[str] = mapped_column(String(40), default="")
    raw_unit_price: Mapped[str] = mapped_column(String(40), default="")
    raw_currency: Mapped[str] = mapped_column(String(10), default="")
    # As read (None when unreadable)
    service_on: Mapped[date | None]
    quantity: Mapped[Decimal | None] = mapped_column(Amount(scale=PRICE_SCALE))
    unit_price: Mapped[Decimal | None] = mapped_column(Amount(scale=PRICE_SCALE))
    currency: Mapped[str | None] = mapped_column(String(3))
    # The audit
    status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(300), default="")
    charged: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    expected: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    tariff_item_id: Mapped[int | None] = mapped_column(ForeignKey("tariff_items.id"))
    # Finance's decision
    decision: Mapped[str | None] = mapped_column(String(10))
    decision_reason: Mapped[str] = mapped_column(String(1000), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    bill: Mapped[HospitalBill] = relationship(back_populates="lines")
