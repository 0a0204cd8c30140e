"""Flights of a case: known IATA airports, local times in each airport's zone, arrival after departure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flask_babel import gettext as _

from backoffice import validators
from backoffice.logistics.airports import airport
from backoffice.logistics.bookings.operations import (
    BookingDetails,
    BookingError,
    bookable_case,
    create_booking,
    get_booking,
    refuse_cancelled,
    refuse_move_into_past,
    refuse_past_start,
    update_booking,
)
from backoffice.logistics.models import Flight
from backoffice.logistics.timezones import combine, shown_local

# An airline designator (two characters, not both digits, or three letters) and 1-4 digits: EK45, LH 401, U21234.
FLIGHT_NUMBER = re.compile(r"^([A-Z]{2,3}|[A-Z][0-9]|[0-9][A-Z])([0-9]{1,4})$")


def normalise_flight_number(text: str | None) -> str:
    """'ek 45' -> 'EK45'; anything but an airline designator and 1-4 digits is refused."""
    number = re.sub(r"\s+", "", text or "").upper()
    if not FLIGHT_NUMBER.match(number):
        typed = (text or "").strip() or _("An empty value")
        raise BookingError(
            _(
                "%(value)r is not a flight number (the airline's two- or three-character code and 1 to 4 digits, "
                "such as EK45).",
                value=typed,
            )
        )
    return number


@dataclass(frozen=True, kw_only=True)
class FlightDetails(BookingDetails):
    """A flight segment as typed: the airports' codes, the local date and time at each end."""

    passengers: str
    airline: str
    flight_number: str
    from_airport: str
    to_airport: str
    departure_on: date | None
    departure_time: time | None
    arrival_on: date | None
    arrival_time: time | None


def _flight_values(details: FlightDetails) -> dict[str, Any]:
    passengers = validators.text(details.passengers, "passengers", 300, required=True, error=BookingError)
    airline = validators.text(details.airline, "airline", 100, required=True, error=BookingError)
    number = normalise_flight_number(details.flight_number)
    origin, destination = airport(details.from_airport), airport(details.to_airport)
    if origin.code == destination.code:
        raise BookingError(_("A flight departs from one airport and arrives at another; the two codes are the same."))
    if None in (details.departure_on, details.departure_time, details.arrival_on, details.arrival_time):
        raise BookingError(_("Enter the local date and time of both the departure and the arrival."))
    departs_at = combine(details.departure_on, details.departure_time, origin.timezone)
    arrives_at = combine(details.arrival_on, details.arrival_time, destination.timezone)
    if arrives_at <= departs_at:
        raise BookingError(
            _(
                "The arrival is before the departure: departs %(departure)s from %(origin)s, arrives %(arrival)s at "
                "%(destination)s. Check the dates and the local times.",
                departure=shown_local(departs_at, origin.timezone),
                origin=origin.code,
                arrival=shown_local(arrives_at, destination.timezone),
                destination=destination.code,
            )
        )
    return {
        "passengers": passengers,
        "airline": airline,
        "flight_number": number,
        "from_airport": origin.code,
        "to_airport": destination.code,
        "departs_at": departs_at,
        "departure_tz": origin.timezone,
        "arrives_at": arrives_at,
        "arrival_tz": destination.timezone,
    }


def create_flight(case_id: int, details: FlightDetails, *, actor_id: int) -> Flight:
    """Request a flight segment: known IATA airports, local times in each airport's zone, arrival after departure."""
    case = bookable_case(case_id)
    values = _flight_values(details)
    refuse_past_start(values["departs_at"], values["departure_tz"], _("the departure on"))
    return create_booking("flight", case, values, details, actor_id)


def update_flight(booking_id: int, details: FlightDetails, *, actor_id: int, case_id: int | None = None) -> Flight:
    """Change a flight (same rules as booking it; a departure that has passed may stay as it is)."""
    booking = get_booking("flight", booking_id, case_id, lock=True)
    case = bookable_case(booking.case_id)
    refuse_cancelled(booking)
    values = _flight_values(details)
    refuse_move_into_past(booking.departs_at, values["departs_at"], values["departure_tz"])
    return update_booking("flight", booking, case, values, details, actor_id)
