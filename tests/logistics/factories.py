"""Bookings for logistics tests, built directly (no validation, no events) and flushed."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from backoffice.extensions import db
from backoffice.logistics.models import (
    Flight,
    HospitalAppointment,
    HotelStay,
    Interpreter,
    InterpreterBooking,
    Transfer,
)
from backoffice.logistics.timezones import to_utc
from backoffice.money import Money


def local(day: date, hh: int, mm: int = 0, tz: str = "Europe/Berlin") -> datetime:
    """A UTC instant from a local wall-clock time."""
    return to_utc(datetime.combine(day, time(hh, mm)), tz)


def make_appointment(
    case,
    *,
    hospital=None,
    physician=None,
    programme=None,
    admission_on: date,
    days: int = 21,
    start_hour: int = 9,
    status: str = "confirmed",
    **fields,
) -> HospitalAppointment:
    hospital_id = (hospital.id if hospital else None) or case.hospital_id
    appointment = HospitalAppointment(
        case_id=case.id,
        hospital_id=hospital_id,
        physician_id=physician.id if physician else case.physician_id,
        programme_id=programme.id if programme else case.programme_id,
        starts_at=local(admission_on, start_hour),
        timezone="Europe/Berlin",
        admission_on=admission_on,
        discharge_on=admission_on + timedelta(days=days),
        status=status,
        supplier_reference="HOSP-1",
        **fields,
    )
    db.session.add(appointment)
    db.session.flush()
    return appointment


def make_hotel(case, *, check_in_on: date, check_out_on: date, status: str = "confirmed", **fields) -> HotelStay:
    stay = HotelStay(
        case_id=case.id,
        hotel_name=fields.pop("hotel_name", "Hotel am Main"),
        address=fields.pop("address", "Mainkai 1, 60311 Frankfurt am Main"),
        check_in_on=check_in_on,
        check_out_on=check_out_on,
        room_type="Double",
        guests="Patient, companion",
        status=status,
        **fields,
    )
    db.session.add(stay)
    db.session.flush()
    return stay


def make_flight(
    case,
    *,
    departs_at: datetime,
    arrives_at: datetime,
    from_airport: str = "DXB",
    to_airport: str = "FRA",
    departure_tz: str = "Asia/Dubai",
    arrival_tz: str = "Europe/Berlin",
    status: str = "confirmed",
    flight_number: str = "EK45",
    **fields,
) -> Flight:
    flight = Flight(
        case_id=case.id,
        passengers=fields.pop("passengers", "Patient"),
        airline="Emirates",
        flight_number=flight_number,
        from_airport=from_airport,
        to_airport=to_airport,
        departs_at=departs_at,
        departure_tz=departure_tz,
        arrives_at=arrives_at,
        arrival_tz=arrival_tz,
        status=status,
        supplier_reference=fields.pop("supplier_reference", "ABC123"),
        **fields,
    )
    db.session.add(flight)
    db.session.flush()
    return flight


def make_transfer(
    case,
    *,
    pickup_at: datetime,
    flight=None,
    from_kind: str = "airport",
    to_kind: str = "hotel",
    status: str = "confirmed",
    **fields,
) -> Transfer:
    transfer = Transfer(
        case_id=case.id,
        from_kind=from_kind,
        from_place=fields.pop("from_place", "FRA Terminal 1"),
        to_kind=to_kind,
        to_place=fields.pop("to_place", "Hotel am Main"),
        pickup_at=pickup_at,
        timezone="Europe/Berlin",
        company="Main Transfers",
        flight_id=flight.id if flight else None,
        status=status,
        **fields,
    )
    db.session.add(transfer)
    db.session.flush()
    return transfer


def make_interpreter(
    *,
    name: str = "Layla Haddad",
    languages: tuple[str, ...] = ("ar", "de", "en"),
    rate: str = "65.00",
    active: bool = True,
) -> Interpreter:
    interpreter = Interpreter(
        name=name,
        languages=list(languages),
        hourly_rate=Money(rate, "EUR"),
        email="layla@interpreters.example",
        city="Frankfurt am Main",
        active=active,
    )
    db.session.add(interpreter)
    db.session.flush()
    return interpreter


def make_interpreter_booking(
    case, interpreter, *, starts_at: datetime, hours: int = 2, language: str = "ar", status: str = "confirmed"
) -> InterpreterBooking:
    booking = InterpreterBooking(
        case_id=case.id,
        interpreter_id=interpreter.id,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours),
        timezone="Europe/Berlin",
        place="Clinic of Advanced Biological Medicine",
        language=language,
        status=status,
    )
    db.session.add(booking)
    db.session.flush()
    return booking


def make_confirmed_case(coordinator, **hospital_fields):
    """A confirmed case at the Frankfurt clinic, with its physician and programme, ready for the trip to be booked."""
    from tests.factories import make_case, make_hospital, make_physician, make_programme

    hospital = make_hospital(name="Clinic of Advanced Biological Medicine", **hospital_fields)
    physician = make_physician(hospital, name="Dr. Ulrich Weber")
    programme = make_programme(hospital, name="Stem cell therapy")
    case = make_case(
        state="confirmed",
        coordinator=coordinator,
        hospital_id=hospital.id,
        physician_id=physician.id,
        programme_id=programme.id,
    )
    db.session.commit()
    return case
