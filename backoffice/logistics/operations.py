"""Bookings around the treatment: the hospital appointment, hotel stays, flights and transfers.

The rules every kind shares live here once: the case must be open, a new booking may not start in the past, the
cost is exact Money in the supplier's currency (or not known yet), the status only moves requested -> confirmed ->
cancelled (or requested -> cancelled), a confirmed booking carries the supplier's reference, and a cancelled one no
longer changes. Every change writes a line on the case timeline and its `case_booking` audit row; operations flush,
the caller commits. Times are typed as local wall-clock times of the place and stored in UTC.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import exists, func, select, union_all
from sqlalchemy.orm import joinedload

from backoffice.cases import states
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case, record_case_event
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Hospital, Physician, Programme
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.logistics.airports import airport
from backoffice.logistics.models import PLACE_KINDS, Flight, HospitalAppointment, HotelStay, Transfer
from backoffice.logistics.timezones import combine, format_local, to_local
from backoffice.money import Money, MoneyError, check_amount, parse_money

Booking = HospitalAppointment | HotelStay | Flight | Transfer


class BookingError(DomainError):
    pass


KINDS: dict[str, type] = {
    "appointment": HospitalAppointment,
    "hotel": HotelStay,
    "flight": Flight,
    "transfer": Transfer,
}
KIND_LABELS = {"appointment": "Hospital appointment", "hotel": "Hotel stay", "flight": "Flight", "transfer": "Transfer"}
PLACE_LABELS = {"airport": "Airport", "hotel": "Hotel", "hospital": "Hospital", "other": "Other"}
STATUS_LABELS = {"requested": "Requested", "confirmed": "Confirmed", "cancelled": "Cancelled"}
# Relationships each kind shows with it; loaded with the booking so nothing loads lazily afterwards.
_LOADS: dict[str, tuple[Any, ...]] = {
    "appointment": (
        joinedload(HospitalAppointment.hospital),
        joinedload(HospitalAppointment.physician),
        joinedload(HospitalAppointment.programme),
    ),
    "hotel": (),
    "flight": (),
    "transfer": (joinedload(Transfer.flight),),
}
# An airline designator (two characters, not both digits, or three letters) and 1-4 digits: EK45, LH 401, U21234.
FLIGHT_NUMBER = re.compile(r"^([A-Z]{2,3}|[A-Z][0-9]|[0-9][A-Z])([0-9]{1,4})$")


# ---------------------------------------------------------------------------------------------- shared rules


def get_booking(kind: str, booking_id: int, case_id: int | None = None, *, lock: bool = False) -> Booking:
    """A booking of `kind` with what it shows loaded; 404 when there is none, or when it belongs to another case.

    `lock` holds its row until the transaction ends, so two people changing the same booking take turns.
    """
    model = KINDS.get(kind)
    booking = None
    if model is not None:
        query = select(model).where(model.id == booking_id).options(*_LOADS[kind])
        booking = db.session.scalar(query.with_for_update(of=model) if lock else query)
    if booking is None or (case_id is not None and booking.case_id != case_id):
        raise NotFound("There is no such booking on this case.")
    return booking


def _open_case(case_id: int) -> Case:
    case = get_case(case_id)
    if case.state in states.FINAL:
        raise BookingError(
            f"Case {case.number} is {states.label(case.state).lower()}: its bookings can no longer change."
        )
    return case


def _refuse_cancelled(booking: Booking) -> None:
    if booking.is_cancelled:
        raise BookingError("This booking is cancelled and can no longer change; make a new booking instead.")


def _text(value: str | None, label: str, max_length: int, *, required: bool = False) -> str:
    text = (value or "").strip()
    if required and not text:
        raise BookingError(f"Enter the {label}.")
    if len(text) > max_length:
        raise BookingError(f"The {label} is too long (at most {max_length} characters).")
    return text


def check_cost(cost: Money | None) -> Money | None:
    """A booking's cost: exact, not negative, no finer than the currency's minor unit (and cents at most)."""
    if cost is None:
        return None
    try:
        return check_amount(cost, places=2)
    except MoneyError as error:
        raise BookingError(f"Cost: {error}.") from None


def parse_cost(amount: str | None, currency: str | None) -> Money | None:
    """The cost typed into a form: empty when not known yet, else exact Money in an ISO 4217 currency."""
    if not (amount or "").strip():
        return None
    try:
        cost = parse_money(amount or "", currency or "")
    except MoneyError as error:
        raise BookingError(f"Cost: {error}.") from None
    return check_cost(cost)


def _local_today(tz_name: str) -> date:
    return to_local(utcnow(), tz_name).date()


def _refuse_past_start(start: datetime | date, tz_name: str, what: str) -> None:
    """A new booking cannot start in the past (an existing one keeps its dates, even once they have passed)."""
    if isinstance(start, datetime):
        if start < utcnow():
            raise BookingError(
                f"A new booking cannot start in the past: {what} {format_local(start, tz_name)} has passed."
            )
    elif start < _local_today(tz_name):
        raise BookingError(f"A new booking cannot start in the past: {what} {start.isoformat()} has passed.")


def _plain(value: Any) -> Any:
    """A value fit for the audit log's JSON."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_NOT_AUDITED = {"id", "case_id", "created_at", "updated_at", "created_by_id"}


