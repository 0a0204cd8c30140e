"""The payments journal: the money that came in and went back in a period, by the day it moved and how (bank
transfer, card, cash, other), with totals per currency and method, never mixed across currencies.

Money moves in two places: a payment or refund recorded on an invoice (`InvoicePayment`; its whole amount as the bank
showed it, the part beyond what was open included), and a case's credit paid back to the patient (`AccountCredit`
of kind "refunded"). Setting the case's credit against an invoice moves no money, so the journal leaves it out. Two
statements whatever the number of payments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.invoicing.models import PAYMENT_METHOD_LABELS, RECEIVED_METHODS, AccountCredit, Invoice, InvoicePayment
from backoffice.patients.models import Patient

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class JournalEntry:
    day: date
    amount: Decimal  # received: positive; refunded: negative
    currency: str
    method: str
    reference: str
    case_number: str
    patient_name: str
    invoice_number: str  # empty for a refund of the case's credit
    invoice_id: int | None

    @property
    def is_refund(self) -> bool:
        return self.amount < 0

    @property
    def method_label(self) -> str:
        return PAYMENT_METHOD_LABELS.get(self.method, self.method)


@dataclass(slots=True)
class MethodTotal:
    currency: str
    method: str
    received: Decimal = ZERO
    refunded: Decimal = ZERO  # as a positive amount

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded

    @property
    def method_label(self) -> str:
        return PAYMENT_METHOD_LABELS.get(self.method, self.method)


@dataclass(slots=True)
class Journal:
    entries: list[JournalEntry]
    by_method: list[MethodTotal] = field(default_factory=list)  # per currency and method
    by_currency: list[MethodTotal] = field(default_factory=list)  # per currency (method "")


def payments_journal(first: date | None, last: date | None, method: str | None = None) -> Journal:
    """Payments received and refunded from `first` to `last` (inclusive; either open), of one method or all, in the
    order they happened, with their totals."""
    payments = (
        select(InvoicePayment, Invoice.number, Case.number, Patient.name)
        .join(Invoice, Invoice.id == InvoicePayment.invoice_id)
        .join(Case, Case.id == Invoice.case_id)
        .join(Patient, Patient.id == Invoice.patient_id)
        .where(InvoicePayment.method.in_(RECEIVED_METHODS))
    )
    refunds = (
        select(AccountCredit, Case.number, Patient.name)
        .join(Case, Case.id == AccountCredit.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .where(AccountCredit.kind == "refunded")
    )
    if first:
        payments = payments.where(InvoicePayment.received_on >= first)
        refunds = refunds.where(AccountCredit.happened_on >= first)
    if last:
        payments = payments.where(InvoicePayment.received_on <= last)
        refunds = refunds.where(AccountCredit.happened_on <= last)
    if method:
        payments = payments.where(InvoicePayment.method == method)
        refunds = refunds.where(AccountCredit.method == method)
    entries = [
        JournalEntry(
            payment.received_on,
            payment.amount,
            payment.currency,
            payment.method,
            payment.reference,
            case_number,
            patient_name,
            invoice_number or "",
            payment.invoice_id,
        )
        for payment, invoice_number, case_number, patient_name in db.session.execute(payments)
    ]
    entries += [
        JournalEntry(
            credit.happened_on,
            credit.amount,
            credit.currency,
            credit.method or "other",
            credit.reference,
            case_number,
            patient_name,
            "",
            None,
        )
        for credit, case_number, patient_name in db.session.execute(refunds)
    ]
    entries.sort(key=lambda entry: (entry.day, entry.currency, entry.case_number, entry.amount))
    return Journal(entries, _totals(entries, by_method=True), _totals(entries, by_method=False))


def _totals(entries: list[JournalEntry], *, by_method: bool) -> list[MethodTotal]:
    totals: dict[tuple[str, str], MethodTotal] = {}
    for entry in entries:
        key = (entry.currency, entry.method if by_method else "")
        total = totals.setdefault(key, MethodTotal(*key))
        if entry.amount > 0:
            total.received += entry.amount
        else:
            total.refunded -= entry.amount
    return [totals[key] for key in sorted(totals)]
