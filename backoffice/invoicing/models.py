"""Invoices to patients: deposit invoices, final invoices and credit notes, their lines, payments and deductions.

An invoice is a legal document. While it is a draft finance edits it freely; issuing gives it its number, freezes
its lines, totals, addresses and the issuer's details, and archives its PDF (the SHA-256 of those bytes is kept).
From then on only payments are recorded against it and only a credit note corrects it: `immutability.py` refuses
any other change at flush time, whoever attempts it.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.money import Amount, Money
from backoffice.vat import CATEGORIES as VAT_CATEGORIES
from backoffice.vat import TAXED as VAT_TAXED

KINDS = ("deposit", "final", "credit_note")
# Marked for the catalogues: the printed invoice's title (invoicing/printing.py, with its German beside it).
KIND_LABELS = {"deposit": N_("Deposit invoice"), "final": N_("Final invoice"), "credit_note": N_("Credit note")}
# draft -> issued -> partially_paid / paid; refund_due when credits and deductions exceed what is owed;
# credited when a credit note cancelled it before anything was paid; settled: a deposit whose unpaid rest the final
# invoice took over.
STATUSES = ("draft", "issued", "partially_paid", "paid", "refund_due", "credited", "settled")
# The kind of a line chooses its VAT category (`backoffice.vat`, the table finance keeps).
LINE_KINDS = (
    "treatment",
    "appointment",
    "hotel",
    "flight",
    "transfer",
    "interpreter",
    "logistics",
    "medicine",
    "fee",
    "deposit",
    "other",
)
LINE_KIND_LABELS = {
    "treatment": N_("Medical treatment"),
    "appointment": N_("Hospital appointment booking"),
    "hotel": N_("Hotel accommodation"),
    "flight": N_("Flights"),
    "transfer": N_("Transfers"),
    "interpreter": N_("Medical interpreter"),
    "logistics": N_("Travel and logistics"),
    "medicine": N_("Medicines"),
    "fee": N_("Coordination fee"),
    "deposit": N_("Deposit"),
    "other": N_("Other service"),
}
PAYMENT_METHODS = ("bank_transfer", "card", "cash", "other", "account_credit")
PAYMENT_METHOD_LABELS = {
    "bank_transfer": N_("Bank transfer"),
    "card": N_("Card"),
    "cash": N_("Cash"),
    "other": N_("Other"),
    "account_credit": N_("From the case's credit"),
}
# How money reaches the operator or goes back (the case's credit is applied by its own operation, never typed).
RECEIVED_METHODS = ("bank_transfer", "card", "cash", "other")
CREDIT_KINDS = ("overpayment", "applied", "refunded")
CREDIT_KIND_LABELS = {
    "overpayment": N_("Paid more than was open"),
    "applied": N_("Applied to an invoice"),
    "refunded": N_("Refunded to the patient"),
}
SERIES = {"deposit": "INV", "final": "INV", "credit_note": "CN"}
# Exchange rates: 1 unit of the base currency = `exchange_rate` units of the invoice's currency.
RATE_SCALE = 6
PRICE_SCALE = 4


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Invoice(db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(_in("kind", KINDS), name="kind"),
        CheckConstraint(_in("status", STATUSES), name="status"),
        CheckConstraint("(kind = 'credit_note') = (credited_invoice_id IS NOT NULL)", name="credit_note_refers"),
        CheckConstraint("status = 'draft' OR (number IS NOT NULL AND pdf_sha256 IS NOT NULL)", name="issued_numbered"),
        CheckConstraint("exchange_rate IS NULL OR exchange_rate > 0", name="rate_positive"),
        Index("ix_invoices_status_issue_date", "status", "issue_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    status: Mapped[str] = mapped_column(String(15), default="draft")
    # Given at issue: INV-2026-00001 / CN-2026-00001, gapless per series and year.
    number: Mapped[str | None] = mapped_column(String(20), unique=True)
    currency: Mapped[str] = mapped_column(String(3))
    base_currency: Mapped[str] = mapped_column(String(3))
    exchange_rate: Mapped[Decimal | None] = mapped_column(Amount(scale=RATE_SCALE))
    exchange_rate_on: Mapped[date | None]
    credited_invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    hospital_bill_id: Mapped[int | None] = mapped_column(ForeignKey("hospital_bills.id"))
    note: Mapped[str] = mapped_column(Text, default="")  # printed: the reason of a credit note, a remark
    bill_to_name: Mapped[str] = mapped_column(String(200), default="")
    bill_to_address: Mapped[str] = mapped_column(Text, default="")
    # A business payer (insurer, embassy, employer): its buyer reference (BT-10; a German public payer's
    # Leitweg-ID) makes the invoice available as XRechnung; postcode, city and country go into the e-invoice.
    bill_to_reference: Mapped[str] = mapped_column(String(60), default="", server_default="")
    bill_to_vat_id: Mapped[str] = mapped_column(String(20), default="", server_default="")
    bill_to_postcode: Mapped[str] = mapped_column(String(20), default="", server_default="")
    bill_to_city: Mapped[str] = mapped_column(String(100), default="", server_default="")
    bill_to_country: Mapped[str] = mapped_column(String(2), default="", server_default="")
    service_from: Mapped[date | None]
    service_to: Mapped[date | None]
    issue_date: Mapped[date | None]
    due_on: Mapped[date | None]
    issuer: Mapped[dict | None] = mapped_column(JSON)  # the operator's details as printed, frozen at issue
    net_total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    tax_total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    deductions_total: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    pdf_filename: Mapped[str | None] = mapped_column(String(200))  # inside INVOICE_ARCHIVE
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1)
    # A final invoice is shown beside the case's accepted offer; a difference above OFFER_DIFFERENCE_THRESHOLD
    # needs a reason before it is issued.
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("offers.id"))
    offer_difference_reason: Mapped[str] = mapped_column(String(2000), default="", server_default="")

    lines: Mapped[list[InvoiceLine]] = relationship(
        back_populates="invoice", order_by="InvoiceLine.position", lazy="raise", cascade="all, delete-orphan"
    )
    payments: Mapped[list[InvoicePayment]] = relationship(
        order_by="InvoicePayment.received_on, InvoicePayment.id", lazy="raise", cascade="all, delete-orphan"
    )
    deductions: Mapped[list[InvoiceDeduction]] = relationship(
        foreign_keys="InvoiceDeduction.invoice_id", lazy="raise", cascade="all, delete-orphan"
    )
    credited_invoice: Mapped[Invoice | None] = relationship(remote_side=[id], lazy="raise")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_draft(self) -> bool:
        return self.status == "draft"

    @property
    def is_credit_note(self) -> bool:
        return self.kind == "credit_note"

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def total_money(self) -> Money | None:
        return None if self.total is None else Money(self.total, self.currency)

    @property
    def label(self) -> str:
        return f"{self.kind_label} {self.number}" if self.number else f"Draft {self.kind_label.lower()} #{self.id}"


class InvoiceLine(db.Model):
    """A line as printed: quantity x unit price, its net amount rounded half-up to the cent once, and its share of
    its rate's VAT (the VAT of a rate is computed once on the rate's net total: `totals.apply_vat`).

    Lines taken over from elsewhere keep their source: the bill line they pass through at resident price, the
    unit price and currency before conversion, the invoice line a credit-note line reverses."""

    __tablename__ = "invoice_lines"
    __table_args__ = (
        UniqueConstraint("invoice_id", "position", name="uq_invoice_lines_invoice_position"),
        CheckConstraint(_in("kind", LINE_KINDS), name="kind"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("vat_rate >= 0 AND vat_rate < 10000", name="vat_rate_range"),
        CheckConstraint(_in("vat_category", VAT_CATEGORIES), name="vat_category"),
        CheckConstraint(f"{_in('vat_category', VAT_TAXED)} OR vat_rate = 0", name="untaxed_at_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    kind: Mapped[str] = mapped_column(String(12))
    description: Mapped[str] = mapped_column(String(300))
    service_on: Mapped[date | None]
    quantity: Mapped[Decimal] = mapped_column(Amount(scale=PRICE_SCALE))
    unit_price: Mapped[Decimal] = mapped_column(Amount(scale=PRICE_SCALE))
    vat_rate: Mapped[Decimal] = mapped_column(Amount(scale=2))  # percent
    vat_category: Mapped[str] = mapped_column(String(20))  # backoffice.vat.CATEGORIES
    vat_note: Mapped[str] = mapped_column(String(300), default="", server_default="")  # printed with the category
    net_amount: Mapped[Decimal] = mapped_column(Amount(scale=2))
    tax_amount: Mapped[Decimal] = mapped_column(Amount(scale=2))
    source_unit_price: Mapped[Decimal | None] = mapped_column(Amount(scale=PRICE_SCALE))
    source_currency: Mapped[str | None] = mapped_column(String(3))
    bill_line_id: Mapped[int | None] = mapped_column(ForeignKey("bill_lines.id"))
    credited_line_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_lines.id"), index=True)

    invoice: Mapped[Invoice] = relationship(back_populates="lines")

    @property
    def kind_label(self) -> str:
        return LINE_KIND_LABELS[self.kind]

    @property
    def gross_amount(self) -> Decimal:
        return self.net_amount + self.tax_amount


class InvoicePayment(db.Model):
    """Money received for an invoice (positive) or refunded to the patient (negative), in the invoice's currency.

    A payment is recorded as the bank shows it: more than was open on the invoice keeps its whole amount, and the
    part beyond what was open (`to_credit`) went to the case's credit (`AccountCredit`), not to this invoice."""

    __tablename__ = "invoice_payments"
    __table_args__ = (
        CheckConstraint(_in("method", PAYMENT_METHODS), name="method"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("to_credit >= 0 AND (to_credit = 0 OR to_credit <= amount)", name="to_credit_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    received_on: Mapped[date]
    amount: Mapped[Decimal] = mapped_column(Amount(scale=2))
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(20))
    reference: Mapped[str] = mapped_column(String(100), default="")
    to_credit: Mapped[Decimal] = mapped_column(Amount(scale=2), default=Decimal(0), server_default="0")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def method_label(self) -> str:
        return PAYMENT_METHOD_LABELS[self.method]

    @property
    def applied(self) -> Decimal:
        """What of this payment counts on its invoice (the rest went to the case's credit)."""
        return self.amount - (self.to_credit or Decimal(0))


class AccountCredit(db.Model):
    """One step of a case's credit with the patient, in one currency (append-only, like an account statement).

    `overpayment` (+): money received beyond what was open on an invoice; `applied` (-): credit set against an issued
    invoice of the case in the same currency (recorded there as a payment "from the case's credit"); `refunded` (-):
    paid back to the patient. The balance, per currency, is the sum; it is never negative and never crosses
    currencies."""

    __tablename__ = "account_credits"
    __table_args__ = (
        CheckConstraint(_in("kind", CREDIT_KINDS), name="kind"),
        CheckConstraint("amount <> 0", name="amount_not_zero"),
        CheckConstraint("(kind = 'overpayment') = (amount > 0)", name="sign_of_kind"),
        CheckConstraint("kind <> 'refunded' OR method IS NOT NULL", name="refund_method"),
        Index("ix_account_credits_case_currency", "case_id", "currency"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[Decimal] = mapped_column(Amount(scale=2))
    kind: Mapped[str] = mapped_column(String(12))
    # overpayment: the invoice paid and the bank's payment; applied: the invoice it went to and the payment made there
    invoice_id: Mapped[int | None] = mapped_column(ForeignKey("invoices.id"), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("invoice_payments.id"))
    happened_on: Mapped[date]  # received, applied or paid back
    method: Mapped[str | None] = mapped_column(String(20))  # of a refund
    reference: Mapped[str] = mapped_column(String(100), default="")
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # The payment the step came from or went to; `listing.credit_statement` loads it with the steps.
    payment: Mapped[InvoicePayment | None] = relationship()

    @property
    def kind_label(self) -> str:
        return CREDIT_KIND_LABELS[self.kind]

    @property
    def method_label(self) -> str:
        """How the money of this step moved: a refund's own method; otherwise that of the payment it came from (the
        bank's payment of an overpayment) or went to (the invoice's payment "from the case's credit")."""
        method = self.method or (self.payment.method if self.payment is not None else "")
        return PAYMENT_METHOD_LABELS.get(method, "")

    @property
    def shown_reference(self) -> str:
        """The step's reference, or that of the payment it came from."""
        return self.reference or (self.payment.reference if self.payment is not None else "")


class InvoiceDeduction(db.Model):
    """A deposit paid, deducted on a final invoice (frozen with it at issue)."""

    __tablename__ = "invoice_deductions"
    __table_args__ = (
        UniqueConstraint("invoice_id", "deposit_invoice_id", name="uq_invoice_deductions_invoice_deposit"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"), index=True)
    deposit_invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Amount(scale=2))

    deposit_invoice: Mapped[Invoice] = relationship(foreign_keys=[deposit_invoice_id], lazy="raise")