def _snapshot(booking: Booking) -> dict[str, Any]:
    columns = booking.__mapper__.column_attrs
    return {c.key: _plain(getattr(booking, c.key)) for c in columns if c.key not in _NOT_AUDITED}


def describe(kind: str, booking: Booking) -> str:
    """How a booking is named on the timeline: 'Flight EK45 DXB→FRA'."""
    if kind == "appointment":
        return f"Hospital appointment at {booking.hospital.name}, {format_local(booking.starts_at, booking.timezone)}"
    if kind == "hotel":
        return f"Hotel {booking.hotel_name}, {booking.check_in_on:%d %b} to {booking.check_out_on:%d %b %Y}"
    if kind == "flight":
        return f"Flight {booking.flight_number} {booking.from_airport}→{booking.to_airport}"
    return f"Transfer {booking.from_place} → {booking.to_place}, {format_local(booking.pickup_at, booking.timezone)}"


def _record(case: Case, kind: str, booking: Booking, note: str, actor_id: int | None, **audit: Any) -> None:
    record_case_event(
        case,
        "booking",
        actor_id,
        note=f"{describe(kind, booking)} {note}",
        audit={"booking": kind, "booking_id": booking.id, "status": booking.status, **audit},
    )


def _create(kind: str, case: Case, values: dict[str, Any], cost: Money | None, notes: str, actor_id: int) -> Booking:
    booking = KINDS[kind](
        case_id=case.id,
        created_by_id=actor_id,
        status="requested",
        supplier_reference="",
        cost=check_cost(cost),
        notes=_text(notes, "notes", 5000),
        **values,
    )
    db.session.add(booking)
    db.session.flush()
    _record(case, kind, booking, "requested", actor_id, action="created", values=_snapshot(booking))
    return booking


def _update(
    kind: str, booking: Booking, case: Case, values: dict[str, Any], cost: Money | None, notes: str, actor_id: int
) -> Booking:
    before = _snapshot(booking)
    for name, value in {**values, "cost": check_cost(cost), "notes": _text(notes, "notes", 5000)}.items():
        setattr(booking, name, value)
    db.session.flush()
    after = _snapshot(booking)
    changes = {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}
    if changes:
        _record(
            case, kind, booking, f"changed ({', '.join(sorted(changes))})", actor_id, action="updated", changes=changes
        )
    return booking


def _start_changed(old: datetime | date, new: datetime | date, tz_name: str) -> None:
    """An update may keep a date that has passed, but may not move a booking into the past."""
    if new != old:
        _refuse_past_start(new, tz_name, "the new date")


