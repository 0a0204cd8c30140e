"""Findings: what is wrong or missing in a case's itinerary, computed from its bookings alone.

Pure functions over the `Itinerary` dataclasses (no Flask, no database): each rule is a small function returning
findings with a message for the coordinator, in local times with their zones. Cancelled bookings are ignored,
except by the rules about cancelled suppliers that are still referenced.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from backoffice.geo import language_name
from backoffice.logistics.airports import Airport
from backoffice.logistics.itinerary import AppointmentItem, FlightItem, Item, Itinerary
from backoffice.logistics.timezones import format_day, format_local, to_local

PROBLEM = "problem"
WARNING = "warning"
SEVERITIES = (PROBLEM, WARNING)

# A flight leaving the airport a flight landed at within this time is a connection, not the end of the journey.
CONNECTION_WINDOW = timedelta(hours=12)
# A booking still only requested this close to its date deserves a reminder.
CONFIRM_WITHIN = timedelta(days=7)
# A flight home on the discharge day leaving before this local time (a red-eye, a dawn flight) is worth a check with
# the hospital: the patient would have to leave it the night before or at dawn.
EARLIEST_FLIGHT_HOME = time(10, 0)


@dataclass(frozen=True)
class Finding:
    code: str
    severity: str  # "problem" or "warning"
    message: str
    items: tuple[Item, ...] = ()

    @property
    def item_uids(self) -> tuple[str, ...]:
        return tuple(item.uid for item in self.items)

    @property
    def is_problem(self) -> bool:
        return self.severity == PROBLEM


@dataclass(frozen=True)
class Context:
    pickup_buffer: timedelta
    today: date


Rule = Callable[[Itinerary, Context], Iterable[Finding]]


# ---------------------------------------------------------------------------------------------- wording


def _when(instant: datetime, tz: str) -> str:
    return format_local(instant, tz)


def _clock(instant: datetime, tz: str) -> str:
    return format_local(instant, tz, "%H:%M")


def _day(day: date) -> str:
    # The one way findings write a day, the same as the day in `_when`'s instants.
    return format_day(day)


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if abs(minutes) < 120:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _nights(nights: list[date]) -> str:
    """'the night of Sat 31 Jan 2026' or 'the nights of Sat 31 Jan 2026 to Mon 02 Feb 2026 (3 nights)', per run."""
    runs: list[list[date]] = []
    for night in sorted(nights):
        if runs and (night - runs[-1][-1]).days == 1:
            runs[-1].append(night)
        else:
            runs.append([night])
    parts = [
        f"the night of {_day(run[0])}"
        if len(run) == 1
        else f"the nights of {_day(run[0])} to {_day(run[-1])} ({len(run)} nights)"
        for run in runs
    ]
    return ", ".join(parts)


def _flight_name(flight: FlightItem) -> str:
    return f"flight {flight.flight_number} ({flight.from_airport.code} → {flight.to_airport.code})"


def _languages(codes: Iterable[str]) -> str:
    return ", ".join(language_name(code) or code for code in codes) or "no recorded language"


# ---------------------------------------------------------------------------------------------- places


def _country(itinerary: Itinerary) -> str | None:
    return itinerary.hospital.country.upper() if itinerary.hospital and itinerary.hospital.country else None


def _in(airport: Airport, country: str) -> bool:
    return airport.country.upper() == country


def _is_connection(flight: FlightItem, itinerary: Itinerary) -> bool:
    """Another flight leaves the airport this one lands at, soon after it lands."""
    return any(
        other.id != flight.id
        and other.from_airport.code == flight.to_airport.code
        and flight.arrives_at <= other.departs_at <= flight.arrives_at + CONNECTION_WINDOW
        for other in itinerary.flights
    )


# ---------------------------------------------------------------------------------------------- transfers


def arriving_flights_without_transfer(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A flight landing in the hospital's country needs a transfer linked to it (unless the patient connects)."""
    country = _country(itinerary)
    if country is None:
        return
    for flight in itinerary.flights:
        if not _in(flight.to_airport, country) or _is_connection(flight, itinerary):
            continue
        if any(t.flight_id == flight.id and not t.is_airport_drop_off for t in itinerary.transfers):
            continue
        yield Finding(
            "arrival_without_transfer",
            PROBLEM,
            f"No transfer meets {_flight_name(flight)} landing at {flight.to_airport.label} "
            f"on {_when(flight.arrives_at, flight.arrival_tz)}. Book an airport pickup linked to this flight.",
            (flight,),
        )


