"""A case's itinerary as plain items in time order, and its days (loaded by `itinerary.loading`).

Everything downstream (the itinerary page, the findings, the patient's PDF, the calendar) works on these
dataclasses, never on the ORM rows, so the rules stay pure and the page runs a fixed number of statements.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import ClassVar

from backoffice.logistics.airports import Airport
from backoffice.logistics.timezones import TimeError, to_local, to_utc
from backoffice.money import Money

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
    preferred_language: str = ""  # the patient's: the language of the itinerary PDF made for them

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


def at_local(day: date, at: time, tz: str) -> datetime:
    """A wall-clock time on a day as UTC; a time skipped by a DST change moves an hour later."""
    try:
        return to_utc(datetime.combine(day, at), tz)
    except TimeError:
        return to_utc(datetime.combine(day, at) + timedelta(hours=1), tz)


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
            add(item.check_out_on, Entry(at_local(item.check_out_on, time(0, 0), item.tz), item, "end"))
        elif isinstance(item, AppointmentItem) and item.discharge_on > item.local_start.date():
            add(item.discharge_on, Entry(at_local(item.discharge_on, CHECK_OUT_TIME, item.tz), item, "discharge"))
    return [
        Day(on, tuple(sorted(entries, key=lambda e: (e.at, e.item.kind, e.item.id))))
        for on, entries in sorted(by_day.items())
    ]
