"""Transfers of a case: pickup and destination, the pickup local to the flight it meets or to the hospital."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, time
from typing import Any

from flask_babel import gettext as _

from backoffice import validators
from backoffice.cases.models import Case
from backoffice.extensions import db
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
from backoffice.logistics.models import PLACE_KINDS, Flight, Transfer
from backoffice.logistics.timezones import combine


@dataclass(frozen=True, kw_only=True)
class TransferDetails(BookingDetails):
    """A transfer as typed: from where to where, the local pickup time, the company and driver, the flight it meets."""

    from_kind: str
    from_place: str
    to_kind: str
    to_place: str
    pickup_on: date | None
    pickup_time: time | None
    company: str = ""
    driver_name: str = ""
    driver_phone: str = ""
    flight_id: int | None = None


def _transfer_values(case: Case, details: TransferDetails) -> dict[str, Any]:
    if details.from_kind not in PLACE_KINDS or details.to_kind not in PLACE_KINDS:
        raise BookingError(_("Say where the transfer starts and ends: an airport, a hotel, the hospital or other."))
    flight = db.session.get(Flight, details.flight_id) if details.flight_id is not None else None
    if details.flight_id is not None and (flight is None or flight.case_id != case.id):
        raise BookingError(_("A transfer can only meet one of this case's flights."))
    if flight is not None and flight.is_cancelled:
        raise BookingError(
            _("Flight %(number)s is cancelled; choose another flight or none.", number=flight.flight_number)
        )
    if flight is not None and details.to_kind == "airport":
        tz_name = flight.departure_tz  # a ride to the airport starts where the flight leaves from
    elif flight is not None:
        tz_name = flight.arrival_tz  # a pickup at the airport happens where the flight lands
    elif case.hospital is not None:
        tz_name = case.hospital.timezone
    else:
        raise BookingError(
            _(
                "Choose the case's programme first: the pickup time is read in the hospital's time zone "
                "(or link the flight the transfer meets)."
            )
        )
    if details.pickup_on is None or details.pickup_time is None:
        raise BookingError(_("Enter the local date and time of the pickup."))
    return {
        "from_kind": details.from_kind,
        "from_place": validators.text(details.from_place, "pickup place", 200, required=True, error=BookingError),
        "to_kind": details.to_kind,
        "to_place": validators.text(details.to_place, "destination", 200, required=True, error=BookingError),
        "pickup_at": combine(details.pickup_on, details.pickup_time, tz_name),
        "timezone": tz_name,
        "company": validators.text(details.company, "transfer company", 200, error=BookingError),
        "driver_name": validators.text(details.driver_name, "driver's name", 120, error=BookingError),
        "driver_phone": validators.text(details.driver_phone, "driver's phone", 40, error=BookingError),
        "flight": flight,
    }


def create_transfer(case_id: int, details: TransferDetails, *, actor_id: int) -> Transfer:
    """Request a transfer; the pickup time is local to the flight's arrival airport when it meets a flight of the
    case, else to the hospital."""
    case = bookable_case(case_id)
    values = _transfer_values(case, details)
    refuse_past_start(values["pickup_at"], values["timezone"], _("the pickup on"))
    return create_booking("transfer", case, values, details, actor_id)


def update_transfer(
    booking_id: int, details: TransferDetails, *, actor_id: int, case_id: int | None = None
) -> Transfer:
    """Change a transfer (same rules as booking it; a pickup that has passed may stay as it is)."""
    booking = get_booking("transfer", booking_id, case_id, lock=True)
    case = bookable_case(booking.case_id)
    refuse_cancelled(booking)
    values = _transfer_values(case, details)
    refuse_move_into_past(booking.pickup_at, values["pickup_at"], values["timezone"])
    return update_booking("transfer", booking, case, values, details, actor_id)
