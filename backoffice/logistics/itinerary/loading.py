"""Loading a case's itinerary: its bookings read once (a fixed number of statements) into the plain items."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.directory.models import ProgrammePhase
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.geo import language_name
from backoffice.languages import N_, page_language
from backoffice.logistics.airports import Airport, UnknownAirport, airport
from backoffice.logistics.itinerary.items import (
    CHECK_IN_TIME,
    CHECK_OUT_TIME,
    AppointmentItem,
    FlightItem,
    HospitalInfo,
    HotelItem,
    InterpreterItem,
    Item,
    Itinerary,
    Phase,
    TransferItem,
    at_local,
)
from backoffice.logistics.models import Flight, HospitalAppointment, HotelStay, InterpreterBooking, Transfer
from backoffice.logistics.timezones import shown_day, to_local

# Statements `load_itinerary` sends, whatever the number of bookings (asserted in the tests).
LOAD_STATEMENTS = 7


def _airport(code: str, tz: str) -> Airport:
    try:
        return airport(code)
    except UnknownAirport:  # stored before the list knew it: keep the code and the stored zone
        return Airport(code=code, name=code, city="", country="", timezone=tz)


def appointment_item(row: HospitalAppointment) -> AppointmentItem:
    physician = row.physician.name if row.physician else ""
    programme = row.programme.name if row.programme else ""
    details = [(N_("Hospital"), row.hospital.name)]
    if row.hospital.address:
        details.append((N_("Address"), row.hospital.address))
    if physician:
        details.append((N_("Physician"), physician))
    if programme:
        details.append((N_("Programme"), programme))
    details.append((N_("Admission"), shown_day(row.admission_on)))
    details.append((N_("Expected discharge"), shown_day(row.discharge_on)))
    return AppointmentItem(
        id=row.id,
        status=row.status,
        starts_at=row.starts_at,
        tz=row.timezone,
        title=_("Hospital appointment at %(hospital)s", hospital=row.hospital.name),
        details=tuple(details),
        supplier_reference=row.supplier_reference,
        cost=row.cost,
        notes=row.notes,
        hospital_name=row.hospital.name,
        admission_on=row.admission_on,
        discharge_on=row.discharge_on,
        physician_name=physician,
        programme_name=programme,
    )


def hotel_item(row: HotelStay, tz: str) -> HotelItem:
    nights = (row.check_out_on - row.check_in_on).days
    details = [
        (N_("Address"), row.address),
        (N_("Phone"), row.phone),
        (N_("Room"), row.room_type),
        (N_("Guests"), row.guests),
    ]
    return HotelItem(
        id=row.id,
        status=row.status,
        starts_at=at_local(row.check_in_on, CHECK_IN_TIME, tz),
        tz=tz,
        ends_at=at_local(row.check_out_on, CHECK_OUT_TIME, tz),
        end_tz=tz,
        title=ngettext("%(hotel)s: %(num)d night", "%(hotel)s: %(num)d nights", nights, hotel=row.hotel_name),
        details=tuple((label, value) for label, value in details if value),
        supplier_reference=row.supplier_reference,
        cost=row.cost,
        notes=row.notes,
        hotel_name=row.hotel_name,
        address=row.address,
        phone=row.phone,
        check_in_on=row.check_in_on,
        check_out_on=row.check_out_on,
        room_type=row.room_type,
        guests=row.guests,
    )


def flight_item(row: Flight) -> FlightItem:
    origin, destination = _airport(row.from_airport, row.departure_tz), _airport(row.to_airport, row.arrival_tz)
    return FlightItem(
        id=row.id,
        status=row.status,
        starts_at=row.departs_at,
        tz=row.departure_tz,
        ends_at=row.arrives_at,
        end_tz=row.arrival_tz,
        title=_(
            "Flight %(number)s %(origin)s → %(destination)s",
            number=row.flight_number,
            origin=origin.label,
            destination=destination.label,
        ),
        details=tuple(
            (label, value)
            for label, value in (
                (N_("Airline"), row.airline),
                (N_("From"), f"{origin.name} ({origin.code})"),
                (N_("To"), f"{destination.name} ({destination.code})"),
                (N_("Passengers"), row.passengers),
            )
            if value
        ),
        supplier_reference=row.supplier_reference,
        cost=row.cost,
        notes=row.notes,
        airline=row.airline,
        flight_number=row.flight_number,
        from_airport=origin,
        to_airport=destination,
        passengers=row.passengers,
    )


def transfer_item(row: Transfer) -> TransferItem:
    driver = " ".join(part for part in (row.driver_name, row.driver_phone) if part)
    return TransferItem(
        id=row.id,
        status=row.status,
        starts_at=row.pickup_at,
        tz=row.timezone,
        title=_("Transfer %(origin)s → %(destination)s", origin=row.from_place, destination=row.to_place),
        details=tuple(
            (label, value) for label, value in ((N_("Company"), row.company), (N_("Driver"), driver)) if value
        ),
        supplier_reference=row.supplier_reference,
        cost=row.cost,
        notes=row.notes,
        from_kind=row.from_kind,
        from_place=row.from_place,
        to_kind=row.to_kind,
        to_place=row.to_place,
        company=row.company,
        driver_name=row.driver_name,
        driver_phone=row.driver_phone,
        flight_id=row.flight_id,
    )


def interpreter_item(row: InterpreterBooking) -> InterpreterItem:
    interpreter = row.interpreter
    return InterpreterItem(
        id=row.id,
        status=row.status,
        starts_at=row.starts_at,
        tz=row.timezone,
        ends_at=row.ends_at,
        end_tz=row.timezone,
        title=_(
            "Interpreter %(name)s (%(language)s)",
            name=interpreter.name,
            language=language_name(row.language, page_language()) or row.language,
        ),
        details=tuple(
            (label, value) for label, value in ((N_("Place"), row.place), (N_("Phone"), interpreter.phone)) if value
        ),
        supplier_reference=row.supplier_reference,
        cost=row.cost,
        notes=row.notes,
        interpreter_id=interpreter.id,
        interpreter_name=interpreter.name,
        interpreter_active=interpreter.active,
        language=row.language,
        place=row.place,
        interpreter_phone=interpreter.phone,
        interpreter_email=interpreter.email,
    )


def _hospital(hospital) -> HospitalInfo:
    return HospitalInfo(
        id=hospital.id,
        name=hospital.name,
        address=hospital.address,
        city=hospital.city,
        country=hospital.country,
        timezone=hospital.timezone,
        languages=tuple(code.lower() for code in hospital.languages or ()),
        contact_name=hospital.contact_name,
        contact_email=hospital.contact_email,
        contact_phone=hospital.contact_phone,
    )


def _sort_key(item: Item) -> tuple:
    return (item.starts_at, item.kind, item.id)


def load_itinerary(case_id: int) -> Itinerary:
    """The case's bookings as an Itinerary, in LOAD_STATEMENTS statements; 404 for an unknown case.

    The hospital is the one of the (first, not cancelled) appointment, else the case's; so is the programme.
    """
    case = db.session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(
            joinedload(Case.patient),
            joinedload(Case.coordinator),
            joinedload(Case.hospital),
            joinedload(Case.programme),
        )
    )
    if case is None:
        raise NotFound(_("There is no such case."))

    def rows(model, *options):
        return db.session.scalars(select(model).where(model.case_id == case_id).options(*options)).all()

    appointments = rows(
        HospitalAppointment,
        joinedload(HospitalAppointment.hospital),
        joinedload(HospitalAppointment.physician),
        joinedload(HospitalAppointment.programme),
    )
    active = sorted((a for a in appointments if not a.is_cancelled), key=lambda a: (a.starts_at, a.id))
    hospital_row = active[0].hospital if active else case.hospital
    programme_row = (active[0].programme if active else None) or case.programme
    hospital = _hospital(hospital_row) if hospital_row else None
    local_tz = hospital.timezone if hospital else "UTC"

    items: list[Item] = [appointment_item(row) for row in appointments]
    items += [hotel_item(row, local_tz) for row in rows(HotelStay)]
    items += [flight_item(row) for row in rows(Flight)]
    items += [transfer_item(row) for row in rows(Transfer)]
    items += [interpreter_item(row) for row in rows(InterpreterBooking, joinedload(InterpreterBooking.interpreter))]
    # Always sent (even without a programme), so the count of statements never depends on the data.
    phases = db.session.scalars(
        select(ProgrammePhase)
        .where(ProgrammePhase.programme_id == (programme_row.id if programme_row else None))
        .order_by(ProgrammePhase.position)
    ).all()

    coordinator = case.coordinator
    return Itinerary(
        case_id=case.id,
        case_number=case.number,
        case_state=case.state,
        patient_name=case.patient.name,
        patient_languages=tuple(code.lower() for code in case.patient.spoken_languages),
        hospital=hospital,
        programme_name=programme_row.name if programme_row else "",
        phases=tuple(Phase(p.position, p.name, p.duration, p.duration_days) for p in phases),
        coordinator_name=coordinator.name if coordinator else "",
        coordinator_email=coordinator.email if coordinator else "",
        items=tuple(sorted(items, key=_sort_key)),
        preferred_language=case.patient.preferred_language or "",
    )


def local_today(itinerary: Itinerary):
    """Today where the treatment happens (the hospital's calendar), else in UTC."""
    return to_local(utcnow(), itinerary.hospital.timezone).date() if itinerary.hospital else utcnow().date()