def confirm_booking(
    kind: str, booking_id: int, supplier_reference: str, *, actor_id: int, case_id: int | None = None
) -> Booking:
    """The supplier confirmed: record their reference (confirmation number); only a requested booking confirms."""
    booking = get_booking(kind, booking_id, case_id, lock=True)
    case = _open_case(booking.case_id)
    _refuse_cancelled(booking)
    if booking.status == "confirmed":
        raise BookingError(f"This booking is already confirmed ({booking.supplier_reference}).")
    reference = _text(supplier_reference, "supplier's reference or confirmation number", 100, required=True)
    booking.status, booking.supplier_reference = "confirmed", reference
    db.session.flush()
    _record(case, kind, booking, f"confirmed ({reference})", actor_id, action="confirmed", reference=reference)
    return booking


def cancel_booking(kind: str, booking_id: int, reason: str, *, actor_id: int, case_id: int | None = None) -> Booking:
    """Cancel a requested or confirmed booking, with the reason (kept in its notes).

    Allowed on a cancelled case too, so what was booked for it can be released; a closed case's bookings stay.
    """
    booking = get_booking(kind, booking_id, case_id, lock=True)
    case = get_case(booking.case_id)
    if case.state == "closed":
        raise BookingError(f"Case {case.number} is closed: its bookings can no longer change.")
    _refuse_cancelled(booking)
    reason = _text(reason, "reason for cancelling", 500, required=True)
    booking.status = "cancelled"
    booking.notes = f"{booking.notes}\nCancelled: {reason}".strip()
    db.session.flush()
    _record(case, kind, booking, f"cancelled: {reason}", actor_id, action="cancelled", reason=reason)
    return booking


# ---------------------------------------------------------------------------------------------- hospital appointment


def has_confirmed_appointment(case: Case) -> bool:
    """The case guard for travel_booked: the hospital has confirmed the appointment."""
    return bool(
        db.session.scalar(
            select(exists().where(HospitalAppointment.case_id == case.id, HospitalAppointment.status == "confirmed"))
        )
    )


def _appointment_values(
    case: Case,
    *,
    hospital_id: int | None,
    physician_id: int | None,
    programme_id: int | None,
    start_on: date | None,
    start_time: time | None,
    admission_on: date | None,
    discharge_on: date | None,
) -> dict[str, Any]:
    hospital = db.session.get(Hospital, hospital_id) if hospital_id is not None else case.hospital
    if hospital_id is not None and hospital is None:
        raise BookingError("Choose a hospital from the directory.")
    if hospital is None:
        raise BookingError("Choose the case's programme first (or the hospital of the appointment).")
    physician = db.session.get(Physician, physician_id) if physician_id is not None else None
    if physician_id is not None and physician is None:
        raise BookingError("Choose a physician from the directory.")
    if physician is not None and physician.hospital_id != hospital.id:
        raise BookingError(f"{physician.name} does not work at {hospital.name}.")
    programme = db.session.get(Programme, programme_id) if programme_id is not None else None
    if programme_id is not None and programme is None:
        raise BookingError("Choose a programme from the directory.")
    if programme is not None and programme.hospital_id != hospital.id:
        raise BookingError(f"{programme.name} is not a programme of {hospital.name}.")
    if start_on is None or start_time is None:
        raise BookingError("Enter the date and the local time of the appointment.")
    starts_at = combine(start_on, start_time, hospital.timezone)
    admission_on = admission_on or start_on
    if admission_on < start_on - timedelta(days=1):
        raise BookingError(
            f"The admission ({admission_on.isoformat()}) cannot be more than a day before the appointment "
            f"({start_on.isoformat()})."
        )
    if discharge_on is None:
        if programme is None or programme.typical_stay_days is None:
            raise BookingError("Enter the expected discharge date.")
        discharge_on = admission_on + timedelta(days=programme.typical_stay_days)
    if discharge_on < admission_on:
        raise BookingError("The expected discharge must be on or after the admission date.")
    return {
        "hospital": hospital,
        "physician": physician,
        "programme": programme,
        "starts_at": starts_at,
        "timezone": hospital.timezone,
        "admission_on": admission_on,
        "discharge_on": discharge_on,
    }


