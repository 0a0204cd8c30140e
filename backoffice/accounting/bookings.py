"""What a period books: every issued invoice and credit note dated in it, every payment received or refunded in it.

An invoice is one row per VAT category and rate it carries: its gross amount, the patient's debtor account debited
(S) against the category's revenue account (`charts.py`); a credit note is the same reversed (H). A final invoice
that deducted deposits also reverses the revenue of each deposit it took over (what the deposit invoice booked, less
its credit notes), so a treatment's revenue is booked once, by the final invoice, and the patient's debtor account
ends at what the final invoice says is left to pay; the credit note that cancels such a final invoice entirely gives
that revenue back to the deposits (the next final invoice takes them over again). A payment is the bank (or cash)
account debited against the debtor (S); a refund the same reversed (H). Credit the case's account applies to another
invoice moves no money and stays on the same debtor, so it books nothing; credit paid back to the patient (a
refund from the case's account) is money leaving the bank: the debtor debited (S) against the bank or cash account.

Amounts are in the base currency (`INVOICE_BASE_CURRENCY`, the batch's currency): an invoice in another currency and
its payments are converted with the invoice's own exchange rate (1 base unit = rate units), each row rounded
half-up to the cent, rather than written as WKZ + Kurs: the tax adviser books in euros, and the rate is the one the
invoice printed its VAT in euros with (section 16(6) UStG).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from backoffice.accounting.charts import Chart, money_account
from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.invoicing.models import AccountCredit, Invoice, InvoiceDeduction, InvoicePayment
from backoffice.invoicing.totals import invoice_totals
from backoffice.money import round_half_up
from backoffice.patients.models import Patient

KIND_TEXT = {"deposit": "Anzahlungsrechnung", "final": "Rechnung", "credit_note": "Rechnungskorrektur"}
CATEGORY_TEXT = {
    "exempt": "steuerfrei",
    "zero": "0 %",
    "outside_scope": "nicht steuerbar",
    "margin_scheme": "§ 25 UStG",
}


@dataclass(frozen=True, slots=True)
class Part:
    """One row of a booking: `amount` (positive, base currency) with the debtor at `debtor_side` (S/H) against
    `other_account`; `debtor_first`: the debtor is Konto (invoices), else Gegenkonto (payments: the bank is Konto)."""

    amount: Decimal
    debtor_side: str
    other_account: int
    text: str
    debtor_first: bool = True


@dataclass(slots=True)
class Booking:
    """One issued invoice, credit note or payment as the batch carries it."""

    source_type: str  # invoice | payment | refund (of the case's credit)
    source_id: int
    document_number: str
    document_date: date
    patient: Patient
    parts: list[Part] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, int]:
        return self.source_type, self.source_id


def in_base(amount: Decimal, invoice: Invoice) -> Decimal:
    """An amount of the invoice in the base currency at the invoice's exchange rate, rounded half-up to the cent."""
    if invoice.currency == invoice.base_currency or not invoice.exchange_rate:
        return round_half_up(amount)
    return round_half_up(amount / Decimal(invoice.exchange_rate))


def _rate_text(category: str, rate: Decimal) -> str:
    return CATEGORY_TEXT.get(category) or f"{rate.normalize():f} %".replace(".", ",")


def _gross_by_rate(invoices: Iterable[Invoice]) -> dict[tuple[str, Decimal], Decimal]:
    sums: dict[tuple[str, Decimal], Decimal] = {}
    for invoice in invoices:
        for group in invoice_totals(invoice.lines, invoice.currency).by_rate:
            key = (group.category, group.rate)
            sums[key] = sums.get(key, Decimal(0)) + group.gross
    return sums


