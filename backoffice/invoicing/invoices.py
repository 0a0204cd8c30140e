"""An invoice of a case, whatever its kind: loading and locking it, the errors its rules raise, the checks every change
makes (issued invoices never change, a stale form is refused), the audit row of each change, and the values every
kind reads the same way (an exact amount from a form, the operator's today, the VAT rate, an amount's bound).

Drafts are made in `deposits.py`, `finals.py` and `credit_notes.py`, edited in `drafts.py`; issuing is in `issuing.py`.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from backoffice.cases.models import Case
from backoffice.cases.operations import lock_case, record_case_event
from backoffice.config import settings
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice, InvoiceDeduction, InvoiceLine
from backoffice.invoicing.totals import InvoiceTotals, invoice_totals, line_amounts
from backoffice.languages import N_
from backoffice.money import MAX_AMOUNT, MoneyError, round_half_up, to_decimal
from backoffice.trail import record_event


class InvoiceError(DomainError):
    """An invoice rule refused the change; the message says which and what to do instead."""


class InvoiceConflict(InvoiceError):
    """Someone else changed or issued the invoice first."""

    status_code = 409


class InvoiceImmutable(InvoiceError):
    """An issued invoice or credit note was about to change."""

    status_code = 409


class AmountTooLarge(InvoiceError):
    """An amount beyond what an invoice can hold (a typo in a quantity, a price or a rate)."""


# A draft's name on a page; `Invoice.label` stays English because audit rows and case events store it.
DRAFT_LABELS = {
    "deposit": N_("Draft deposit invoice #%(id)s"),
    "final": N_("Draft final invoice #%(id)s"),
    "credit_note": N_("Draft credit note #%(id)s"),
}


def shown_label(invoice: Invoice) -> str:
    """The invoice's name in the page's language: "Deposit invoice INV-2026-00001", "Draft final invoice #7"."""
    if invoice.number:
        return f"{_(invoice.kind_label)} {invoice.number}"
    return _(DRAFT_LABELS[invoice.kind], id=invoice.id)


def get_invoice(invoice_id: int, *, refresh: bool = False) -> Invoice:
    """An invoice with its lines, deductions (with their deposits), payments and the invoice it credits; `refresh`
    reads it again from the database even if this session holds it (after an UPDATE written past the ORM)."""
    invoice = db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(
            selectinload(Invoice.lines),
            selectinload(Invoice.deductions).joinedload(InvoiceDeduction.deposit_invoice),
            selectinload(Invoice.payments),
            selectinload(Invoice.credited_invoice),
        )
        .execution_options(populate_existing=refresh)
    )
    if invoice is None:
        raise NotFound(_("There is no such invoice."))
    return invoice


def lock_case_of(invoice_id: int) -> None:
    case_id = db.session.scalar(select(Invoice.case_id).where(Invoice.id == invoice_id))
    if case_id is None:
        raise NotFound(_("There is no such invoice."))
    lock_case(case_id)


def totals_of(invoice: Invoice) -> InvoiceTotals:
    return invoice_totals(invoice.lines, invoice.currency, [deduction.amount for deduction in invoice.deductions])


def refuse_change(invoice: Invoice, actor_id: int | None, attempted: str) -> None:
    """Refuse any change to an issued invoice, and keep the attempt in the audit log although nothing changes."""
    if invoice.is_draft:
        return
    remedy = (
        _("A credit note cannot be changed either; issue a new invoice if needed.")
        if invoice.is_credit_note
        else _("To correct it, issue a credit note.")
    )
    raise InvoiceImmutable(
        _("%(invoice)s is issued and can never be changed or deleted.", invoice=shown_label(invoice)) + " " + remedy,
        trace={
            "action": "invoice.change_refused",
            "actor_id": actor_id,
            "object_type": "invoice",
            "object_id": invoice.id,
            "details": {"number": invoice.number, "attempted": attempted},
        },
    )


def check_version(invoice: Invoice, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != invoice.version:
        raise InvoiceConflict(
            _(
                "%(invoice)s was changed by someone else meanwhile. Look at it again and retry.",
                invoice=shown_label(invoice),
            )
        )


def record_invoice_event(
    invoice: Invoice, case: Case | None, actor_id: int | None, action: str, note: str, **details
) -> None:
    """The audit row of a change of an invoice and, given its case, the note on the case's timeline."""
    record_event(
        f"invoice.{action}",
        actor_id=actor_id,
        object_type="invoice",
        object_id=invoice.id,
        details={"case_id": invoice.case_id, "number": invoice.number, "kind": invoice.kind, **details},
    )
    if case is not None:
        record_case_event(case, "invoice", actor_id, note=note)


def parse_amount(value: str | Decimal | None, what: str, *, scale: int = 2, positive: bool = True) -> Decimal:
    """An exact amount from a form: refused, never rounded, when it has more decimals than `scale`. `what` names the
    amount in the page's language."""
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvoiceError(_("Enter the %(what)s.", what=what))
    try:
        amount = to_decimal(value)
    except MoneyError as error:
        raise InvoiceError(_("The %(what)s: %(error)s", what=what, error=error)) from None
    if amount != round_half_up(amount, scale):
        raise InvoiceError(_("The %(what)s has at most %(scale)s decimal places.", what=what, scale=scale))
    if positive and amount <= 0:
        raise InvoiceError(_("The %(what)s must be more than 0.", what=what))
    return amount


def vat_rate() -> Decimal:
    return settings().vat_rate


def check_bound(value: Decimal) -> None:
    if abs(value) >= MAX_AMOUNT:
        raise AmountTooLarge(
            _("That comes to more than an invoice can hold; check the quantity, the unit price and the exchange rate.")
        )


def set_amounts(line: InvoiceLine, currency: str) -> None:
    line.net_amount, line.tax_amount = line_amounts(line.quantity, line.unit_price, line.vat_rate, currency)
    check_bound(line.net_amount + line.tax_amount)
