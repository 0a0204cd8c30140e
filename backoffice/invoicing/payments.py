"""Money in and out on issued invoices: payments received, refunds paid, and the status that follows.

What is left to pay on an invoice is its account (`accounts.py`); its status follows from it.

A payment is recorded as the bank shows it, also when it is more than was open: the invoice keeps what settles it,
and the excess becomes a credit on the case's account in that currency (`credits.py`), which finance refunds or
applies to another invoice of the case.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from backoffice.cases.operations import get_case, record_case_event
from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.invoicing.accounts import ZERO, account_of
from backoffice.invoicing.invoices import (
    InvoiceError,
    check_version,
    get_invoice,
    lock_case_of,
    parse_amount,
    shown_label,
)
from backoffice.invoicing.models import RECEIVED_METHODS, AccountCredit, Invoice, InvoicePayment
from backoffice.invoicing.patient_mail import tell_patient
from backoffice.invoicing.totals import minor_digits
from backoffice.money import MoneyError, check_currency
from backoffice.patients.restriction import refuse_changes
from backoffice.trail import record_event


def refresh_status(invoice: Invoice) -> str:
    """Set an issued invoice's status from its account (its lines and totals never change)."""
    if invoice.is_draft or invoice.is_credit_note:
        return invoice.status
    invoice.status = account_of(invoice).status
    return invoice.status


def refresh_deposits(case_id: int) -> None:
    """Set the status of a case's issued deposits again (whether a final invoice in force has taken them over)."""
    deposits = db.session.scalars(
        select(Invoice).where(Invoice.case_id == case_id, Invoice.kind == "deposit", Invoice.status != "draft")
    ).all()
    for deposit in deposits:
        refresh_status(deposit)
    db.session.flush()


def record_payment(
    invoice_id: int,
    *,
    actor_id: int | None,
    amount: str | Decimal,
    currency: str,
    received_on: date | None,
    method: str,
    reference: str = "",
    refund: bool = False,
    expected_version: int | None = None,
) -> InvoicePayment:
    """Record money received for an issued invoice, or (`refund`) paid back to the patient.

    In the invoice's currency only; dated no later than today and no earlier than a year before the invoice. A refund
    is never more than is due back. A payment is recorded as received, whatever is open: the part beyond what is
    open becomes a credit on the case's account (`AccountCredit`), never lost and never applied across currencies.
    A payment (not a refund) queues the "payment received" mail to the patient: the invoice's number and total."""
    lock_case_of(invoice_id)  # two payments at once: the second sees the first (and the version it moved)
    invoice = get_invoice(invoice_id)
    refuse_changes(invoice.patient_id)  # an erased patient's account stays as the erasure found it
    check_version(invoice, expected_version)
    if invoice.is_draft:
        raise InvoiceError(_("A draft is not paid: issue it first."))
    if invoice.is_credit_note:
        raise InvoiceError(_("Record payments and refunds on the invoice the credit note corrects."))
    try:
        code = check_currency(currency)
    except MoneyError as error:
        raise InvoiceError(str(error)) from None
    if code != invoice.currency:
        raise InvoiceError(
            _(
                "%(invoice)s is in %(currency)s; a payment in %(code)s cannot be recorded against it. "
                "Record what arrived in %(currency)s (the bank's converted amount).",
                invoice=shown_label(invoice),
                currency=invoice.currency,
                code=code,
            )
        )
    value = parse_amount(amount, _("amount"), scale=minor_digits(invoice.currency))
    if method not in RECEIVED_METHODS:
        raise InvoiceError(
            _("Choose how the money was paid. (A case's credit is applied from the case's invoices page.)")
        )
    if received_on is None:
        raise InvoiceError(_("Enter the date the money was paid."))
    if received_on > operator_today():
        raise InvoiceError(_("A payment cannot be dated in the future."))
    if received_on < invoice.issue_date - timedelta(days=365):
        raise InvoiceError(_("That date is more than a year before the invoice; check it."))
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise InvoiceError(_("The payment reference has at most 100 characters."))
    account = account_of(invoice)
    excess = ZERO
    if refund:
        due = -account.outstanding
        if due <= 0:
            raise InvoiceError(_("No refund is due on %(invoice)s.", invoice=shown_label(invoice)))
        if value > due:
            raise InvoiceError(
                _(
                    "At most %(due)s %(currency)s is due back to the patient on %(invoice)s.",
                    due=due,
                    currency=invoice.currency,
                    invoice=shown_label(invoice),
                )
            )
    else:
        excess = value - max(account.outstanding, ZERO)
        excess = max(excess, ZERO)
    payment = InvoicePayment(
        invoice_id=invoice.id,
        received_on=received_on,
        amount=-value if refund else value,
        currency=code,
        method=method,
        reference=reference,
        to_credit=excess,
        recorded_by_id=actor_id,
    )
    invoice.payments.append(payment)
    db.session.flush()
    if excess > 0:
        db.session.add(
            AccountCredit(
                case_id=invoice.case_id,
                currency=code,
                amount=excess,
                kind="overpayment",
                invoice_id=invoice.id,
                payment_id=payment.id,
                happened_on=received_on,
                reference=reference,
                recorded_by_id=actor_id,
            )
        )
        db.session.flush()
        record_event(
            "case.credit_received",
            actor_id=actor_id,
            object_type="case",
            object_id=invoice.case_id,
            details={"invoice_number": invoice.number, "amount": str(excess), "currency": code, "received": str(value)},
        )
    before = invoice.status
    refresh_status(invoice)
    flag_modified(invoice, "status")  # the version moves with every payment: the same form sent twice is refused
    db.session.flush()
    if invoice.kind == "final":
        refresh_deposits(invoice.case_id)  # a final paid back in full after its credit note hands the deposits back
    what = "Refund" if refund else "Payment"
    record_event(
        "invoice.refund_recorded" if refund else "invoice.payment_recorded",
        actor_id=actor_id,
        object_type="invoice",
        object_id=invoice.id,
        details={
            "number": invoice.number,
            "amount": str(value),
            "currency": code,
            "method": method,
            "to_credit": str(excess),
            "status_before": before,
            "status_after": invoice.status,
        },
    )
    note = f"{what} of {value} {code} on {invoice.number} ({invoice.status.replace('_', ' ')})"
    if excess > 0:
        note += f"; {excess} {code} above what was open is a credit on the case's account"
    record_case_event(get_case(invoice.case_id), "invoice", actor_id, note=note)
    if not refund:
        tell_patient(invoice, "payment_received")
    return payment