def invoices_of(period_from: date, period_to: date) -> list[Invoice]:
    """The invoices and credit notes issued in the period, with what their rows need (a fixed number of queries)."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.status != "draft", Invoice.issue_date >= period_from, Invoice.issue_date <= period_to)
            .options(
                selectinload(Invoice.lines),
                selectinload(Invoice.deductions)
                .selectinload(InvoiceDeduction.deposit_invoice)
                .selectinload(Invoice.lines),
                selectinload(Invoice.credited_invoice)
                .selectinload(Invoice.deductions)
                .selectinload(InvoiceDeduction.deposit_invoice)
                .selectinload(Invoice.lines),
            )
            .order_by(Invoice.issue_date, Invoice.id)
        )
    )


def payments_of(period_from: date, period_to: date) -> list[InvoicePayment]:
    """The money received or paid back in the period (credit applied from the case's account moves none)."""
    return list(
        db.session.scalars(
            select(InvoicePayment)
            .where(
                InvoicePayment.received_on >= period_from,
                InvoicePayment.received_on <= period_to,
                InvoicePayment.method != "account_credit",
            )
            .order_by(InvoicePayment.received_on, InvoicePayment.id)
        )
    )


def refunds_of(period_from: date, period_to: date) -> list[AccountCredit]:
    """The case credits paid back to patients in the period."""
    return list(
        db.session.scalars(
            select(AccountCredit)
            .where(
                AccountCredit.kind == "refunded",
                AccountCredit.happened_on >= period_from,
                AccountCredit.happened_on <= period_to,
            )
            .order_by(AccountCredit.happened_on, AccountCredit.id)
        )
    )


def refund_booking(credit: AccountCredit, rate_invoice: Invoice | None, case: Case, chart: Chart) -> Booking:
    """Credit paid back: the debtor debited (S) against the bank or cash account, in the base currency at the rate
    of the case's latest invoice in the credit's currency (the invoice the overpayment was converted with)."""
    document = credit.reference or f"Guthaben {case.number}"
    booking = Booking("refund", credit.id, document[:36], credit.happened_on, case.patient)
    amount = -credit.amount
    if rate_invoice is not None:
        amount = in_base(amount, rate_invoice)
    text = f"Erstattung Guthaben {case.number} {case.patient.name}"
    booking.parts.append(Part(amount, "S", money_account(chart, credit.method or "bank_transfer"), text, False))
    return booking


def _rate_invoices(credits: list[AccountCredit]) -> dict[tuple[int, str], Invoice]:
    """For each (case, currency) of `credits`: the case's latest issued invoice in that currency."""
    if not credits:
        return {}
    found: dict[tuple[int, str], Invoice] = {}
    for invoice in db.session.scalars(
        select(Invoice)
        .where(Invoice.case_id.in_({c.case_id for c in credits}), Invoice.status != "draft")
        .order_by(Invoice.issue_date, Invoice.id)
    ):
        found[(invoice.case_id, invoice.currency)] = invoice
    return found


def _deposit_credit_notes(deposit_ids: list[int]) -> dict[int, list[Invoice]]:
    if not deposit_ids:
        return {}
    notes: dict[int, list[Invoice]] = {}
    for note in db.session.scalars(
        select(Invoice)
        .where(Invoice.credited_invoice_id.in_(deposit_ids), Invoice.status != "draft")
        .options(selectinload(Invoice.lines))
    ):
        notes.setdefault(note.credited_invoice_id, []).append(note)
    return notes


def _deposit_parts(final: Invoice, chart: Chart, deposit_notes: dict[int, list[Invoice]], side: str, name: str):
    """What the deposits a final invoice took over booked as revenue (less their credit notes), at `side` for the
    debtor: H when the final invoice takes them over, S when a credit note cancelling it gives them back."""
    for deduction in final.deductions:
        deposit = deduction.deposit_invoice
        booked = _gross_by_rate([deposit])
        for key, gross in _gross_by_rate(deposit_notes.get(deposit.id, [])).items():
            booked[key] = booked.get(key, Decimal(0)) - gross
        for (category, _rate), gross in booked.items():
            amount = in_base(gross, deposit)
            if amount > 0:
                text = f"Verrechnung Anzahlung {deposit.number} {name}"
                yield Part(amount, side, chart.revenue[category], text)


def invoice_booking(
    invoice: Invoice, chart: Chart, patient: Patient, deposit_notes: dict[int, list[Invoice]], cancelling: set[int]
) -> Booking:
    """An invoice or credit note; `cancelling`: the credit notes that cancelled a final invoice entirely, which give
    back the deposits it took over (a new final invoice takes them over again)."""
    credit_note = invoice.is_credit_note
    booking = Booking("invoice", invoice.id, invoice.number or "", invoice.issue_date, patient)
    title = f"{KIND_TEXT[invoice.kind]} {invoice.number}"
    for (category, rate), gross in _gross_by_rate([invoice]).items():
        amount = in_base(gross, invoice)
        if amount:
            text = f"{title} {_rate_text(category, rate)} {patient.name}"
            booking.parts.append(Part(amount, "H" if credit_note else "S", chart.revenue[category], text))
    booking.parts.extend(_deposit_parts(invoice, chart, deposit_notes, "H", patient.name))
    if invoice.id in cancelling:
        booking.parts.extend(_deposit_parts(invoice.credited_invoice, chart, deposit_notes, "S", patient.name))
    return booking


def payment_booking(payment: InvoicePayment, invoice: Invoice, chart: Chart, patient: Patient) -> Booking:
    refund = payment.amount < 0
    booking = Booking("payment", payment.id, invoice.number or "", payment.received_on, patient)
    text = f"{'Erstattung' if refund else 'Zahlung'} {invoice.number} {patient.name}"
    amount = in_base(abs(payment.amount), invoice)
    booking.parts.append(Part(amount, "S" if refund else "H", money_account(chart, payment.method), text, False))
    return booking


def _cancelling_notes(invoices: list[Invoice]) -> set[int]:
    """Of the credit notes among `invoices`, those that cancelled a final invoice with deposits entirely: the last
    credit note issued for a final invoice now cancelled."""
    finals = {
        note.credited_invoice.id
        for note in invoices
        if note.is_credit_note and note.credited_invoice.kind == "final" and note.credited_invoice.status == "credited"
    }
    if not finals:
        return set()
    last = (
        select(func.max(Invoice.id))
        .where(Invoice.credited_invoice_id.in_(finals), Invoice.status != "draft")
        .group_by(Invoice.credited_invoice_id)
    )
    return set(db.session.scalars(last))


def bookings_of(period_from: date, period_to: date, chart: Chart) -> list[Booking]:
    """Every booking of the period, in document date order (invoices before payments on a day)."""
    invoices = invoices_of(period_from, period_to)
    payments = payments_of(period_from, period_to)
    paid_invoices = {
        invoice.id: invoice
        for invoice in db.session.scalars(
            select(Invoice).where(Invoice.id.in_({payment.invoice_id for payment in payments}))
        )
    }
    patient_ids = {invoice.patient_id for invoice in invoices} | {i.patient_id for i in paid_invoices.values()}
    patients = {p.id: p for p in db.session.scalars(select(Patient).where(Patient.id.in_(patient_ids)))}
    cancelling = _cancelling_notes(invoices)
    finals = [*invoices, *(i.credited_invoice for i in invoices if i.id in cancelling)]
    deposit_notes = _deposit_credit_notes([d.deposit_invoice_id for final in finals for d in final.deductions])
    result = [invoice_booking(i, chart, patients[i.patient_id], deposit_notes, cancelling) for i in invoices]
    for payment in payments:
        invoice = paid_invoices[payment.invoice_id]
        result.append(payment_booking(payment, invoice, chart, patients[invoice.patient_id]))
    refunds = refunds_of(period_from, period_to)
    rate_invoices = _rate_invoices(refunds)
    cases = {
        case.id: case
        for case in db.session.scalars(
            select(Case).where(Case.id.in_({c.case_id for c in refunds})).options(selectinload(Case.patient))
        )
    }
    for credit in refunds:
        rate_invoice = rate_invoices.get((credit.case_id, credit.currency))
        result.append(refund_booking(credit, rate_invoice, cases[credit.case_id], chart))
    result.sort(key=lambda booking: (booking.document_date, booking.source_type, booking.source_id))
    return result


def source_keys_of(period_from: date, period_to: date) -> set[tuple[str, int]]:
    """The bookings of the period by (source type, id) only: what the preview counts (three small queries)."""
    invoice_ids = db.session.scalars(
        select(Invoice.id).where(
            Invoice.status != "draft", Invoice.issue_date >= period_from, Invoice.issue_date <= period_to
        )
    )
    payment_ids = db.session.scalars(
        select(InvoicePayment.id).where(
            InvoicePayment.received_on >= period_from,
            InvoicePayment.received_on <= period_to,
            InvoicePayment.method != "account_credit",
        )
    )
    refund_ids = db.session.scalars(
        select(AccountCredit.id).where(
            AccountCredit.kind == "refunded",
            AccountCredit.happened_on >= period_from,
            AccountCredit.happened_on <= period_to,
        )
    )
    return (
        {("invoice", i) for i in invoice_ids}
        | {("payment", i) for i in payment_ids}
        | {("refund", i) for i in refund_ids}
    )
