"""Hotel stays of a case: check-out after check-in, dates local to the destination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _

from backoffice import validators
from backoffice.cases.models import Case
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
from backoffice.logistics.models import HotelStay


@dataclass(frozen=True, kw_only=True)
class HotelStayDetails(BookingDetails):
    """A hotel stay as typed: the hotel, check-in and check-out days local to the destination."""

    hotel_name: str
    check_in_on: date | None
    check_out_on: date | None
    address: str = ""
    phone: str = ""
    room_type: str = ""
    guests: str = ""


def _hotel_values(details: HotelStayDetails) -> dict[str, Any]:
    if details.check_in_on is None or details.check_out_on is None:
        raise BookingError(_("Enter the check-in and check-out dates."))
    if details.check_out_on <= details.check_in_on:
        raise BookingError(_("Check-out must be after check-in."))
    return {
        "hotel_name": validators.text(details.hotel_name, "hotel's name", 200, required=True, error=BookingError),
        "address": validators.text(details.address, "address", 300, error=BookingError),
        "phone": validators.text(details.phone, "phone number", 40, error=BookingError),
        "check_in_on": details.check_in_on,
        "check_out_on": details.check_out_on,
        "room_type": validators.text(details.room_type, "room type", 100, error=BookingError),
        "guests": validators.text(details.guests, "guests", 300, error=BookingError),
    }


def _place_zone(case: Case) -> str:
    """Dates of a stay are local to the destination: the hospital's zone, or UTC while there is no hospital yet."""
    return case.hospital.timezone if case.hospital else "UTC"


def create_hotel_stay(case_id: int, details: HotelStayDetails, *, actor_id: int) -> HotelStay:
    """Request a hotel stay: check-out after check-in, check-in not in the past."""
    case = bookable_case(case_id)
    values = _hotel_values(details)
    refuse_past_start(values["check_in_on"], _place_zone(case), _("the check-in on"))
    return create_booking("hotel", case, values, details, actor_id)


def update_hotel_stay(
    booking_id: int, details: HotelStayDetails, *, actor_id: int, case_id: int | None = None
) -> HotelStay:
    """Change a hotel stay (same rules as booking it; a check-in that has passed may stay as it is)."""
    booking = get_booking("hotel", booking_id, case_id, lock=True)
    case = bookable_case(booking.case_id)
    refuse_cancelled(booking)
    values = _hotel_values(details)
    refuse_move_into_past(booking.check_in_on, values["check_in_on"], _place_zone(case))
    return update_booking("hotel", booking, case, values, details, actor_id)
