"""Revenue per month by VAT category and rate, per currency: the issued final invoices' lines, less the issued credit
notes that correct them, from the category and rate frozen on each line when it was issued.

A deposit invoice asks for an advance payment; the service it pays for is invoiced in full by the final invoice,
which deducts the deposit. Counting both would count the service twice, so deposit invoices (less their credit
notes) are shown apart as advance payments invoiced, not as revenue. A month is the issue date's month in the
operator's day (`Invoice.issue_date`). One statement whatever the number of invoices.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from backoffice.extensions import db
from backoffice.invoicing.models import Invoice, InvoiceLine
from backoffice.vat import LABELS as VAT_LABELS
from backoffice.vat import TAXED

ZERO = Decimal("0.00")


@dataclass(slots=True)
class RevenueRow:
    """One month, currency, VAT category and rate: net and VAT of final invoices less their credit notes (or of
    deposit invoices less theirs, when `advance`)."""

    month: date  # the first day of the month
    currency: str
    category: str
    rate: Decimal
    advance: bool
    net: Decimal = ZERO
    tax: Decimal = ZERO
    documents: int = 0

    @property
    def gross(self) -> Decimal:
        return self.net + self.tax

    @property
    def category_label(self) -> str:
        return VAT_LABELS.get(self.category, self.category)

    @property
    def taxed(self) -> bool:
        return self.category in TAXED


@dataclass(frozen=True, slots=True)
class RevenueTotal:
    currency: str
    advance: bool
    net: Decimal
    tax: Decimal


def revenue_by_vat(first: date | None, last: date | None) -> list[RevenueRow]:
    """The rows of the report for issue dates from `first` to `last` (inclusive; either open), by month, currency,
    revenue before advance payments, category and rate."""
    original = aliased(Invoice)
    query = (
        select(
            Invoice.issue_date,
            Invoice.currency,
            func.coalesce(original.kind, Invoice.kind),
            Invoice.kind == "credit_note",
            InvoiceLine.vat_category,
            InvoiceLine.vat_rate,
            func.sum(InvoiceLine.net_amount),
            func.sum(InvoiceLine.tax_amount),
            func.count(func.distinct(Invoice.id)),
        )
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .outerjoin(original, original.id == Invoice.credited_invoice_id)
        .where(Invoice.status != "draft", Invoice.issue_date.is_not(None))
        .group_by(
            Invoice.issue_date,
            Invoice.currency,
            original.kind,
            Invoice.kind,
            InvoiceLine.vat_category,
            InvoiceLine.vat_rate,
        )
    )
    if first:
        query = query.where(Invoice.issue_date >= first)
    if last:
        query = query.where(Invoice.issue_date <= last)
    rows: dict[tuple, RevenueRow] = {}
    for day, currency, kind, is_credit_note, category, rate, net, tax, documents in db.session.execute(query):
        month = day.replace(day=1)
        advance = kind == "deposit"
        key = (month, currency, advance, category, rate)
        row = rows.setdefault(key, RevenueRow(month, currency, category, rate, advance))
        sign = -1 if is_credit_note else 1
        row.net += sign * (net or ZERO)
        row.tax += sign * (tax or ZERO)
        row.documents += documents
    return [rows[key] for key in sorted(rows, key=lambda k: (k[0], k[1], k[2], k[3], k[4]))]


def revenue_totals(rows: list[RevenueRow]) -> list[RevenueTotal]:
    """The report's totals per currency, revenue and advance payments apart (never across currencies)."""
    sums: dict[tuple[str, bool], list[Decimal]] = {}
    for row in rows:
        pair = sums.setdefault((row.currency, row.advance), [ZERO, ZERO])
        pair[0] += row.net
        pair[1] += row.tax
    return [RevenueTotal(currency, advance, *sums[(currency, advance)]) for currency, advance in sorted(sums)]
