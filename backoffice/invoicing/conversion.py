"""The currency a case is invoiced in, and converting the operator's base-currency prices to it.

Every invoice of a case is in the case's invoicing currency (EUR by default). Amounts priced in the operator's base
currency are converted with the exchange rate fixed on the draft; the unit price before conversion stays on the line
(`drafts.update_draft` converts them again when the rate changes).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.cases.operations import get_case, record_case_event
from backoffice.config import settings
from backoffice.dbtypes import operator_today
from backoffice.extensions import db
from backoffice.invoicing.invoices import InvoiceError, check_bound, parse_amount
from backoffice.invoicing.models import PRICE_SCALE, RATE_SCALE, Invoice
from backoffice.invoicing.totals import minor_digits
from backoffice.money import MoneyError, check_currency, round_half_up
from backoffice.patients.restriction import refuse_changes


def base_currency() -> str:
    return settings().invoice_base_currency


def rate_values(currency: str, exchange_rate, exchange_rate_on: date | None) -> tuple[Decimal | None, date | None]:
    """The exchange rate of an invoice: required (with its date) when it is not in the base currency."""
    if currency == base_currency():
        return None, None
    if exchange_rate in (None, "") or exchange_rate_on is None:
        raise InvoiceError(
            _(
                "This case is invoiced in %(currency)s: enter the exchange rate (1 %(base)s = ? %(currency)s) "
                "and the date of that rate.",
                currency=currency,
                base=base_currency(),
            )
        )
    rate = parse_amount(exchange_rate, _("exchange rate"), scale=RATE_SCALE)
    if exchange_rate_on > operator_today():
        raise InvoiceError(_("The exchange rate's date cannot be in the future."))
    return rate, exchange_rate_on


def in_invoice_currency(
    unit_price: Decimal, currency: str, invoice: Invoice
) -> tuple[Decimal, Decimal | None, str | None]:
    """(unit price in the invoice's currency, source unit price, source currency) of a price in `currency`."""
    if currency == invoice.currency:
        return unit_price, None, None
    if currency != invoice.base_currency or invoice.exchange_rate is None:
        raise InvoiceError(
            _(
                "An amount in %(currency)s cannot go on an invoice in %(invoice_currency)s: only %(base)s "
                "amounts are converted. Add it as a line of its own in the invoice's currency.",
                currency=currency,
                invoice_currency=invoice.currency,
                base=invoice.base_currency,
            )
        )
    converted = round_half_up(unit_price * invoice.exchange_rate, PRICE_SCALE)
    check_bound(converted)
    return converted, unit_price, currency


def set_invoicing_currency(case_id: int, currency: str, *, actor_id: int | None) -> Case:
    """The currency every invoice of the case is in; fixed once the case has any invoice (drafts included)."""
    case = get_case(case_id)
    refuse_changes(case.patient)
    try:
        code = check_currency(currency)
    except MoneyError as error:
        raise InvoiceError(str(error)) from None
    if minor_digits(code) > 2:
        raise InvoiceError(
            _(
                "Invoices are kept to the cent: %(code)s has %(digits)s decimals and cannot be used.",
                code=code,
                digits=minor_digits(code),
            )
        )
    if code == case.invoicing_currency:
        return case
    count = db.session.scalar(select(func.count()).select_from(Invoice).where(Invoice.case_id == case.id))
    if count:
        raise InvoiceError(
            _(
                "Case %(number)s already has invoices in %(currency)s; its invoicing currency stays. "
                "(Delete its drafts first if none is issued.)",
                number=case.number,
                currency=case.invoicing_currency,
            )
        )
    before = case.invoicing_currency
    case.invoicing_currency = code
    db.session.flush()
    record_case_event(case, "invoicing_currency", actor_id, note=f"Invoicing currency: {before} -> {code}")
    return case
