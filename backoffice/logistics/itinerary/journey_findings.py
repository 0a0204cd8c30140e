"""Findings about the journey: flights out and home, connections, and the transfers that meet them.

Pure functions over the `Itinerary` dataclasses (no Flask, no database), in local times with their zones.
Cancelled bookings are ignored.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from flask_babel import gettext as _

from backoffice.logistics.itinerary.finding import (
    CONNECTION_WINDOW,
    EARLIEST_FLIGHT_HOME,
    PROBLEM,
    WARNING,
    Context,
    Finding,
    clock_at,
    day_text,
    flight_name,
    is_connection,
    is_in,
    minutes_text,
    treatment_country,
    when_at,
)
from backoffice.logistics.itinerary.items import AppointmentItem, FlightItem, Itinerary
from backoffice.logistics.timezones import to_local

# ---------------------------------------------------------------------------------------------- transfers


def arriving_flights_without_transfer(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A flight landing in the hospital's country needs a transfer linked to it (unless the patient connects)."""
    country = treatment_country(itinerary)
    if country is None:
        return
    for flight in itinerary.flights:
        if not is_in(flight.to_airport, country) or is_connection(flight, itinerary):
            continue
        if any(t.flight_id == flight.id and not t.is_airport_drop_off for t in itinerary.transfers):
            continue
        yield Finding(
            "arrival_without_transfer",
            PROBLEM,
            _(
                "No transfer meets %(flight)s landing at %(airport)s on %(when)s. Book an airport pickup linked to "
                "this flight.",
                flight=flight_name(flight),
                airport=flight.to_airport.label,
                when=when_at(flight.arrives_at, flight.arrival_tz),
            ),
            (flight,),
        )


