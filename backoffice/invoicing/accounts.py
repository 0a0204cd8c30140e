"""Where an issued invoice stands: its account.

What is left to pay on an invoice is its total, less the deposits it deducts, less what credit notes took off it,
less the payments received (refunds count back). Positive: open; zero: settled; negative: a refund is due. Nothing
here writes; payments and refunds are recorded in `payments.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from backoffice.invoicing import sources
from backoffice.invoicing.models import Invoice

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class Account:
    """Where an issued invoice stands."""

    currency: str
    total: Decimal
    deductions: Decimal
    credited: Decimal
    paid: Decimal  # received minus refunded
    superseded: Decimal = ZERO  # a deposit's unpaid rest, taken over by the final invoice

    @property
    def deducted(self) -> Decimal:
        """The deposits deducted, while the invoice stands: one cancelled in full hands them back to the deposits."""
        return ZERO if self.credited >= self.total else self.deductions

    @property
    def outstanding(self) -> Decimal:
        return self.total - self.deducted - self.credited - self.paid - self.superseded

    @property
    def status(self) -> str:
        if self.outstanding > 0:
            return "partially_paid" if self.paid > 0 else "issued"
        if self.outstanding < 0:
            return "refund_due"
        if self.superseded > 0:
            return "settled"
        if self.paid == 0 and self.deducted == 0 and self.credited > 0:
            return "credited"
        return "paid"


def superseded_rest(invoice: Invoice, credited: Decimal, paid: Decimal, superseded_ids: set[int]) -> Decimal:
    """What of a deposit the final invoice took over (its unpaid rest), if a final invoice in force took it over."""
    if invoice.id not in superseded_ids:
        return ZERO
    return max(invoice.total - credited - paid, ZERO)


def account_of(invoice: Invoice) -> Account:
    """The account of an issued invoice or credit note (a credit note is settled with the invoice it corrects)."""
    if invoice.is_draft or invoice.is_credit_note:
        total = invoice.total or ZERO
        return Account(invoice.currency, total, ZERO, ZERO, total if invoice.is_credit_note else ZERO)
    credited = sources.credited_amounts([invoice.id]).get(invoice.id, ZERO)
    paid = sources.paid_amounts([invoice.id]).get(invoice.id, ZERO)
    superseded = ZERO
    if invoice.kind == "deposit":
        superseded = superseded_rest(invoice, credited, paid, sources.superseded_deposits([invoice.id]))
    return Account(invoice.currency, invoice.total, invoice.deductions_total or ZERO, credited, paid, superseded)


def accounts_of(invoices: Sequence[Invoice]) -> dict[int, Account]:
    """The account of each issued invoice (credit notes and drafts have none), in three statements at most."""
    issued = [invoice for invoice in invoices if not invoice.is_draft and not invoice.is_credit_note]
    ids = [invoice.id for invoice in issued]
    credited = sources.credited_amounts(ids)
    paid = sources.paid_amounts(ids)
    superseded = sources.superseded_deposits([invoice.id for invoice in issued if invoice.kind == "deposit"])
    accounts = {}
    for invoice in issued:
        invoice_credited = credited.get(invoice.id) or ZERO
        invoice_paid = paid.get(invoice.id) or ZERO
        accounts[invoice.id] = Account(
            invoice.currency,
            invoice.total if invoice.total is not None else ZERO,
            invoice.deductions_total or ZERO,
            invoice_credited,
            invoice_paid,
            superseded_rest(invoice, invoice_credited, invoice_paid, superseded),
        )
    return accounts
