"""A case's itinerary: its bookings loaded once into plain items, in time order.

Everything downstream (the itinerary page, the findings, the patient's PDF, the calendar) works on these
dataclasses, never on the ORM rows, so the rules stay pure and the page runs a fixed number of statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import ClassVar

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.directory.models import ProgrammePhase
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.geo import language_name
from backoffice.logistics.airports import Airport, UnknownAirport, airport
from backoffice.logistics.models import Flight, HospitalAppointment, HotelStay, InterpreterBooking, Transfer
from backoffice.logistics.timezones import TimeError, format_day, to_local, to_utc
from backoffice.money import Money

# Statements `load_itinerary` sends, whatever the number of bookings (asserted in the tests).
LOAD_STATEMENTS = 7

# Hotel nights are dates; they are placed on the time line at the usual check-in and check-out times.
CHECK_IN_TIME = time(15, 0)
CHECK_OUT_TIME = time(11, 0)

PLACE_LABELS = {"airport": "Airport", "hotel": "Hotel", "hospital": "Hospital", "other": "Other"}


# ---------------------------------------------------------------------------------------------- the plain data


@dataclass(frozen=True)
class HospitalInfo:
    id: int
    name: str
    address: str
    city: str
    country: str
    timezone: str
    languages: tuple[str, ...]
    contact_name: str = ""
    contact_email: str = ""
    contact_phone: str = ""


@dataclass(frozen=True)
class Phase:
    position: int
    name: str
    duration: str = ""
    duration_days: int | None = None


@dataclass(frozen=True, kw_only=True)
class Item:
    """One booking on the time line: `starts_at`/`ends_at` are UTC instants shown in `tz`/`end_tz`."""

    kind: ClassVar[str] = ""
    id: int
    status: str
    starts_at: datetime
    tz: str
    ends_at: datetime | None = None
    end_tz: str = ""
    title: str = ""
    details: tuple[tuple[str, str], ...] = ()
    supplier_reference: str = ""
    cost: Money | None = None
    notes: str = ""

    @property
    def uid(self) -> str:
        """Stable per booking: 'flight-12'."""
        return f"{self.kind}-{self.id}"

    @property
    def is_cancelled(self) -> bool:
        return self.status == "cancelled"

    @property
    def local_start(self) -> datetime:
        return to_local(self.starts_at, self.tz)

    @property
    def local_end(self) -> datetime | None:
        return to_local(self.ends_at, self.end_tz or self.tz) if self.ends_at else None


@dataclass(frozen=True, kw_only=True)
class AppointmentItem(Item):
    kind: ClassVar[str] = "appointment"
    hospital_name: str
    admission_on: date
    discharge_on: date
    physician_name: str = ""
    programme_name: str = ""


@dataclass(frozen=True, kw_only=True)
class HotelItem(Item):
    kind: ClassVar[str] = "hotel"
    hotel_name: str
    address: str
    phone: str
    check_in_on: date
    check_out_on: date
    room_type: str = ""
    guests: str = ""

    def covers(self, night: date) -> bool:
        """The night starting on `night` is in this stay."""
        return self.check_in_on <= night < self.check_out_on

    @property
    def nights(self) -> int:
        return (self.check_out_on - self.check_in_on).days


@dataclass(frozen=True, kw_only=True)
class FlightItem(Item):
    kind: ClassVar[str] = "flight"
    airline: str
    flight_number: str
    from_airport: Airport
    to_airport: Airport
    passengers: str = ""

    @property
    def departs_at(self) -> datetime:
        return self.starts_at

    @property
    def arrives_at(self) -> datetime:
        assert self.ends_at is not None
        return self.ends_at

    @property
    def departure_tz(self) -> str:
        return self.tz

    @property
    def arrival_tz(self) -> str:
        return self.end_tz

    @property
    def route(self) -> str:
        return f"{self.from_airport.label} → {self.to_airport.label}"


@dataclass(frozen=True, kw_only=True)
class TransferItem(Item):
    kind: ClassVar[str] = "transfer"
    from_kind: str
    from_place: str
    to_kind: str
    to_place: str
    company: str = ""
    driver_name: str = ""
    driver_phone: str = ""
    flight_id: int | None = None

    @property
    def pickup_at(self) -> datetime:
        return self.starts_at

    @property
    def is_airport_pickup(self) -> bool:
        return self.from_kind == "airport"

    @property
    def is_airport_drop_off(self) -> bool:
        return self.to_kind == "airport" and self.from_kind != "airport"


@dataclass(frozen=True, kw_only=True)
class InterpreterItem(Item):
    kind: ClassVar[str] = "interpreter"
    interpreter_id: int
    interpreter_name: str
    interpreter_active: bool
    language: str
    place: str
    interpreter_phone: str = ""
    interpreter_email: str = ""


@dataclass(frozen=True)
class Itinerary:
    """A case with its bookings in time order (cancelled ones included: the rules decide what they mean)."""

    case_id: int
    case_number: str
    case_state: str
    patient_name: str
    patient_languages: tuple[str, ...]
    hospital: HospitalInfo | None
    programme_name: str = ""
    phases: tuple[Phase, ...] = ()
    coordinator_name: str = ""
    coordinator_email: str = ""
    items: tuple[Item, ...] = field(default_factory=tuple)

    def of_kind(self, cls: type[Item], *, include_cancelled: bool = False) -> list:
        return [item for item in self.items if isinstance(item, cls) and (include_cancelled or not item.is_cancelled)]

    @property
    def appointments(self) -> list[AppointmentItem]:
        return self.of_kind(AppointmentItem)

    @property
    def appointment(self) -> AppointmentItem | None:
        """The first appointment that is not cancelled."""
        appointments = self.appointments
        return appointments[0] if appointments else None

    @property
    def flights(self) -> list[FlightItem]:
        return self.of_kind(FlightItem)

    @property
    def hotels(self) -> list[HotelItem]:
        return self.of_kind(HotelItem)

    @property
    def transfers(self) -> list[TransferItem]:
        return self.of_kind(TransferItem)

    @property
    def interpreter_bookings(self) -> list[InterpreterItem]:
        return self.of_kind(InterpreterItem)

    @property
    def active_items(self) -> list[Item]:
        return [item for item in self.items if not item.is_cancelled]

    def flight(self, flight_id: int | None) -> FlightItem | None:
        """A flight of this case by id, cancelled or not."""
        return next((i for i in self.items if isinstance(i, FlightItem) and i.id == flight_id), None)


# ---------------------------------------------------------------------------------------------- days


@dataclass(frozen=True)
class Entry:
    """One line of a day: an item starting (or, for a hotel or the hospital stay, ending) that day."""

    at: datetime  # UTC, for ordering
    item: Item
    moment: str  # "start", "end" (hotel check-out), "discharge"


@dataclass(frozen=True)
class Day:
    on: date
    entries: tuple[Entry, ...]


def days(itinerary: Itinerary, *, include_cancelled: bool = True) -> list[Day]:
    """The items grouped by the local day they happen on (in the zone of the place), in time order.

    A hotel stay also appears on its check-out day, the appointment also on the expected discharge day.
    """
    by_day: dict[date, list[Entry]] = {}

    def add(on: date, entry: Entry) -> None:
        by_day.setdefault(on, []).append(entry)

    for item in itinerary.items:
        if item.is_cancelled and not include_cancelled:
            continue
        add(item.local_start.date(), Entry(item.starts_at, item, "start"))
        if isinstance(item, HotelItem):
            # First thing of its day: the guest checks out before the ride or flight that takes them away.
            add(item.check_out_on, Entry(_at(item.check_out_on, time(0, 0), item.tz), item, "end"))
        elif isinstance(item, AppointmentItem) and item.discharge_on > item.local_start.date():
            add(item.discharge_on, Entry(_at(item.discharge_on, CHECK_OUT_TIME, item.tz), item, "discharge"))
    return [
        Day(on, tuple(sorted(entries, key=lambda e: (e.at, e.item.kind, e.item.id))))
        for on, entries in sorted(by_day.items())
    ]


# ---------------------------------------------------------------------------------------------- loading


def _airport(code: str, tz: str) -> Airport:
    try:
        return airport(code)
    except UnknownAirport:  # stored before the list knew it: keep the code and the stored zone
        return Airport(code=code, name=code, city="", country="", timezone=tz)


def _at(day: date, at: time, tz: str) -> datetime:
    """A wall-clock time on a day as UTC; a time skipped by a DST change moves an hour later."""
    try:
        return to_utc(datetime.combine(day, at), tz)
    except TimeError:
        return to_utc(datetime.combine(day, at) + timedelta(hours=1), tz)


def appointment_item(row: HospitalAppointment) -> AppointmentItem:
    physician = row.physician.name if row.physician else ""
    programme = row.programme.name if row.programme else ""
    details = [("Hospital", row.hospital.name)]
    if row.hospital.address:
        details.append(("Address", row.hospital.address))
    if physician:
        details.append(("Physician", physician))
    if programme:
        details.append(("Programme", programme))
    details.append(("Admission", format_day(row.admission_on)))
    details.append(("Expected discharge", format_day(row.discharge_on)))
    return AppointmentItem(
        id=row.id,
        status=row.status,
        starts_at=row.starts_at,
        tz=row.timezone,
        title=f"Hospital appointment at {row.hospital.name}",
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
    details = [("Address", row.address), ("Phone", row.phone), ("Room", row.room_type), ("Guests", row.guests)]
    return HotelItem(
        id=row.id,
        status=row.status,
        starts_at=_at(row.check_in_on, CHECK_IN_TIME, tz),
        tz=tz,
        ends_at=_at(row.check_out_on, CHECK_OUT_TIME, tz),
        end_tz=tz,
        title=f"{row.hotel_name}: {nights} night{'s' if nights != 1 else ''}",
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
        title=f"Flight {row.flight_number} {origin.label} → {destination.label}",
        details=tuple(
            (label, value)
            for label, value in (
                ("Airline", row.airline),
                ("From", f"{origin.name} ({origin.code})"),
                ("To", f"{destination.name} ({destination.code})"),
                ("Passengers", row.passengers),
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
        title=f"Transfer {row.from_place} → {row.to_place}",
        details=tuple((label, value) for label, value in (("Company", row.company), ("Driver", driver)) if value),
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
        title=f"Interpreter {interpreter.name} ({language_name(row.language) or row.language})",
        details=tuple((label, value) for label, value in (("Place", row.place), ("Phone", interpreter.phone)) if value),
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
        raise NotFound("There is no such case.")

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
    )


# ---------------------------------------------------------------------------------------------- findings of a case


def pickup_buffer() -> timedelta:
    """How long after a flight lands its pickup may be, at the earliest (ITINERARY_PICKUP_BUFFER_MINUTES)."""
    return timedelta(minutes=settings().itinerary_pickup_buffer_minutes)


def case_findings(case_id: int):
    """The findings of a case's itinerary with the configured pickup buffer (for the case page)."""
    from backoffice.logistics.findings import find_problems

    itinerary = load_itinerary(case_id)
    return find_problems(itinerary, pickup_buffer=pickup_buffer(), today=local_today(itinerary))


def local_today(itinerary: Itinerary):
    """Today where the treatment happens (the hospital's calendar), else in UTC."""
    return to_local(utcnow(), itinerary.hospital.timezone).date() if itinerary.hospital else utcnow().date()


def record_pdf_despite_problems(itinerary: Itinerary, problems: list, actor_id: int) -> None:
    """The coordinator sends the patient's PDF although the itinerary has open problems: said on the case's timeline
    (who, when, which problems), so nobody later takes it for a checked itinerary. Flushes; the caller commits."""
    from backoffice.cases.operations import record_case_event

    case = db.session.get(Case, itinerary.case_id)
    listed = "; ".join(finding.message for finding in problems)
    record_case_event(
        case,
        "itinerary",
        actor_id,
        note=f"Itinerary PDF downloaded anyway with {len(problems)} open problem(s): {listed}"[:4000],
        audit={"problems": [finding.code for finding in problems]},
    )
    db.session.flush()