def create_appointment(
    case_id: int,
    *,
    start_on: date | None,
    start_time: time | None,
    hospital_id: int | None = None,
    physician_id: int | None = None,
    programme_id: int | None = None,
    admission_on: date | None = None,
    discharge_on: date | None = None,
    cost: Money | None = None,
    notes: str = "",
    actor_id: int,
) -> HospitalAppointment:
    """Request the hospital appointment: at the case's hospital unless another is named, its start in the hospital's
    local time, admission (by default the day of the start) and expected discharge. One per case, unless cancelled.
    """
    case = _open_case(case_id)
    # Lock the case row: two coordinators booking at once must not both pass the one-appointment check.
    db.session.execute(select(Case.id).where(Case.id == case.id).with_for_update())
    existing = db.session.scalar(
        select(HospitalAppointment)
        .where(HospitalAppointment.case_id == case.id, HospitalAppointment.status != "cancelled")
        .options(joinedload(HospitalAppointment.hospital))
    )
    if existing is not None:
        raise BookingError(
            f"Case {case.number} already has a hospital appointment ({describe('appointment', existing)}); "
            "change it, or cancel it before booking another."
        )
    values = _appointment_values(
        case,
        hospital_id=hospital_id,
        physician_id=physician_id,
        programme_id=programme_id,
        start_on=start_on,
        start_time=start_time,
        admission_on=admission_on,
        discharge_on=discharge_on,
    )
    _refuse_past_start(values["starts_at"], values["timezone"], "the appointment on")
    return _create("appointment", case, values, cost, notes, actor_id)


def update_appointment(
    booking_id: int,
    *,
    start_on: date | None,
    start_time: time | None,
    hospital_id: int | None = None,
    physician_id: int | None = None,
    programme_id: int | None = None,
    admission_on: date | None = None,
    discharge_on: date | None = None,
    cost: Money | None = None,
    notes: str = "",
    actor_id: int,
    case_id: int | None = None,
) -> HospitalAppointment:
    """Change the appointment (same rules as booking it; a start that has passed may stay as it is)."""
    booking = get_booking("appointment", booking_id, case_id, lock=True)
    case = _open_case(booking.case_id)
    _refuse_cancelled(booking)
    values = _appointment_values(
        case,
        hospital_id=hospital_id if hospital_id is not None else booking.hospital_id,
        physician_id=physician_id,
        programme_id=programme_id,
        start_on=start_on,
        start_time=start_time,
        admission_on=admission_on,
        discharge_on=discharge_on,
    )
    _start_changed(booking.starts_at, values["starts_at"], values["timezone"])
    return _update("appointment", booking, case, values, cost, notes, actor_id)


# ---------------------------------------------------------------------------------------------- hotel stay


def _hotel_values(
    *,
    hotel_name: str,
    check_in_on: date | None,
    check_out_on: date | None,
    address: str,
    phone: str,
    room_type: str,
    guests: str,
) -> dict[str, Any]:
    if check_in_on is None or check_out_on is None:
        raise BookingError("Enter the check-in and check-out dates.")
    if check_out_on <= check_in_on:
        raise BookingError("Check-out must be after check-in.")
    return {
        "hotel_name": _text(hotel_name, "hotel's name", 200, required=True),
        "address": _text(address, "address", 300),
        "phone": _text(phone, "phone number", 40),
        "check_in_on": check_in_on,
        "check_out_on": check_out_on,
        "room_type": _text(room_type, "room type", 100),
        "guests": _text(guests, "guests", 300),
    }


def _place_zone(case: Case) -> str:
    """Dates of a stay are local to the destination: the hospital's zone, or UTC while there is no hospital yet."""
    return case.hospital.timezone if case.hospital else "UTC"


