"""The offer as the patient reads it: the PDF archived when it is sent (through the one renderer, `backoffice.pdf`)
and the portal's offer page, both from the same plain data (`offer_sheet`).

What it shows: the treatment items at resident prices beside the foreign-patient price and the saving (none is
claimed where no foreign-patient price exists), the operator's services with their VAT, the optional items (not in
the total), the totals, the payment schedule with amounts, the programme's phases dated from the treatment date, the
validity and the terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from babel.numbers import format_percent
from flask_babel import get_locale

from backoffice import pdf
from backoffice.config import settings
from backoffice.dbtypes import operator_today
from backoffice.money import round_half_up
from backoffice.offers import pricing
from backoffice.offers.models import Offer, OfferItem


@dataclass(frozen=True)
class Line:
    """One item as printed: the item, and for a treatment item with a foreign-patient price the saving on it."""

    item: OfferItem
    saving: Decimal | None
    saving_percent: Decimal | None
    with_vat: Decimal | None  # the amount with its VAT (an optional item's price if chosen)


@dataclass(frozen=True)
class Payment:
    label: str
    percent: Decimal
    amount: Decimal
    due_on: date


@dataclass(frozen=True)
class Phase:
    name: str
    duration: str
    duration_days: int | None
    starts_on: date | None  # None once a phase before it has no length in days
    ends_on: date | None


@dataclass(frozen=True)
class OfferSheet:
    offer: Offer
    treatment: list[Line]
    services: list[Line]
    optional: list[Line]
    saving_percent: Decimal | None
    payments: list[Payment]
    phases: list[Phase]
    programme_name: str
    hospital_name: str
    hospital_city: str
    foreign_sources: frozenset[str]  # "international", "coefficient" among the treatment items
    coefficient: Decimal | None
    coefficient_source: str
    made_on: date  # the day it was sent (the day it is printed, for the PDF archived when it is sent)


def _line(item: OfferItem, currency: str) -> Line:
    saving = None
    if item.section == "treatment" and item.foreign_amount is not None and item.amount is not None:
        saving = item.foreign_amount - item.amount
    with_vat = None if item.amount is None else item.amount + pricing.vat_of(item, currency)
    return Line(item, saving, pricing.item_saving_percent(item) if saving is not None else None, with_vat)


def payments(offer: Offer, total: Decimal) -> list[Payment]:
    """The schedule's payments of `total`: each its share rounded to the cent, the last one what is left, so the
    payments add up to the total exactly."""
    digits = pricing.minor_digits(offer.currency)
    made: list[Payment] = []
    for index, instalment in enumerate(offer.instalments):
        if index == len(offer.instalments) - 1:
            amount = total - sum((payment.amount for payment in made), Decimal(0))
        else:
            amount = round_half_up(total * instalment.percent / pricing.HUNDRED, digits)
        made.append(Payment(instalment.label, instalment.percent, amount, instalment.due_on))
    return made


def phases(offer: Offer) -> list[Phase]:
    """The programme's phases, one after the other from the planned treatment date, as far as their lengths go."""
    programme = offer.case.programme
    if programme is None:
        return []
    dated: list[Phase] = []
    starts_on = offer.treatment_on
    for phase in programme.phases:
        ends_on = starts_on + timedelta(days=phase.duration_days - 1) if starts_on and phase.duration_days else None
        dated.append(Phase(phase.name, phase.duration, phase.duration_days, starts_on, ends_on))
        starts_on = ends_on + timedelta(days=1) if ends_on else None
    return dated


def offer_sheet(offer: Offer, total: Decimal | None = None) -> OfferSheet:
    """What the PDF and the portal show of an offer; the schedule's amounts are of `total` (default: the offer's)."""
    lines = [_line(item, offer.currency) for item in offer.items]
    hospital = offer.case.hospital
    programme = offer.case.programme
    treatment = [line for line in lines if line.item.section == "treatment" and not line.item.optional]
    return OfferSheet(
        offer=offer,
        treatment=treatment,
        services=[line for line in lines if line.item.section == "service" and not line.item.optional],
        optional=[line for line in lines if line.item.optional],
        saving_percent=pricing.saving_percent(offer),
        payments=payments(offer, offer.total if total is None else total),
        phases=phases(offer),
        programme_name=programme.name if programme else "",
        hospital_name=hospital.name if hospital else "",
        hospital_city=hospital.city if hospital else "",
        foreign_sources=frozenset(line.item.foreign_source for line in lines if line.item.foreign_source),
        coefficient=hospital.foreign_coefficient if hospital else None,
        coefficient_source=hospital.foreign_coefficient_source if hospital else "",
        made_on=_made_on(offer),
    )


def _made_on(offer: Offer) -> date:
    if offer.sent_at is None:
        return operator_today()
    return offer.sent_at.astimezone(ZoneInfo(settings().operator_timezone)).date()


def percent(value: Decimal | None) -> str:
    """A percentage as the page's (or document's) language writes it: 34.5%, 34,5 %."""
    if value is None:
        return "—"
    return format_percent(value / pricing.HUNDRED, locale=str(get_locale() or "en"), decimal_quantization=False)


def offer_pdf(offer: Offer) -> bytes:
    """The PDF of an offer, as it is archived when the offer is sent."""
    return pdf.render_pdf(
        "offers/offer_pdf.html",
        language=offer.language,
        sheet=offer_sheet(offer),
        offer=offer,
        case=offer.case,
        patient=offer.case.patient,
        operator=settings(),
        percent=percent,
    )
