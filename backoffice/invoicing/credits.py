"""A case's credit with the patient: money received beyond what was open on an invoice, until finance refunds it or
applies it to another invoice of the case.

The credit is an account statement (`AccountCredit` rows, appended, never rewritten) per case and currency. Its
balance is the sum of its steps and never goes below zero. It is applied only to an issued invoice of the same case in
the same currency (recorded there as a payment "from the case's credit"), never across currencies: a credit in USD is
refunded in USD or set against a USD invoice. Every step is audited and noted on the case's timeline.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm.attributes import flag_modified

from backoffice.cases.operations import get_case, lock_case, record_case_event
from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.invoicing.accounts import account_of
from backoffice.invoicing.invoices import (
    InvoiceError,
    get_invoice,
    parse_amount,
    shown_label,
)
from backoffice.invoicing.models import RECEIVED_METHODS, AccountCredit, InvoicePayment
from backoffice.invoicing.payments import refresh_status
from backoffice.invoicing.totals import minor_digits
from backoffice.money import MoneyError, check_currency
from backoffice.patients.restriction import refuse_changes
from backoffice.trail import record_event

ZERO = Decimal("0.00")


def balance_in(case_id: int, currency: str) -> Decimal:
    return (
        db.session.scalar(
            select(func.coalesce(func.sum(AccountCredit.amount), 0)).where(
                AccountCredit.case_id == case_id, AccountCredit.currency == currency
            )
        )
        or ZERO
    )


def _event(case, actor_id: int | None, action: str, credit: AccountCredit, note: str, **details) -> None:
    record_event(
        f"case.credit_{action}",
        actor_id=actor_id,
        object_type="case",
        object_id=case.id,
        details={
            "case_number": case.number,
            "amount": str(abs(credit.amount)),
            "currency": credit.currency,
            "balance_after": str(balance_in(case.id, credit.currency)),
            **details,
        },
    )
    record_case_event(case, "invoice", actor_id, note=note)


def apply_credit(
    case_id: int, invoice_id: int | None, *, actor_id: int | None, amount: str | Decimal | None = None
) -> InvoicePayment:
    """Set the case's credit against one of its issued invoices in the same currency: as much as is open on it and
    the credit holds (or `amount`, no more than either). Recorded on the invoice as a payment from the credit."""
    lock_case(case_id)
    case = get_case(case_id)
    refuse_changes(case.patient)  # an erased patient's account stays as the erasure found it
    if invoice_id is None:
        raise InvoiceError(_("Choose the invoice to apply the credit to."))
    invoice = get_invoice(invoice_id)
    if invoice.case_id != case.id:
        raise InvoiceError(
            _("%(invoice)s is not an invoice of case %(number)s.", invoice=shown_label(invoice), number=case.number)
        )
    if invoice.is_draft or invoice.is_credit_note:
        raise InvoiceError(_("A credit is applied to an issued invoice (not a draft, not a credit note)."))
    held = balance_in(case.id, invoice.currency)
    if held <= 0:
        raise InvoiceError(
            _(
                "Case %(number)s holds no credit in %(currency)s; a credit is never applied across currencies.",
                number=case.number,
                currency=invoice.currency,
            )
        )
    open_amount = account_of(invoice).outstanding
    if open_amount <= 0:
        raise InvoiceError(_("Nothing is open on %(invoice)s.", invoice=shown_label(invoice)))
    most = min(held, open_amount)
    value = most if amount in (None, "") else parse_amount(amount, _("amount"), scale=minor_digits(invoice.currency))
    if value > most:
        raise InvoiceError(
            _(
                "At most %(most)s %(currency)s can be applied: the credit holds %(held)s %(currency)s and "
                "%(open)s %(currency)s is open on %(invoice)s.",
                most=most,
                held=held,
                open=open_amount,
                currency=invoice.currency,
                invoice=shown_label(invoice),
            )
        )
    today = operator_today()
    payment = InvoicePayment(
        invoice_id=invoice.id,
        received_on=today,
        amount=value,
        currency=invoice.currency,
        method="account_credit",
        reference=f"Credit of case {case.number}",
        recorded_by_id=actor_id,
    )
    invoice.payments.append(payment)
    db.session.flush()
    credit = AccountCredit(
        case_id=case.id,
        currency=invoice.currency,
        amount=-value,
        kind="applied",
        invoice_id=invoice.id,
        payment_id=payment.id,
        happened_on=today,
        reference=invoice.number or "",
        recorded_by_id=actor_id,
    )
    db.session.add(credit)
    before = invoice.status
    refresh_status(invoice)
    flag_modified(invoice, "status")  # the invoice's version moves: a stale payment form is refused
    db.session.flush()
    _event(
        case,
        actor_id,
        "applied",
        credit,
        f"Credit of {value} {invoice.currency} applied to {invoice.number} ({invoice.status.replace('_', ' ')})",
        invoice_number=invoice.number,
        status_before=before,
        status_after=invoice.status,
    )
    return payment


def refund_credit(
    case_id: int,
    *,
    actor_id: int | None,
    currency: str,
    amount: str | Decimal | None,
    paid_on: date | None,
    method: str,
    reference: str = "",
) -> AccountCredit:
    """Record the case's credit (or part of it) paid back to the patient, in the credit's currency."""
    lock_case(case_id)
    case = get_case(case_id)
    refuse_changes(case.patient)
    try:
        code = check_currency(currency)
    except MoneyError as error:
        raise InvoiceError(str(error)) from None
    held = balance_in(case.id, code)
    if held <= 0:
        raise InvoiceError(_("Case %(number)s holds no credit in %(code)s.", number=case.number, code=code))
    value = held if amount in (None, "") else parse_amount(amount, _("amount"), scale=minor_digits(code))
    if value > held:
        raise InvoiceError(
            _(
                "The credit of case %(number)s holds %(held)s %(code)s; %(value)s %(code)s is more.",
                number=case.number,
                held=held,
                value=value,
                code=code,
            )
        )
    if method not in RECEIVED_METHODS:
        raise InvoiceError(_("Choose how the money was paid back."))
    if paid_on is None:
        raise InvoiceError(_("Enter the date the money was paid back."))
    today = operator_today()
    if paid_on > today:
        raise InvoiceError(_("A refund cannot be dated in the future."))
    if paid_on < today - timedelta(days=365):
        raise InvoiceError(_("That date is more than a year ago; check it."))
    reference = (reference or "").strip()
    if len(reference) > 100:
        raise InvoiceError(_("The reference has at most 100 characters."))
    credit = AccountCredit(
        case_id=case.id,
        currency=code,
        amount=-value,
        kind="refunded",
        happened_on=paid_on,
        method=method,
        reference=reference,
        recorded_by_id=actor_id,
    )
    db.session.add(credit)
    db.session.flush()
    _event(case, actor_id, "refunded", credit, f"Credit of {value} {code} refunded to the patient", method=method)
    return credit