def create_hotel_stay(
    case_id: int,
    *,
    hotel_name: str,
    check_in_on: date | None,
    check_out_on: date | None,
    address: str = "",
    phone: str = "",
    room_type: str = "",
    guests: str = "",
    cost: Money | None = None,
    notes: str = "",
    actor_id: int,
) -> HotelStay:
    """Request a hotel stay: check-out after check-in, check-in not in the past."""
    case = _open_case(case_id)
    values = _hotel_values(
        hotel_name=hotel_name,
        check_in_on=check_in_on,
        check_out_on=check_out_on,
        address=address,
        phone=phone,
        room_type=room_type,
        guests=guests,
    )
    _refuse_past_start(values["check_in_on"], _place_zone(case), "the check-in on")
    return _create("hotel", case, values, cost, notes, actor_id)


def update_hotel_stay(
    booking_id: int,
    *,
    hotel_name: str,
    check_in_on: date | None,
    check_out_on: date | None,
    address: str = "",
    phone: str = "",
    room_type: str = "",
    guests: str = "",
    cost: Money | None = None,
    notes: str = "",
    actor_id: int,
    case_id: int | None = None,
) -> HotelStay:
    """Change a hotel stay (same rules as booking it; a check-in that has passed may stay as it is)."""
    booking = get_booking("hotel", booking_id, case_id, lock=True)
    case = _open_case(booking.case_id)
    _refuse_cancelled(booking)
    values = _hotel_values(
        hotel_name=hotel_name,
        check_in_on=check_in_on,
        check_out_on=check_out_on,
        address=address,
        phone=phone,
        room_type=room_type,
        guests=guests,
    )
    _start_changed(booking.check_in_on, values["check_in_on"], _place_zone(case))
    return _update("hotel", booking, case, values, cost, notes, actor_id)


# ---------------------------------------------------------------------------------------------- flight


def normalise_flight_number(text: str | None) -> str:
    """'ek 45' -> 'EK45'; anything but an airline designator and 1-4 digits is refused."""
    number = re.sub(r"\s+", "", text or "").upper()
    if not FLIGHT_NUMBER.match(number):
        raise BookingError(
            f"{(text or '').strip() or 'An empty value'!r} is not a flight number "
            "(the airline's two- or three-character code and 1 to 4 digits, such as EK45)."
        )
    return number