def airport_pickups_without_flight(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """An airport pickup should name the flight it meets, so a delay or a change of flight shows."""
    for transfer in itinerary.transfers:
        if transfer.is_airport_pickup and transfer.flight_id is None:
            yield Finding(
                "pickup_without_flight",
                WARNING,
                _(
                    "The airport pickup at %(place)s on %(when)s is not linked to a flight. Link it to the flight it "
                    "meets.",
                    place=transfer.from_place,
                    when=when_at(transfer.pickup_at, transfer.tz),
                ),
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
        values = {
            "flight": flight_name(flight),
            "pickup": when_at(transfer.pickup_at, transfer.tz),
            "landing": when_at(flight.arrives_at, flight.arrival_tz),
            "buffer": minutes_text(context.pickup_buffer),
            "earliest": clock_at(earliest, transfer.tz),
        }
        if gap >= timedelta(0):
            message = _(
                "The pickup for %(flight)s is at %(pickup)s, only %(gap)s after the flight lands (%(landing)s). "
                "Allow at least %(buffer)s: pick up at %(earliest)s or later.",
                gap=minutes_text(gap),
                **values,
            )
        else:
            message = _(
                "The pickup for %(flight)s is at %(pickup)s, %(gap)s before the flight lands (%(landing)s). "
                "Allow at least %(buffer)s: pick up at %(earliest)s or later.",
                gap=minutes_text(-gap),
                **values,
            )
        yield Finding(
            "pickup_too_early",
            PROBLEM,
            message,
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
                _(
                    "The ride to the airport starts on %(pickup)s, after %(flight)s leaves (%(departure)s).",
                    pickup=when_at(transfer.pickup_at, transfer.tz),
                    flight=flight_name(flight),
                    departure=when_at(flight.departs_at, flight.departure_tz),
                ),
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
            and is_in(other.to_airport, country)
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
        if is_in(flight.to_airport, country) and not is_in(flight.from_airport, country)
    ]
    return sorted(journeys, key=lambda journey: (journey[1].arrives_at, journey[0].departs_at))


def _outbound(itinerary: Itinerary, country: str) -> list[FlightItem]:
    """Every flight out of the country, by departure."""
    flights = [f for f in itinerary.flights if is_in(f.from_airport, country) and not is_in(f.to_airport, country)]
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
    country, appointment = treatment_country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    arrival = _arrival(itinerary, country, appointment)
    if arrival is None:
        return
    first, last = arrival
    landing = {
        "airport": last.to_airport.label,
        "landing": when_at(last.arrives_at, last.arrival_tz),
        "flight": flight_name(last),
    }
    if _landing_day(last) > appointment.admission_on:
        message = _(
            "The patient lands at %(airport)s on %(landing)s with %(flight)s but is admitted on %(admission)s. "
            "Book an earlier flight or move the appointment.",
            admission=day_text(appointment.admission_on),
            **landing,
        )
    elif last.arrives_at >= appointment.starts_at:
        message = _(
            "The patient lands at %(airport)s on %(landing)s with %(flight)s but the appointment at %(hospital)s "
            "starts on %(start)s. Book an earlier flight or move the appointment.",
            hospital=appointment.hospital_name,
            start=when_at(appointment.starts_at, appointment.tz),
            **landing,
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
    country, appointment = treatment_country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    home, _others = _departures(itinerary, country, appointment)
    if home is None or not _leaves_before_discharge(home, appointment):
        return
    yield Finding(
        "return_before_discharge",
        PROBLEM,
        _(
            "The flight home, %(flight)s, leaves %(airport)s on %(departure)s, before the expected discharge on "
            "%(discharge)s. Book a later flight or move the appointment.",
            flight=flight_name(home),
            airport=home.from_airport.label,
            departure=when_at(home.departs_at, home.departure_tz),
            discharge=day_text(appointment.discharge_on),
        ),
        (appointment, home),
    )


def flights_out_during_the_stay(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A flight out of the country before the discharge that is not the flight home: a companion's, or a mistake.

    The passengers are free text, so who travels is left to the coordinator rather than guessed from the names.
    """
    country, appointment = treatment_country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    home, others = _departures(itinerary, country, appointment)
    for flight in others:
        if not _leaves_before_discharge(flight, appointment):
            continue
        values = {
            "number": flight.flight_number,
            "origin": flight.from_airport.code,
            "destination": flight.to_airport.code,
            "airport": flight.from_airport.label,
            "departure": when_at(flight.departs_at, flight.departure_tz),
            "discharge": day_text(appointment.discharge_on),
            "home": flight_name(home),
            "home_departure": when_at(home.departs_at, home.departure_tz),
        }
        if flight.passengers:
            message = _(
                "Flight %(number)s (%(origin)s → %(destination)s) leaves %(airport)s on %(departure)s with "
                "%(passengers)s, during the stay (expected discharge on %(discharge)s). Check who travels: the flight "
                "home is %(home)s on %(home_departure)s.",
                passengers=flight.passengers,
                **values,
            )
        else:
            message = _(
                "Flight %(number)s (%(origin)s → %(destination)s) leaves %(airport)s on %(departure)s, during the "
                "stay (expected discharge on %(discharge)s). Check who travels: the flight home is %(home)s on "
                "%(home_departure)s.",
                **values,
            )
        yield Finding(
            "flight_out_during_stay",
            WARNING,
            message,
            (appointment, flight),
        )


def early_flight_home(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A flight home early on the discharge day means leaving the hospital the night before or at dawn."""
    country, appointment = treatment_country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    home, _others = _departures(itinerary, country, appointment)
    if home is None or _leaves_before_discharge(home, appointment) or _departure_day(home) != appointment.discharge_on:
        return
    if to_local(home.departs_at, home.departure_tz).time() >= EARLIEST_FLIGHT_HOME:
        return
    yield Finding(
        "early_flight_home",
        WARNING,
        _(
            "The flight home, %(flight)s, leaves %(airport)s on %(departure)s, early on the day of the expected "
            "discharge. Check with %(hospital)s that the patient can leave in time, or book a later flight.",
            flight=flight_name(home),
            airport=home.from_airport.label,
            departure=when_at(home.departs_at, home.departure_tz),
            hospital=appointment.hospital_name,
        ),
        (appointment, home),
    )


def flight_home_without_transfer(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """The flight home needs a ride to its airport: one linked to the flight, or one to the airport on its day that
    starts before it leaves (unless the patient reaches that airport by a connecting flight)."""
    country, appointment = treatment_country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    home, _others = _departures(itinerary, country, appointment)
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
        _(
            "No transfer takes the patient to %(airport)s for the flight home, %(flight)s, leaving on %(departure)s. "
            "Book a ride to the airport linked to this flight.",
            airport=home.from_airport.label,
            flight=flight_name(home),
            departure=when_at(home.departs_at, home.departure_tz),
        ),
        (home,),
    )


def admission_without_transfer(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """A patient who travels in needs a ride to the hospital on the admission day, before the appointment starts
    (from the hotel, or straight from the airport)."""
    country, appointment = treatment_country(itinerary), itinerary.appointment
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
        _(
            "No transfer takes the patient to %(hospital)s on the admission day: the appointment starts on %(start)s. "
            "Book a transfer from the hotel to the hospital that starts before it.",
            hospital=appointment.hospital_name,
            start=when_at(appointment.starts_at, appointment.tz),
        ),
        (appointment,),
    )
