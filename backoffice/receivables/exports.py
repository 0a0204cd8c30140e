"""The receivables reports as CSV rows, header first (`backoffice.csvfile` writes them: text neutralised against
formulas, amounts as plain Decimals, days as ISO dates). Every row names its currency: nothing is added across
currencies."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date

from backoffice.receivables.ageing import OpenInvoice, bucket_of
from backoffice.receivables.journal import Journal
from backoffice.receivables.revenue import RevenueRow

AGEING_HEADER = (
    "currency",
    "bucket",
    "invoice",
    "case",
    "patient",
    "issued_on",
    "due_on",
    "days_overdue",
    "left_to_pay",
)
JOURNAL_HEADER = (
    "day",
    "kind",
    "method",
    "currency",
    "amount",
    "invoice",
    "case",
    "patient",
    "reference",
)
REVENUE_HEADER = ("month", "currency", "kind", "vat_category", "vat_rate", "documents", "net", "vat", "gross")


def ageing_rows(invoices: Sequence[OpenInvoice]) -> Iterable[list]:
    """Every open invoice with its bucket (the drill-down of the whole report)."""
    yield list(AGEING_HEADER)
    for entry in invoices:
        invoice = entry.invoice
        yield [
            invoice.currency,
            bucket_of(entry.days_overdue),
            invoice.number,
            entry.case_number,
            entry.patient_name,
            invoice.issue_date,
            invoice.due_on,
            entry.days_overdue,
            entry.left,
        ]


def journal_rows(journal: Journal) -> Iterable[list]:
    yield list(JOURNAL_HEADER)
    for entry in journal.entries:
        yield [
            entry.day,
            "refunded" if entry.is_refund else "received",
            entry.method,
            entry.currency,
            entry.amount,
            entry.invoice_number,
            entry.case_number,
            entry.patient_name,
            entry.reference,
        ]


def revenue_rows(rows: Sequence[RevenueRow]) -> Iterable[list]:
    yield list(REVENUE_HEADER)
    for row in rows:
        yield [
            row.month.strftime("%Y-%m"),
            row.currency,
            "advance_payment" if row.advance else "revenue",
            row.category,
            row.rate,
            row.documents,
            row.net,
            row.tax,
            row.gross,
        ]


def period_name(first: date | None, last: date | None) -> str:
    """The period in a file name: 2026-11-01_2026-11-30, or 'all'."""
    if not first and not last:
        return "all"
    return f"{first.isoformat() if first else 'start'}_{last.isoformat() if last else 'today'}"