def _flight_values(
    *,
    passengers: str,
    airline: str,
    flight_number: str,
    from_airport: str,
    to_airport: str,
    departure_on: date | None,
    departure_time: time | None,
    arrival_on: date | None,
    arrival_time: time | None,
) -> dict[str, Any]:
    passengers = _text(passengers, "passengers", 300, required=True)
    airline = _text(airline, "airline", 100, required=True)
    number = normalise_flight_number(flight_number)
    origin, destination = airport(from_airport), airport(to_airport)
    if origin.code == destination.code:
        raise BookingError("A flight departs from one airport and arrives at another; the two codes are the same.")
    if None in (departure_on, departure_time, arrival_on, arrival_time):
        raise BookingError("Enter the local date and time of both the departure and the arrival.")
    departs_at = combine(departure_on, departure_time, origin.timezone)
    arrives_at = combine(arrival_on, arrival_time, destination.timezone)
    if arrives_at <= departs_at:
        raise BookingError(
            f"The arrival is before the departure: departs {format_local(departs_at, origin.timezone)} from "
            f"{origin.code}, arrives {format_local(arrives_at, destination.timezone)} at {destination.code}. "
            "Check the dates and the local times."
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


def create_flight(
    case_id: int,
    *,
    passengers: str,
    airline: str,
    flight_number: str,
    from_airport: str,
    to_airport: str,
    departure_on: date | None,
    departure_time: time | None,
    arrival_on: date | None,
    arrival_time: time | None,
    cost: Money | None = None,
    notes: str = "",
    actor_id: int,
) -> Flight:
    """Request a flight segment: known IATA airports, local times in each airport's zone, arrival after departure."""
    case = _open_case(case_id)
    values = _flight_values(
        passengers=passengers,
        airline=airline,
        flight_number=flight_number,
        from_airport=from_airport,
        to_airport=to_airport,
        departure_on=departure_on,
        departure_time=departure_time,
        arrival_on=arrival_on,
        arrival_time=arrival_time,
    )
    _refuse_past_start(values["departs_at"], values["departure_tz"], "the departure on")
    return _create("flight", case, values, cost, notes, actor_id)


def update_flight(
    booking_id: int,
    *,
    passengers: str,
    airline: str,
    flight_number: str,
    from_airport: str,
    to_airport: str,
    departure_on: date | None,
    departure_time: time | None,
    arrival_on: date | None,
    arrival_time: time | None,
    cost: Money | None = None,
    notes: str = "",
    actor_id: int,
    case_id: int | None = None,
) -> Flight:
    """Change a flight (same rules as booking it; a departure that has passed may stay as it is)."""
    booking = get_booking("flight", booking_id, case_id, lock=True)
    case = _open_case(booking.case_id)
    _refuse_cancelled(booking)
    values = _flight_values(
        passengers=passengers,
        airline=airline,
        flight_number=flight_number,
        from_airport=from_airport,
        to_airport=to_airport,
        departure_on=departure_on,
        departure_time=departure_time,
        arrival_on=arrival_on,
        arrival_time=arrival_time,
    )
    _start_changed(booking.departs_at, values["departs_at"], values["departure_tz"])
    return _update("flight", booking, case, values, cost, notes, actor_id)


# ---------------------------------------------------------------------------------------------- transfer


def _transfer_values(
    case: Case,
    *,
    from_kind: str,
    from_place: str,
    to_kind: str,
    to_place: str,
    pickup_on: date | None,
    pickup_time: time | None,
    company: str,
    driver_name: str,
    driver_phone: str,
    flight_id: int | None,
) -> dict[str, Any]:
    if from_kind not in PLACE_KINDS or to_kind not in PLACE_KINDS:
        raise BookingError("Say where the transfer starts and ends: an airport, a hotel, the hospital or other.")
    flight = db.session.get(Flight, flight_id) if flight_id is not None else None
    if flight_id is not None and (flight is None or flight.case_id != case.id):
        raise BookingError("A transfer can only meet one of this case's flights.")
    if flight is not None and flight.is_cancelled:
        raise BookingError(f"Flight {flight.flight_number} is cancelled; choose another flight or none.")
    if flight is not None:
        tz_name = flight.arrival_tz  # the pickup is read in the zone where the flight lands
    elif case.hospital is not None:
        tz_name = case.hospital.timezone
    else:
        raise BookingError(
            "Choose the case's programme first: the pickup time is read in the hospital's time zone "
            "(or link the flight the transfer meets)."
        )
    if pickup_on is None or pickup_time is None:
        raise BookingError("Enter the local date and time of the pickup.")
    return {
        "from_kind": from_kind,
        "from_place": _text(from_place, "pickup place", 200, required=True),
        "to_kind": to_kind,
        "to_place": _text(to_place, "destination", 200, required=True),
        "pickup_at": combine(pickup_on, pickup_time, tz_name),
        "timezone": tz_name,
        "company": _text(company, "transfer company", 200),
        "driver_name": _text(driver_name, "driver's name", 120),
        "driver_phone": _text(driver_phone, "driver's phone", 40),
        "flight": flight,
    }


def create_transfer(
    case_id: int,
    *,
    from_kind: str,
    from_place: str,
    to_kind: str,
    to_place: str,
    pickup_on: date | None,
    pickup_time: time | None,
    company: str = "",
    driver_name: str = "",
    driver_phone: str = "",
    flight_id: int | None = None,
    cost: Money | None = None,
    notes: str = "",
    actor_id: int,
) -> Transfer:
    """Request a transfer; the pickup time is local to the flight's arrival airport when it meets a flight of the
    case, else to the hospital."""
    case = _open_case(case_id)
    values = _transfer_values(
        case,
        from_kind=from_kind,
        from_place=from_place,
        to_kind=to_kind,
        to_place=to_place,
        pickup_on=pickup_on,
        pickup_time=pickup_time,
        company=company,
        driver_name=driver_name,
        driver_phone=driver_phone,
        flight_id=flight_id,
    )
    _refuse_past_start(values["pickup_at"], values["timezone"], "the pickup on")
    return _create("transfer", case, values, cost, notes, actor_id)


def update_transfer(
    booking_id: int,
    *,
    from_kind: str,
    from_place: str,
    to_kind: str,
    to_place: str,
    pickup_on: date | None,
    pickup_time: time | None,
    company: str = "",
    driver_name: str = "",
    driver_phone: str = "",
    flight_id: int | None = None,
    cost: Money | None = None,
    notes: str = "",
    actor_id: int,
    case_id: int | None = None,
) -> Transfer:
    """Change a transfer (same rules as booking it; a pickup that has passed may stay as it is)."""
    booking = get_booking("transfer", booking_id, case_id, lock=True)
    case = _open_case(booking.case_id)
    _refuse_cancelled(booking)
    values = _transfer_values(
        case,
        from_kind=from_kind,
        from_place=from_place,
        to_kind=to_kind,
        to_place=to_place,
        pickup_on=pickup_on,
        pickup_time=pickup_time,
        company=company,
        driver_name=driver_name,
        driver_phone=driver_phone,
        flight_id=flight_id,
    )
    _start_changed(booking.pickup_at, values["pickup_at"], values["timezone"])
    return _update("transfer", booking, case, values, cost, notes, actor_id)


# ---------------------------------------------------------------------------------------------- listing and costs


@dataclass
class CaseBookings:
    appointments: list[HospitalAppointment]
    hotels: list[HotelStay]
    flights: list[Flight]
    transfers: list[Transfer]

    def __len__(self) -> int:
        return len(self.appointments) + len(self.hotels) + len(self.flights) + len(self.transfers)


def bookings_of(case_id: int) -> CaseBookings:
    """Every booking of a case, each kind in time order, what they show loaded (four statements)."""

    def rows(kind: str, *order: Any) -> list:
        model = KINDS[kind]
        query = select(model).where(model.case_id == case_id).options(*_LOADS[kind]).order_by(*order, model.id)
        return list(db.session.scalars(query).unique())

    return CaseBookings(
        appointments=rows("appointment", HospitalAppointment.starts_at),
        hotels=rows("hotel", HotelStay.check_in_on),
        flights=rows("flight", Flight.departs_at),
        transfers=rows("transfer", Transfer.pickup_at),
    )


# A cost source gives the costs of one case (each Money in its own currency); cancelled bookings cost nothing.
CostSource = Callable[[int], Iterable[Money]]


def booking_costs(case_id: int) -> list[Money]:
    """The appointment, hotel, flight and transfer costs of a case, summed per currency in one statement."""
    parts = [
        select(model.cost_amount.label("amount"), model.cost_currency.label("currency")).where(
            model.case_id == case_id, model.status != "cancelled", model.cost_amount.is_not(None)
        )
        for model in KINDS.values()
    ]
    costs = union_all(*parts).subquery()
    rows = db.session.execute(select(costs.c.currency, func.sum(costs.c.amount)).group_by(costs.c.currency)).all()
    return [Money(amount, currency) for currency, amount in rows]


# Interpreter bookings add their source here.
COST_SOURCES: list[CostSource] = [booking_costs]


def logistics_costs(case_id: int, sources: Iterable[CostSource] | None = None) -> dict[str, Money]:
    """What a case's logistics cost, per currency (never converted), over every cost source."""
    totals: dict[str, Money] = {}
    for source in COST_SOURCES if sources is None else sources:
        for cost in source(case_id):
            totals[cost.currency] = totals[cost.currency] + cost if cost.currency in totals else cost
    return dict(sorted(totals.items()))
