"""The operator's services on a draft offer from the case's bookings: hotel nights, transfers, interpreter hours.

Each booking that is not cancelled and has a cost becomes one service item at that cost (hotel nights at the reduced
VAT rate, the others at the standard rate), described in the patient's language. A booking already on the offer
(the same description) is not added twice; one without a cost, or costed in a currency the offer cannot convert, is
left for the coordinator to type.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.cases.operations import record_case_event
from backoffice.extensions import db
from backoffice.logistics.models import HotelStay, InterpreterBooking, Transfer
from backoffice.money import round_half_up
from backoffice.offers import pricing
from backoffice.offers.models import PRICE_SCALE, Offer, OfferItem
from backoffice.offers.pricing import OfferError
from backoffice.offers.recorded import fresh_offer


@dataclass(frozen=True)
class BookedService:
    description: str
    quantity: Decimal
    total: Decimal | None  # the booking's cost; None: not costed yet
    currency: str | None
    vat_category: str


@dataclass(frozen=True)
class ServicesAdded:
    added: int
    left_out: int  # without a cost, or in a currency the offer cannot take


def _local_day(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).date().isoformat()


def booked_services(case_id: int, language: str) -> list[BookedService]:
    """The case's hotel stays, transfers and interpreter bookings that are not cancelled (three statements)."""

    def active(model):
        return db.session.scalars(
            select(model).where(model.case_id == case_id, model.status != "cancelled").order_by(model.id)
        ).all()

    found = []
    with force_locale(language):
        for stay in active(HotelStay):
            nights = max((stay.check_out_on - stay.check_in_on).days, 1)
            found.append(
                BookedService(
                    _(
                        "Hotel %(name)s, %(nights)s nights from %(day)s",
                        name=stay.hotel_name,
                        nights=nights,
                        day=stay.check_in_on.isoformat(),
                    ),
                    Decimal(nights),
                    stay.cost_amount,
                    stay.cost_currency,
                    "reduced",
                )
            )
        for transfer in active(Transfer):
            found.append(
                BookedService(
                    _(
                        "Transfer from %(from)s to %(to)s on %(day)s",
                        **{
                            "from": transfer.from_place,
                            "to": transfer.to_place,
                            "day": _local_day(transfer.pickup_at, transfer.timezone),
                        },
                    ),
                    Decimal(1),
                    transfer.cost_amount,
                    transfer.cost_currency,
                    "standard",
                )
            )
        for booking in active(InterpreterBooking):
            hours = round_half_up(Decimal((booking.ends_at - booking.starts_at).total_seconds()) / 3600, 2)
            found.append(
                BookedService(
                    _(
                        "Interpreter, %(hours)s hours on %(day)s",
                        hours=f"{hours.normalize():f}",
                        day=_local_day(booking.starts_at, booking.timezone),
                    ),
                    max(hours, Decimal("0.01")),
                    booking.cost_amount,
                    booking.cost_currency,
                    "standard",
                )
            )
    return found


def _convertible(offer: Offer, currency: str | None) -> bool:
    return currency in (offer.currency, offer.base_currency) and (
        currency == offer.currency or offer.exchange_rate is not None
    )


def add_booked_services(offer_id: int, *, actor_id: int, expected_version: int | None = None) -> ServicesAdded:
    """Add the case's booked hotel nights, transfers and interpreter hours to a draft as service items."""
    offer = fresh_offer(offer_id, expected_version)
    if offer.status != "draft":
        raise OfferError(_("A sent offer is never changed; make the next version instead."))
    on_offer = {item.description for item in offer.items}
    position = max((item.position for item in offer.items), default=0)
    added = left_out = 0
    for service in booked_services(offer.case_id, offer.language):
        if service.description in on_offer:
            continue
        if service.total is None or not _convertible(offer, service.currency):
            left_out += 1
            continue
        position += 1
        item = OfferItem(
            position=position,
            section="service",
            code="",
            description=service.description[:300],
            quantity=service.quantity,
            unit_price=round_half_up(service.total / service.quantity, PRICE_SCALE),
            source_currency=service.currency,
            vat_category=service.vat_category,
            vat_rate=pricing.vat_rate_of(service.vat_category),
        )
        pricing.price_item(item, offer)
        offer.items.append(item)
        on_offer.add(service.description)
        added += 1
    if not added:
        raise OfferError(
            _("No booking to add: each one is on the offer already, cancelled, or without a cost. Type the service.")
        )
    pricing.total_up(offer)
    db.session.flush()
    record_case_event(offer.case, "offer_changed", actor_id, audit={"offer_id": offer.id, "services": added})
    return ServicesAdded(added, left_out)
