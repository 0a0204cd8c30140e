"""What is left to pay on every issued invoice, as one SQL subquery, so lists and reports filter, sort and add up
what is open in the database (over every invoice a filter selects, not one page of them).

It states in SQL exactly what `accounts.Account.outstanding` states in Python: the total, less the deposits it
deducts (while no credit note cancelled it in full), less what issued credit notes took off, less the payments it
kept (refunds count back; what went to the case's credit does not count), less a deposit's unpaid rest once a final
invoice in force took it over. The tests hold the two against each other. Amounts are added as the integer cents the
`Amount` columns store, and handed back as Decimals.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Subquery, and_, case, exists, func, select, type_coerce
from sqlalchemy.orm import aliased

from backoffice.invoicing.models import Invoice, InvoicePayment
from backoffice.money import Amount

DRAFT_OR_CREDITED = ("draft", "credited")


def _cents(column):
    return type_coerce(column, BigInteger)


def left_to_pay() -> Subquery:
    """Subquery `balances` (invoice_id, left): what is left on each issued invoice (not drafts, not credit notes)."""
    note = aliased(Invoice)
    credited_rows = (
        select(note.credited_invoice_id.label("invoice_id"), func.sum(_cents(note.total)).label("cents"))
        .where(note.credited_invoice_id.is_not(None), note.status != "draft")
        .group_by(note.credited_invoice_id)
        .subquery("credited")
    )
    paid_rows = (
        select(
            InvoicePayment.invoice_id.label("invoice_id"),
            func.sum(_cents(InvoicePayment.amount) - _cents(InvoicePayment.to_credit)).label("cents"),
        )
        .group_by(InvoicePayment.invoice_id)
        .subquery("paid")
    )
    final = aliased(Invoice)
    taken_over = exists().where(
        final.case_id == Invoice.case_id,
        final.currency == Invoice.currency,
        final.kind == "final",
        final.status.not_in(DRAFT_OR_CREDITED),
        final.issued_at >= Invoice.issued_at,
    )
    total = func.coalesce(_cents(Invoice.total), 0)
    credited = func.coalesce(credited_rows.c.cents, 0)
    paid = func.coalesce(paid_rows.c.cents, 0)
    deducted = case((credited >= total, 0), else_=func.coalesce(_cents(Invoice.deductions_total), 0))
    rest = total - credited - paid
    superseded = case((and_(Invoice.kind == "deposit", rest > 0, taken_over), rest), else_=0)
    left = total - deducted - credited - paid - superseded
    return (
        select(Invoice.id.label("invoice_id"), type_coerce(left, Amount(scale=2)).label("left"))
        .outerjoin(credited_rows, credited_rows.c.invoice_id == Invoice.id)
        .outerjoin(paid_rows, paid_rows.c.invoice_id == Invoice.id)
        .where(Invoice.status != "draft", Invoice.kind != "credit_note")
        .subquery("balances")
    )


def left_cents(balances: Subquery):
    """The `left` column of `balances` as integer cents, to compare and add up in SQL (0 where none is left)."""
    return func.coalesce(type_coerce(balances.c.left, BigInteger), 0)
