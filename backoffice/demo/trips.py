"""The demo's cases made whole: medical records, and for cases past confirmation a booked trip and follow-ups.

Each case that reached `records_review` gets a small PDF record; each that reached `travel_booked` gets a confirmed
hospital appointment with flights, hotel nights, transfers and (where the patient speaks none of the hospital's
languages) an interpreter, laid out so that its itinerary has no findings; discharged cases get their follow-ups,
the past ones done. So the seeded cases pass the same guards as cases built by hand.
"""

from __future__ import annotations

import hashlib
import random
import secrets
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.auth.models import User
from backoffice.cases.documents import stored_key
from backoffice.cases.models import Case, CaseDocument
from backoffice.cases.states import PIPELINE
from backoffice.demo.data import AIRLINES, CITY_AIRPORTS, HOME_AIRPORTS, HOTELS, INTERPRETERS, TRANSFER_COMPANY
from backoffice.directory.follow_up_schedule import parse_schedule, plan_follow_ups
from backoffice.extensions import db
from backoffice.logistics.airports import airport
from backoffice.logistics.models import (
    Flight,
    FollowUp,
    HospitalAppointment,
    HotelStay,
    Interpreter,
    InterpreterBooking,
    Transfer,
)
from backoffice.logistics.timezones import to_utc
from backoffice.money import Money
from backoffice.storage import files