def airport_pickups_without_flight(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """An airport pickup should name the flight it meets, so a delay or a change of flight shows."""
    for transfer in itinerary.transfers:
        if transfer.is_airport_pickup and transfer.flight_id is None:
            yield Finding(
                "pickup_without_flight",
                WARNING,
                f"The airport pickup at {transfer.from_place} on {_when(transfer.pickup_at, transfer.tz)} "
                "is not linked to a flight. Link it to the flight it meets.",
                (transfer,),
            )


def pickups_too_early(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A pickup must wait at least the buffer (immigration, baggage) after its flight lands."""
    for transfer in itinerary.transfers:
        flight = itinerary.flight(transfer.flight_id)
        if flight is None or flight.is_cancelled or transfer.is_airport_drop_off:
            continue
        earliest = flight.arrives_at + context.pickup_buffer
        if transfer.pickup_at >= earliest:
            continue
        gap = transfer.pickup_at - flight.arrives_at
        how = f"only {_minutes(gap)} after" if gap >= timedelta(0) else f"{_minutes(-gap)} before"
        yield Finding(
            "pickup_too_early",
            PROBLEM,
            f"The pickup for {_flight_name(flight)} is at {_when(transfer.pickup_at, transfer.tz)}, {how} "
            f"the flight lands ({_when(flight.arrives_at, flight.arrival_tz)}). Allow at least "
            f"{_minutes(context.pickup_buffer)}: pick up at {_clock(earliest, transfer.tz)} or later.",
            (transfer, flight),
        )


def drop_offs_after_departure(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A ride to the airport for a flight must start before the flight leaves."""
    for transfer in itinerary.transfers:
        flight = itinerary.flight(transfer.flight_id)
        if flight is None or flight.is_cancelled or not transfer.is_airport_drop_off:
            continue
        if transfer.pickup_at >= flight.departs_at:
            yield Finding(
                "drop_off_after_departure",
                PROBLEM,
                f"The ride to the airport starts on {_when(transfer.pickup_at, transfer.tz)}, after "
                f"{_flight_name(flight)} leaves ({_when(flight.departs_at, flight.departure_tz)}).",
                (transfer, flight),
            )


# ---------------------------------------------------------------------------------------------- arrival and return


def _journey_end(flight: FlightItem, itinerary: Itinerary, country: str) -> FlightItem:
    """The flight the patient finally lands with: `flight`, or the onward flight inside the country it connects to."""
    seen = {flight.id}
    while True:
        onward = [
            other
            for other in itinerary.flights
            if other.id not in seen
            and _in(other.to_airport, country)
            and other.from_airport.code == flight.to_airport.code
            and flight.arrives_at <= other.departs_at <= flight.arrives_at + CONNECTION_WINDOW
        ]
        if not onward:
            return flight
        flight = min(onward, key=lambda other: other.departs_at)
        seen.add(flight.id)


def _inbound(itinerary: Itinerary, country: str) -> list[tuple[FlightItem, FlightItem]]:
    """Every journey into the country as (flight into it, flight it lands with after its connections), by landing."""
    journeys = [
        (flight, _journey_end(flight, itinerary, country))
        for flight in itinerary.flights
        if _in(flight.to_airport, country) and not _in(flight.from_airport, country)
    ]
    return sorted(journeys, key=lambda journey: (journey[1].arrives_at, journey[0].departs_at))


def _outbound(itinerary: Itinerary, country: str) -> list[FlightItem]:
    """Every flight out of the country, by departure."""
    flights = [f for f in itinerary.flights if _in(f.from_airport, country) and not _in(f.to_airport, country)]
    return sorted(flights, key=lambda flight: flight.departs_at)


def _departure_day(flight: FlightItem) -> date:
    return to_local(flight.departs_at, flight.departure_tz).date()


def _landing_day(flight: FlightItem) -> date:
    return to_local(flight.arrives_at, flight.arrival_tz).date()


def _arrival(itinerary: Itinerary, country: str, appointment: AppointmentItem) -> tuple[FlightItem, FlightItem] | None:
    """The journey the patient comes for the treatment with, as in `_inbound`, or None.

    An earlier trip (a pre-assessment visit, in and out before the admission day) is not the arrival: the arrival is
    the first journey in after the last flight out that leaves before the admission day. Later journeys in during the
    stay (a relative joining) do not move it. When nothing lands after that flight out, the last journey in counts.
    """
    inbound = _inbound(itinerary, country)
    if not inbound:
        return None
    left = [f.departs_at for f in _outbound(itinerary, country) if _departure_day(f) < appointment.admission_on]
    since = max(left, default=None)
    after = [journey for journey in inbound if since is None or journey[0].departs_at > since]
    return after[0] if after else inbound[-1]


def arrival_after_admission(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """The patient must land in the hospital's country by the admission day and before the appointment starts."""
    country, appointment = _country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    arrival = _arrival(itinerary, country, appointment)
    if arrival is None:
        return
    first, last = arrival
    landing = f"at {last.to_airport.label} on {_when(last.arrives_at, last.arrival_tz)} with {_flight_name(last)}"
    if _landing_day(last) > appointment.admission_on:
        message = (
            f"The patient lands {landing} but is admitted on {_day(appointment.admission_on)}. "
            "Book an earlier flight or move the appointment."
        )
    elif last.arrives_at >= appointment.starts_at:
        message = (
            f"The patient lands {landing} but the appointment at {appointment.hospital_name} starts on "
            f"{_when(appointment.starts_at, appointment.tz)}. Book an earlier flight or move the appointment."
        )
    else:
        return
    yield Finding("arrival_after_admission", PROBLEM, message, tuple(dict.fromkeys((first, last, appointment))))


def _departures(
    itinerary: Itinerary, country: str, appointment: AppointmentItem
) -> tuple[FlightItem | None, list[FlightItem]]:
    """(the flight home, the other flights out of the country during the trip).

    The trip runs from the arrival (`_arrival`) to the next journey in that lands after the expected discharge
    (a follow-up visit); the flight home is the last flight out in it, the others are someone else's or a break.
    """
    arrival = _arrival(itinerary, country, appointment)
    landed_at = arrival[1].arrives_at if arrival else None
    later = [
        first.departs_at
        for first, last in _inbound(itinerary, country)
        if (landed_at is None or last.arrives_at > landed_at) and _landing_day(last) > appointment.discharge_on
    ]
    until = min(later, default=None)
    trip = [
        flight
        for flight in _outbound(itinerary, country)
        if (landed_at is None or flight.departs_at >= landed_at) and (until is None or flight.departs_at < until)
    ]
    return (trip[-1], trip[:-1]) if trip else (None, [])


def _leaves_before_discharge(flight: FlightItem, appointment: AppointmentItem) -> bool:
    return _departure_day(flight) < appointment.discharge_on or flight.departs_at <= appointment.starts_at


def return_before_discharge(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """The flight home (the last flight out of the hospital's country) must leave on the discharge day or later.

    A flight home before the expected discharge, or before the appointment even starts, would cut the treatment.
    """
    country, appointment = _country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    home, _ = _departures(itinerary, country, appointment)
    if home is None or not _leaves_before_discharge(home, appointment):
        return
    yield Finding(
        "return_before_discharge",
        PROBLEM,
        f"The flight home, {_flight_name(home)}, leaves {home.from_airport.label} on "
        f"{_when(home.departs_at, home.departure_tz)}, before the expected discharge on "
        f"{_day(appointment.discharge_on)}. Book a later flight or move the appointment.",
        (appointment, home),
    )


def flights_out_during_the_stay(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A flight out of the country before the discharge that is not the flight home: a companion's, or a mistake.

    The passengers are free text, so who travels is left to the coordinator rather than guessed from the names.
    """
    country, appointment = _country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    home, others = _departures(itinerary, country, appointment)
    for flight in others:
        if not _leaves_before_discharge(flight, appointment):
            continue
        who = f" with {flight.passengers}" if flight.passengers else ""
        yield Finding(
            "flight_out_during_stay",
            WARNING,
            f"Flight {flight.flight_number} ({flight.from_airport.code} → {flight.to_airport.code}) leaves "
            f"{flight.from_airport.label} on {_when(flight.departs_at, flight.departure_tz)}{who}, during the stay "
            f"(expected discharge on {_day(appointment.discharge_on)}). Check who travels: the flight home is "
            f"{_flight_name(home)} on {_when(home.departs_at, home.departure_tz)}.",
            (appointment, flight),
        )


def early_flight_home(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A flight home early on the discharge day means leaving the hospital the night before or at dawn."""
    country, appointment = _country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    home, _ = _departures(itinerary, country, appointment)
    if home is None or _leaves_before_discharge(home, appointment) or _departure_day(home) != appointment.discharge_on:
        return
    if to_local(home.departs_at, home.departure_tz).time() >= EARLIEST_FLIGHT_HOME:
        return
    yield Finding(
        "early_flight_home",
        WARNING,
        f"The flight home, {_flight_name(home)}, leaves {home.from_airport.label} on "
        f"{_when(home.departs_at, home.departure_tz)}, early on the day of the expected discharge. "
        f"Check with {appointment.hospital_name} that the patient can leave in time, or book a later flight.",
        (appointment, home),
    )


def flight_home_without_transfer(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """The flight home needs a ride to its airport: one linked to the flight, or one to the airport on its day that
    starts before it leaves (unless the patient reaches that airport by a connecting flight)."""
    country, appointment = _country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    home, _ = _departures(itinerary, country, appointment)
    if home is None:
        return
    connects = any(
        other.id != home.id
        and other.to_airport.code == home.from_airport.code
        and home.departs_at - CONNECTION_WINDOW <= other.arrives_at <= home.departs_at
        for other in itinerary.flights
    )
    day = _departure_day(home)
    if connects or any(
        transfer.is_airport_drop_off
        and (
            transfer.flight_id == home.id
            or (
                transfer.flight_id is None
                and to_local(transfer.pickup_at, home.departure_tz).date() == day
                and transfer.pickup_at < home.departs_at
            )
        )
        for transfer in itinerary.transfers
    ):
        return
    yield Finding(
        "flight_home_without_transfer",
        PROBLEM,
        f"No transfer takes the patient to {home.from_airport.label} for the flight home, {_flight_name(home)}, "
        f"leaving on {_when(home.departs_at, home.departure_tz)}. Book a ride to the airport linked to this flight.",
        (home,),
    )


def admission_without_transfer(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A patient who travels in needs a ride to the hospital on the admission day, before the appointment starts
    (from the hotel, or straight from the airport)."""
    country, appointment = _country(itinerary), itinerary.appointment
    if country is None or appointment is None or _arrival(itinerary, country, appointment) is None:
        return
    if any(
        transfer.to_kind == "hospital"
        and to_local(transfer.pickup_at, appointment.tz).date() == appointment.admission_on
        and transfer.pickup_at < appointment.starts_at
        for transfer in itinerary.transfers
    ):
        return
    yield Finding(
        "admission_without_transfer",
        PROBLEM,
        f"No transfer takes the patient to {appointment.hospital_name} on the admission day: the appointment "
        f"starts on {_when(appointment.starts_at, appointment.tz)}. Book a transfer from the hotel to the hospital "
        "that starts before it.",
        (appointment,),
    )


# ---------------------------------------------------------------------------------------------- hotel nights


def _uncovered(nights: Iterable[date], itinerary: Itinerary) -> list[date]:
    hotels = itinerary.hotels
    return [night for night in nights if not any(hotel.covers(night) for hotel in hotels)]


def _night_range(first: date, until: date) -> list[date]:
    """The nights starting on `first` up to, not including, `until`."""
    return [first + timedelta(days=n) for n in range((until - first).days)]


def hotel_gap_before_admission(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """Every night from the arrival in the hospital's country to the admission needs a hotel."""
    country, appointment = _country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    inbound = [
        flight
        for flight in itinerary.flights
        if _in(flight.to_airport, country)
        and not _in(flight.from_airport, country)
        and to_local(flight.arrives_at, flight.arrival_tz).date() <= appointment.admission_on
    ]
    if not inbound:
        return
    last = max(inbound, key=lambda flight: flight.arrives_at)
    arrival_day = to_local(last.arrives_at, last.arrival_tz).date()
    missing = _uncovered(_night_range(arrival_day, appointment.admission_on), itinerary)
    if missing:
        yield Finding(
            "hotel_gap_before_admission",
            PROBLEM,
            f"No hotel for {_nights(missing)}: the patient lands on {_day(arrival_day)} "
            f"({_flight_name(last)}) and is admitted on {_day(appointment.admission_on)}.",
            (last, appointment),
        )


def hotel_gap_after_discharge(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """Every night from the expected discharge to the flight out of the hospital's country needs a hotel."""
    country, appointment = _country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    outbound = [
        flight
        for flight in itinerary.flights
        if _in(flight.from_airport, country)
        and not _in(flight.to_airport, country)
        and to_local(flight.departs_at, flight.departure_tz).date() >= appointment.discharge_on
    ]
    if not outbound:
        return
    first = min(outbound, key=lambda flight: flight.departs_at)
    departure_day = to_local(first.departs_at, first.departure_tz).date()
    missing = _uncovered(_night_range(appointment.discharge_on, departure_day), itinerary)
    if missing:
        yield Finding(
            "hotel_gap_after_discharge",
            PROBLEM,
            f"No hotel for {_nights(missing)}: the expected discharge is on {_day(appointment.discharge_on)} "
            f"and {_flight_name(first)} leaves on {_when(first.departs_at, first.departure_tz)}.",
            (appointment, first),
        )


# ---------------------------------------------------------------------------------------------- interpreters


def appointments_without_interpreter(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """When the patient speaks none of the hospital's languages, an interpreter must be there at the appointment."""
    hospital = itinerary.hospital
    if hospital is None or not hospital.languages:
        return
    spoken = set(itinerary.patient_languages)
    if spoken & set(hospital.languages):
        return
    for appointment in itinerary.appointments:
        day = appointment.local_start.date()
        if any(
            booking.starts_at <= appointment.starts_at < booking.ends_at
            and booking.local_start.date() == day
            and booking.language in spoken
            for booking in itinerary.interpreter_bookings
            if booking.ends_at is not None
        ):
            continue
        yield Finding(
            "no_interpreter",
            PROBLEM,
            f"The patient speaks {_languages(itinerary.patient_languages)}, which nobody at {hospital.name} "
            f"speaks ({_languages(hospital.languages)}), and no interpreter in one of them is booked for "
            f"the appointment on {_when(appointment.starts_at, appointment.tz)}.",
            (appointment,),
        )


# ---------------------------------------------------------------------------------------------- cancelled suppliers


def transfers_for_cancelled_flights(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    for transfer in itinerary.transfers:
        flight = itinerary.flight(transfer.flight_id)
        if flight is not None and flight.is_cancelled:
            yield Finding(
                "transfer_for_cancelled_flight",
                PROBLEM,
                f"The transfer on {_when(transfer.pickup_at, transfer.tz)} is still booked for "
                f"{_flight_name(flight)}, which is cancelled. Link it to the new flight or cancel it.",
                (transfer, flight),
            )


def inactive_interpreters(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    for booking in itinerary.interpreter_bookings:
        if not booking.interpreter_active:
            yield Finding(
                "inactive_interpreter",
                PROBLEM,
                f"{booking.interpreter_name} no longer works with us but is still booked for "
                f"{_when(booking.starts_at, booking.tz)}. Book another interpreter.",
                (booking,),
            )


def bookings_around_cancelled_appointment(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """Hotel, transfers and interpreters kept while every hospital appointment is cancelled."""
    cancelled = itinerary.of_kind(AppointmentItem, include_cancelled=True)
    if not cancelled or itinerary.appointments:
        return
    kept = [item for item in itinerary.active_items if not isinstance(item, AppointmentItem | FlightItem)]
    if kept:
        yield Finding(
            "bookings_without_appointment",
            WARNING,
            f"The hospital appointment is cancelled but {len(kept)} booking(s) around it are not: "
            + "; ".join(f"{item.title} ({_when(item.starts_at, item.tz)})" for item in kept)
            + ".",
            (cancelled[-1], *kept),
        )


# ---------------------------------------------------------------------------------------------- extras


def flights_without_appointment(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    if itinerary.flights and not itinerary.appointments:
        yield Finding(
            "no_appointment",
            WARNING,
            "Flights are booked but there is no hospital appointment. Book the appointment.",
            tuple(itinerary.flights),
        )


def unconfirmed_soon(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """Bookings still only requested in the coming days."""
    horizon = context.today + CONFIRM_WITHIN
    pending = [
        item
        for item in itinerary.active_items
        if item.status == "requested" and context.today <= item.local_start.date() <= horizon
    ]
    if pending:
        yield Finding(
            "unconfirmed_soon",
            WARNING,
            f"Not yet confirmed by the supplier, due within {CONFIRM_WITHIN.days} days: "
            + "; ".join(f"{item.title} ({_when(item.starts_at, item.tz)})" for item in pending)
            + ".",
            tuple(pending),
        )


RULES: tuple[Rule, ...] = (
    arriving_flights_without_transfer,
    airport_pickups_without_flight,
    pickups_too_early,
    drop_offs_after_departure,
    flight_home_without_transfer,
    admission_without_transfer,
    arrival_after_admission,
    return_before_discharge,
    flights_out_during_the_stay,
    early_flight_home,
    hotel_gap_before_admission,
    hotel_gap_after_discharge,
    appointments_without_interpreter,
    transfers_for_cancelled_flights,
    inactive_interpreters,
    bookings_around_cancelled_appointment,
    flights_without_appointment,
    unconfirmed_soon,
)


def find_problems(
    itinerary: Itinerary, *, pickup_buffer: timedelta = timedelta(minutes=45), today: date
) -> list[Finding]:
    """Every finding of the itinerary: problems first, then warnings, each in the time order of its first item."""
    context = Context(pickup_buffer=pickup_buffer, today=today)
    findings = [finding for rule in RULES for finding in rule(itinerary, context)]

    def order(finding: Finding) -> tuple:
        first = min((item.starts_at for item in finding.items), default=None)
        return (
            SEVERITIES.index(finding.severity),
            first is None,
            first or datetime.min.replace(tzinfo=UTC),
            finding.code,
        )

    return sorted(findings, key=order)
