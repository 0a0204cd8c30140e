"""A supplier's invoice for a case's bookings, its lines as the supplier wrote them, and what the check found.

received -> approved | disputed (finance decides once it has read the findings); the original file is kept
unchanged in the archive as the invoice's legal original."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.money import Amount

KINDS = ("hotel", "transfer", "interpreter")
KIND_LABELS = {"hotel": N_("Hotel"), "transfer": N_("Transfer service"), "interpreter": N_("Interpreter")}
STATUSES = ("received", "approved", "disputed")
STATUS_LABELS = {"received": N_("Received"), "approved": N_("Approved"), "disputed": N_("Disputed")}
FORMATS = ("ubl", "cii", "facturx")
FINDING_KINDS = (
    "no_booking",
    "booking_cancelled",
    "currency_differs",
    "dates_differ",
    "nights_differ",
    "hours_differ",
    "price_differs",
)
QUANTITY_SCALE = 4


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class SupplierInvoice(db.Model):
    __tablename__ = "supplier_invoices"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint(_in("original_format", FORMATS), name="original_format"),
        # A supplier's invoice number is received once per case.
        Index("uq_supplier_invoices_case_seller_reference", "case_id", "seller_name", "reference", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(10), default="received")
    reference: Mapped[str] = mapped_column(String(60))  # BT-1
    issued_on: Mapped[date]  # BT-2
    received_on: Mapped[date]
    seller_name: Mapped[str] = mapped_column(String(200))  # BT-27
    seller_vat_id: Mapped[str] = mapped_column(String(20), default="")  # BT-31
    currency: Mapped[str] = mapped_column(String(3))  # BT-5
    net_total: Mapped[Decimal] = mapped_column(Amount(scale=2))  # BT-109
    tax_total: Mapped[Decimal] = mapped_column(Amount(scale=2))  # BT-110
    total: Mapped[Decimal] = mapped_column(Amount(scale=2))  # BT-112
    original_format: Mapped[str] = mapped_column(String(10))
    original_filename: Mapped[str] = mapped_column(String(255))
    original_sha256: Mapped[str] = mapped_column(String(64))
    original_size: Mapped[int]
    source_filename: Mapped[str] = mapped_column(String(255), default="")
    decision_note: Mapped[str] = mapped_column(String(2000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)

    lines: Mapped[list[SupplierInvoiceLine]] = relationship(
        back_populates="invoice", order_by="SupplierInvoiceLine.position", lazy="raise", cascade="all, delete-orphan"
    )
    findings: Mapped[list[SupplierFinding]] = relationship(
        back_populates="invoice", order_by="SupplierFinding.position", lazy="raise", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}


class SupplierInvoiceLine(db.Model):
    """A line as the supplier wrote it (EN 16931 BG-25), and the booking it was held against."""

    __tablename__ = "supplier_invoice_lines"
    __table_args__ = (Index("ix_supplier_invoice_lines_invoice_position", "invoice_id", "position", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("supplier_invoices.id", ondelete="CASCADE"))
    position: Mapped[int]
    line_id: Mapped[str] = mapped_column(String(40))  # BT-126
    description: Mapped[str] = mapped_column(String(300), default="")  # BT-153
    period_start: Mapped[date | None]  # BT-134
    period_end: Mapped[date | None]  # BT-135
    quantity: Mapped[Decimal] = mapped_column(Amount(scale=QUANTITY_SCALE))  # BT-129
    unit_code: Mapped[str] = mapped_column(String(3), default="")  # BT-130
    net_amount: Mapped[Decimal] = mapped_column(Amount(scale=2))  # BT-131
    vat_category: Mapped[str] = mapped_column(String(2), default="")  # BT-151
    vat_rate: Mapped[Decimal] = mapped_column(Amount(scale=2), default=Decimal(0))  # BT-152
    booking_type: Mapped[str] = mapped_column(String(12), default="")  # "" when no booking matched
    booking_id: Mapped[int | None]

    invoice: Mapped[SupplierInvoice] = relationship(back_populates="lines")


class SupplierFinding(db.Model):
    """A difference between the invoice and the case's bookings: what was booked beside what was invoiced."""

    __tablename__ = "supplier_findings"
    __table_args__ = (
        CheckConstraint(_in("kind", FINDING_KINDS), name="kind"),
        Index("ix_supplier_findings_invoice_position", "invoice_id", "position", unique=True),
        Index(
            "ix_supplier_findings_booking",
            "booking_type",
            "booking_id",
            sqlite_where=text("booking_id IS NOT NULL"),
            postgresql_where=text("booking_id IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("supplier_invoices.id", ondelete="CASCADE"))
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(20))
    booking_type: Mapped[str] = mapped_column(String(12), default="")
    booking_id: Mapped[int | None]
    line_ids: Mapped[str] = mapped_column(String(200), default="")  # the invoice's lines concerned: "1, 2"
    booked: Mapped[str] = mapped_column(String(200), default="")  # "12-19 Mar 2026, 7 nights", "EUR 840.00"
    invoiced: Mapped[str] = mapped_column(String(200), default="")
    difference: Mapped[Decimal | None] = mapped_column(Amount(scale=2))  # of a price, invoiced - booked
    currency: Mapped[str | None] = mapped_column(String(3))

    invoice: Mapped[SupplierInvoice] = relationship(back_populates="findings")