FLIGHT_HOURS = 6
RECORD = (
    b"%PDF-1.4\n% demo medical record\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def seed_interpreters() -> int:
    """The interpreters' directory, those missing only."""
    known = set(db.session.scalars(select(Interpreter.name)))
    added = 0
    for name, languages, rate, city in INTERPRETERS:
        if name not in known:
            email = name.lower().replace(" ", ".").replace("ş", "s") + "@interpreters.example"
            db.session.add(
                Interpreter(
                    name=name,
                    languages=languages,
                    hourly_rate=Money(rate, "EUR"),
                    email=email,
                    phone="+49 170 000 0000",
                    city=city,
                )
            )
            added += 1
    db.session.flush()
    return added


def _reached(case: Case) -> int:
    state = case.state_before_hold if case.state == "on_hold" else case.state
    return PIPELINE.index(state) if state in PIPELINE else -1


def seed_trips(case_ids: list[int], rng: random.Random, *, today: date) -> None:
    """Records, trips and follow-ups for the given (freshly seeded) cases."""
    cases = db.session.scalars(
        select(Case)
        .where(Case.id.in_(case_ids))
        .options(joinedload(Case.patient), joinedload(Case.hospital), joinedload(Case.programme))
    ).all()
    coordinators = {u.id: u for u in db.session.scalars(select(User).where(User.role == "coordinator"))}
    interpreters = list(db.session.scalars(select(Interpreter).order_by(Interpreter.id)))
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    for case in cases:
        reached = _reached(case)
        uploader = coordinators.get(case.coordinator_id) or next(iter(coordinators.values()))
        if reached >= PIPELINE.index("records_review"):
            _record(case, uploader, today)
        if reached >= PIPELINE.index("travel_booked") and case.hospital is not None:
            appointment = _trip(case, rng, today, uploader, interpreters, busy)
            if reached >= PIPELINE.index("discharged"):
                _follow_ups(case, appointment.discharge_on, today, uploader)
    db.session.flush()


def _record(case: Case, uploader: User, today: date) -> None:
    stored_name = secrets.token_hex(16)
    content = RECORD.replace(b"demo medical record", f"demo medical record of {case.number}".encode())
    files.put(stored_key(stored_name), content, kind="case_document", dated=today)
    db.session.add(
        CaseDocument(
            case_id=case.id,
            uploaded_by_id=uploader.id,
            uploaded_at=case.first_response_at or case.requested_at,
            original_filename="Medical history and lab results.pdf",
            stored_name=stored_name,
            content_type="application/pdf",
            size_bytes=len(content),
            sha256=hashlib.sha256(content).hexdigest(),
            description="Sent by the patient",
        )
    )


def _admission(case: Case, rng: random.Random, today: date) -> date:
    """Travel booked: admission ahead; in treatment: started days ago; later: long enough ago to be discharged."""
    stay = (case.programme.typical_stay_days if case.programme else None) or 14
    if case.state in ("travel_booked", "on_hold"):
        return today + timedelta(days=rng.randint(10, 45))
    if case.state == "in_treatment":
        return today - timedelta(days=rng.randint(1, max(1, stay - 1)))
    # Discharged and later: admitted some weeks after the request, and discharged before today.
    latest = today - timedelta(days=stay + 1)
    earliest = min((case.first_response_at or case.requested_at).date() + timedelta(days=14), latest)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def _trip(
    case: Case,
    rng: random.Random,
    today: date,
    booker: User,
    interpreters: list[Interpreter],
    busy: dict[int, list[tuple[datetime, datetime]]],
) -> HospitalAppointment:
    hospital, tz = case.hospital, case.hospital.timezone
    stay = (case.programme.typical_stay_days if case.programme else None) or 14
    admission = _admission(case, rng, today)
    start_hour = rng.choice((8, 9, 10, 11, 13, 14))
    appointment = HospitalAppointment(
        case_id=case.id,
        hospital_id=hospital.id,
        physician_id=case.physician_id,
        programme_id=case.programme_id,
        starts_at=to_utc(datetime.combine(admission, time(start_hour)), tz),
        timezone=tz,
        admission_on=admission,
        discharge_on=admission + timedelta(days=stay),
        status="confirmed",
        supplier_reference=f"{hospital.code}-{case.number[-5:]}",
        created_by_id=booker.id,
    )
    db.session.add(appointment)
    home = airport(HOME_AIRPORTS.get(case.patient.country, "DXB"))
    destination = airport(CITY_AIRPORTS.get(hospital.city, "FRA"))
    airline, code = rng.choice(AIRLINES)
    passengers = case.patient.name
    arrives = to_utc(datetime.combine(admission - timedelta(days=1), time(14, 5)), destination.timezone)
    departs_home = to_utc(
        datetime.combine(appointment.discharge_on + timedelta(days=1), time(16, 40)), destination.timezone
    )
    flights = [
        Flight(
            passengers=passengers,
            airline=airline,
            flight_number=f"{code}{rng.randint(10, 999)}",
            from_airport=home.code,
            to_airport=destination.code,
            departs_at=arrives - timedelta(hours=FLIGHT_HOURS),
            departure_tz=home.timezone,
            arrives_at=arrives,
            arrival_tz=destination.timezone,
        ),
        Flight(
            passengers=passengers,
            airline=airline,
            flight_number=f"{code}{rng.randint(10, 999)}",
            from_airport=destination.code,
            to_airport=home.code,
            departs_at=departs_home,
            departure_tz=destination.timezone,
            arrives_at=departs_home + timedelta(hours=FLIGHT_HOURS),
            arrival_tz=home.timezone,
        ),
    ]
    for flight in flights:
        _booked(flight, case, booker, f"{secrets.token_hex(3).upper()}", Money(str(rng.randint(450, 1400)), "EUR"))
    db.session.flush()
    hotel, address, phone = HOTELS.get(hospital.city, ("Hotel am Main", hospital.address, ""))
    nights = ((admission - timedelta(days=1), admission), (appointment.discharge_on, flights[1].departs_at.date()))
    for check_in, check_out in nights:
        if check_out <= check_in:
            check_out = check_in + timedelta(days=1)
        stay_row = HotelStay(
            hotel_name=hotel,
            address=address,
            phone=phone,
            check_in_on=check_in,
            check_out_on=check_out,
            room_type="Double room",
            guests=f"{passengers} and companion",
        )
        _booked(
            stay_row,
            case,
            booker,
            f"H{rng.randint(100000, 999999)}",
            Money(str(139 * (check_out - check_in).days), "EUR"),
        )
    company, driver, driver_phone = TRANSFER_COMPANY
    rides = (
        (
            "airport",
            f"{destination.label} arrivals",
            "hotel",
            hotel,
            arrives + timedelta(minutes=60),
            flights[0],
            destination.timezone,
        ),
        (
            "hotel",
            hotel,
            "hospital",
            hospital.name,
            to_utc(datetime.combine(admission, time(start_hour - 1, 15)), tz),
            None,
            tz,
        ),
        ("hotel", hotel, "airport", destination.label, departs_home - timedelta(hours=3), flights[1], tz),
    )
    for from_kind, from_place, to_kind, to_place, pickup_at, flight, zone in rides:
        ride = Transfer(
            from_kind=from_kind,
            from_place=from_place,
            to_kind=to_kind,
            to_place=to_place,
            pickup_at=pickup_at,
            timezone=zone,
            company=company,
            driver_name=driver,
            driver_phone=driver_phone,
            flight_id=flight.id if flight else None,
        )
        _booked(ride, case, booker, f"T{rng.randint(1000, 9999)}", Money("85.00", "EUR"))
    if not set(case.patient.spoken_languages) & set(hospital.languages):
        _interpreter(case, appointment, interpreters, busy, booker)
    db.session.flush()
    return appointment


def _booked(booking, case: Case, booker: User, reference: str, cost: Money) -> None:
    booking.case_id, booking.status, booking.supplier_reference = case.id, "confirmed", reference
    booking.cost, booking.created_by_id = cost, booker.id
    db.session.add(booking)


def _interpreter(
    case: Case,
    appointment: HospitalAppointment,
    interpreters: list[Interpreter],
    busy: dict[int, list[tuple[datetime, datetime]]],
    booker: User,
) -> None:
    starts = appointment.starts_at - timedelta(minutes=15)
    ends = appointment.starts_at + timedelta(hours=2)
    for interpreter in interpreters:
        language = next((code for code in case.patient.spoken_languages if code in interpreter.languages), None)
        taken = any(start < ends and starts < end for start, end in busy.get(interpreter.id, ()))
        if language and not taken:
            busy.setdefault(interpreter.id, []).append((starts, ends))
            hours = Decimal((ends - starts).total_seconds()) / Decimal(3600)
            booking = InterpreterBooking(
                interpreter_id=interpreter.id,
                starts_at=starts,
                ends_at=ends,
                timezone=appointment.timezone,
                place=case.hospital.name,
                language=language,
            )
            _booked(booking, case, booker, "", (interpreter.hourly_rate * hours).rounded())
            return


def _follow_ups(case: Case, discharged_on: date, today: date, coordinator: User) -> None:
    if not case.programme or not case.programme.follow_up_schedule:
        return
    for planned in plan_follow_ups(parse_schedule(case.programme.follow_up_schedule), discharged_on):
        done = case.state in ("aftercare", "closed") and planned.due_on < today
        db.session.add(
            FollowUp(
                case_id=case.id,
                position=planned.position,
                due_on=planned.due_on,
                label=planned.label,
                status="done" if done else "due",
                result="No complications; values stable." if done else "",
                done_on=planned.due_on if done else None,
                done_by_id=coordinator.id if done else None,
            )
        )
