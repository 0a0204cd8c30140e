"""What the invoice pages share: who works on invoices and who reads them, how amounts are shown, the exchange-rate
hints, and the one answer to a form that cannot be read."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import flash
from flask_babel import gettext as _

from backoffice import vat
from backoffice.auth.permissions import ADMIN, COORDINATOR, FINANCE, INVOICERS
from backoffice.invoicing import listing
from backoffice.invoicing.conversion import base_currency
from backoffice.invoicing.forms import RateForm
from backoffice.invoicing.invoices import shown_label
from backoffice.invoicing.totals import minor_digits
from backoffice.languages import N_
from backoffice.templating import format_number

INVOICE_WORKERS = INVOICERS
INVOICE_READERS = (ADMIN, FINANCE, COORDINATOR)
# What a refused form left untouched, as the flash says it.
NOTHING_WAS = {
    "stored": N_("Nothing was stored: %(problems)s"),
    "changed": N_("Nothing was changed: %(problems)s"),
}


def form_problems(form) -> list[str]:
    problems = []
    for name, errors in form.errors.items():
        label = "" if name in ("version", "csrf_token") else getattr(form, name).label.text
        problems.extend(
            _("%(field)s: %(error)s", field=label, error=error) if label else str(error) for error in errors
        )
    return problems


def refused_form(
    form,
    page: Callable[[int], Any],
    *,
    find: Callable[[], object],
    problem: str | None = None,
    nothing_was: str = "stored",
):
    """A submitted form that cannot be read: nothing is stored, and `page(422)` shows it again with its errors.

    `find` loads what the form is about first, so an unknown case or invoice is a 404, not a form error. `problem`
    replaces the form's own errors when the request was refused before the form was read."""
    find()
    problems = problem if problem is not None else " ".join(form_problems(form))
    flash(_(NOTHING_WAS[nothing_was], problems=problems), "error")
    return page(422)


def percent(rate: Decimal) -> str:
    return f"{Decimal(rate).normalize():f} %"


def _quantity(value: Decimal) -> str:
    """A quantity or an exchange rate with the decimals it has, as the page's language writes it (1.085, 1,085)."""
    return format_number(Decimal(value).normalize())


def _price(amount: Decimal, currency: str) -> Decimal:
    """A unit price with the decimals it needs: at least the currency's (3,900.00), up to the 4 it may have."""
    digits = minor_digits(currency)
    trimmed = Decimal(amount).normalize()
    if -trimmed.as_tuple().exponent < digits:
        trimmed = trimmed.quantize(Decimal(1).scaleb(-digits))
    return trimmed


def rate_hints(form: RateForm, currency: str) -> None:
    form.exchange_rate.description = _(
        "1 %(base)s = ? %(currency)s; required while the case is invoiced in %(currency)s.",
        base=base_currency(),
        currency=currency,
    )
    form.exchange_rate_on.description = _("The day the rate is from (not in the future).")


HELPERS = {
    "percent": percent,
    "quantity": _quantity,
    "price": _price,
    "status_label": listing.status_label,
    "invoice_label": shown_label,
    "vat_labels": vat.LABELS,
    "vat_taxed": vat.TAXED,
}
