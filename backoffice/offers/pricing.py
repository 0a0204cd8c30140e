"""Pricing an offer: the programme's codes at the hospital's resident tariff valid on the treatment date, the
foreign-patient price beside each (the international price list, else the hospital's documented coefficient, else
none), amounts in the offer's currency, VAT by category, and the totals.

Nothing here is priced at 0 for want of a tariff: such an item keeps no price and is a problem that blocks sending.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import gettext as _

from backoffice import vat
from backoffice.billing.tariffs.current import prices_on
from backoffice.cases.models import Case
from backoffice.directory.programmes import programme_items
from backoffice.errors import DomainError
from backoffice.money import Money, round_half_up
from backoffice.offers.models import Offer, OfferItem

HUNDRED = Decimal(100)
MAX_AMOUNT = Decimal("100000000")  # an item or total beyond this is a typing error (quantity, price or rate)


class OfferError(DomainError):
    """An offer cannot be made, changed, sent, accepted or declined as asked; the message says why."""

    status_code = 422


def minor_digits(currency: str) -> int:
    return Money.zero(currency).minor_digits


def in_offer_currency(amount: Decimal, currency: str, offer: Offer) -> Decimal:
    """An amount in `currency` (a tariff's or the base currency) in the offer's currency, unrounded."""
    if currency == offer.currency:
        return amount
    if currency == offer.base_currency and offer.exchange_rate is not None:
        return amount * offer.exchange_rate
    raise OfferError(
        _(
            "A price in %(currency)s cannot go on an offer in %(offer_currency)s without the exchange rate from "
            "%(base)s.",
            currency=currency,
            offer_currency=offer.currency,
            base=offer.base_currency,
        )
    )


def _amount(quantity: Decimal, unit_price: Decimal | None, currency: str, offer: Offer) -> Decimal | None:
    if unit_price is None:
        return None
    value = round_half_up(in_offer_currency(quantity * unit_price, currency, offer), minor_digits(offer.currency))
    if value >= MAX_AMOUNT:
        raise OfferError(_("That comes to more than an offer can hold; check the quantity, the price and the rate."))
    return value


def price_item(item: OfferItem, offer: Offer) -> None:
    """The item's amounts in the offer's currency from its quantity and unit prices."""
    item.amount = _amount(item.quantity, item.unit_price, item.source_currency, offer)
    item.foreign_amount = _amount(item.quantity, item.foreign_unit_price, item.source_currency, offer)


def treatment_items(case: Case, offer: Offer) -> list[OfferItem]:
    """The programme's codes with their quantities, priced at the tariffs valid on the offer's treatment date.

    Two statements (resident and international lists), however many codes."""
    programme = case.programme
    wanted = programme_items(programme.tariff_codes)
    items = []
    for position, wanted_item in enumerate(wanted, start=1):
        items.append(
            OfferItem(
                position=position,
                section="treatment",
                code=wanted_item.code,
                description=wanted_item.code,
                quantity=wanted_item.quantity,
                source_currency=offer.base_currency,
                vat_category="exempt",
                vat_rate=Decimal(0),
            )
        )
    reprice_treatment(items, case, offer)
    return items


def reprice_treatment(items: Iterable[OfferItem], case: Case, offer: Offer) -> None:
    """Price every treatment item with a code again, at the tariffs valid on the offer's treatment date."""
    items = [item for item in items if item.section == "treatment" and item.code]
    codes = [item.code for item in items]
    hospital = case.hospital
    on = offer.treatment_on
    resident = prices_on(hospital.id, codes, on) if on else {}
    international = prices_on(hospital.id, codes, on, kind="international") if on else {}
    for item in items:
        tariff = resident.get(item.code)
        item.tariff_item_id = tariff.id if tariff else None
        item.unit_price = tariff.resident_price if tariff else None
        if tariff:
            item.description = tariff.description
            item.source_currency = tariff.currency
        foreign = international.get(item.code)
        if tariff and foreign and foreign.currency == tariff.currency:
            item.foreign_unit_price, item.foreign_source = foreign.resident_price, "international"
        elif tariff and hospital.foreign_coefficient is not None:
            item.foreign_unit_price = round_half_up(tariff.resident_price * hospital.foreign_coefficient, 4)
            item.foreign_source = "coefficient"
        else:
            item.foreign_unit_price, item.foreign_source = None, ""
        price_item(item, offer)


@dataclass(frozen=True)
class Totals:
    resident_total: Decimal
    foreign_total: Decimal | None
    saving: Decimal | None
    services_total: Decimal
    vat_total: Decimal
    total: Decimal


def vat_of(item: OfferItem, currency: str) -> Decimal:
    if item.amount is None:
        return Decimal(0)
    return round_half_up(item.amount * item.vat_rate / HUNDRED, minor_digits(currency))


def totals_of(items: Iterable[OfferItem], currency: str) -> Totals:
    """Totals over the given items: the treatment at resident and at foreign-patient prices (an item without a
    foreign-patient price counts at its resident price, so no saving is claimed on it; none at all claims none), the
    services, VAT, and what the patient pays. Unpriced items count as nothing (they block sending)."""
    zero = Decimal(0)
    treatment = [item for item in items if item.section == "treatment" and item.amount is not None]
    services = [item for item in items if item.section == "service" and item.amount is not None]
    resident_total = sum((item.amount for item in treatment), zero)
    compared = [item for item in treatment if item.foreign_amount is not None]
    foreign_total = saving = None
    if compared:
        foreign_total = sum(
            (item.foreign_amount if item.foreign_amount is not None else item.amount for item in treatment), zero
        )
        saving = foreign_total - resident_total
    services_total = sum((item.amount for item in services), zero)
    vat_total = sum((vat_of(item, currency) for item in (*treatment, *services)), zero)
    return Totals(
        resident_total, foreign_total, saving, services_total, vat_total, resident_total + services_total + vat_total
    )


def total_up(offer: Offer) -> None:
    """Keep the offer's totals (optional items not included) from its items."""
    totals = totals_of([item for item in offer.items if not item.optional], offer.currency)
    offer.resident_total = totals.resident_total
    offer.foreign_total = totals.foreign_total
    offer.saving = totals.saving
    offer.services_total = totals.services_total
    offer.vat_total = totals.vat_total
    offer.total = totals.total
    if offer.total >= MAX_AMOUNT:
        raise OfferError(_("That comes to more than an offer can hold; check the quantities, prices and the rate."))


def with_options(offer: Offer, chosen_ids: Iterable[int]) -> Decimal:
    """What the patient pays with the optional items they chose: the offer's total and each chosen item with VAT."""
    chosen = set(chosen_ids)
    extra = sum(
        (
            item.amount + vat_of(item, offer.currency)
            for item in offer.items
            if item.optional and item.id in chosen and item.amount is not None
        ),
        Decimal(0),
    )
    return offer.total + extra


def saving_percent(offer: Offer) -> Decimal | None:
    """The saving as a percentage of the foreign-patient price, to one decimal; None when no saving is claimed."""
    if offer.saving is None or not offer.foreign_total:
        return None
    return round_half_up(offer.saving * HUNDRED / offer.foreign_total, 1)


def item_saving_percent(item: OfferItem) -> Decimal | None:
    if item.foreign_amount is None or item.amount is None or not item.foreign_amount:
        return None
    return round_half_up((item.foreign_amount - item.amount) * HUNDRED / item.foreign_amount, 1)


def vat_rate_of(category: str) -> Decimal:
    if category not in vat.CATEGORIES:
        raise OfferError(_("Choose a VAT category from the list."))
    return vat.rate_of(category)
