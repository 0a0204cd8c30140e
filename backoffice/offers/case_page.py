"""Offers' panel on the case page (`cases.signals.case_page`): the newest version of the case's treatment offer, its
status and figures, and the button that makes an offer (or the next version)."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.money import round_half_up
from backoffice.offers import operations, pricing
from backoffice.offers.forms import StartOfferForm
from backoffice.offers.models import STATUS_LABELS, Offer


def status_label(offer: Offer) -> str:
    """The offer's status in the page's language; a sent offer past its validity says so."""
    if offer.status == "sent" and operations.is_expired(offer):
        return _("Expired (valid until %(date)s)", date=offer.valid_until.isoformat())
    return _(STATUS_LABELS[offer.status])


def schedule_amounts(offer: Offer) -> list[tuple[object, Decimal | None]]:
    """Each payment of the schedule with its amount: its share of the offer's total, in the offer's currency."""
    digits = pricing.minor_digits(offer.currency)
    return [
        (
            instalment,
            round_half_up(offer.total * instalment.percent / pricing.HUNDRED, digits)
            if offer.total is not None
            else None,
        )
        for instalment in offer.instalments
    ]


def needs_rate(case: Case) -> bool:
    """Whether an offer for the case asks for an exchange rate (the case pays in another currency than the base)."""
    return case.invoicing_currency != settings().invoice_base_currency


def start_form(case: Case, form: StartOfferForm | None, previous: Offer | None) -> StartOfferForm:
    """The "make an offer" form: the exchange rate of the previous version proposed for the next one."""
    if form is not None:
        return form
    if previous is not None and previous.exchange_rate is not None:
        return StartOfferForm(
            formdata=None,
            exchange_rate=f"{previous.exchange_rate.normalize():f}",
            exchange_rate_on=previous.exchange_rate_on,
        )
    return StartOfferForm(formdata=None)


@signals.case_page.connect
def offer_panel(case: Case, *, forms: dict) -> dict:
    """`case_offers` (every version, newest first), the newest one's status and saving, and the start form."""
    versions = operations.offers_of(case.id)
    newest = versions[0] if versions else None
    return {
        "case_offers": versions,
        "offer_status_label": status_label,
        "offer_saving_percent": pricing.saving_percent(newest) if newest else None,
        "offer_needs_rate": needs_rate(case),
        "offer_base_currency": settings().invoice_base_currency,
        "start_offer_form": start_form(case, forms.get("start_offer_form"), newest),
    }
