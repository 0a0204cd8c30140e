"""Findings about the stay: hotel nights around the treatment, interpreters, cancelled suppliers still referenced,
flights without an appointment and bookings not yet confirmed.

Pure functions over the `Itinerary` dataclasses (no Flask, no database), in local times with their zones.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from flask_babel import gettext as _

from backoffice.logistics.itinerary.finding import (
    CONFIRM_WITHIN,
    PROBLEM,
    WARNING,
    Context,
    Finding,
    day_text,
    flight_name,
    is_in,
    languages_text,
    nights_text,
    treatment_country,
    when_at,
)
from backoffice.logistics.itinerary.items import AppointmentItem, FlightItem, Itinerary
from backoffice.logistics.timezones import to_local

# ---------------------------------------------------------------------------------------------- hotel nights


def _uncovered(nights: Iterable[date], itinerary: Itinerary) -> list[date]:
    hotels = itinerary.hotels
    return [night for night in nights if not any(hotel.covers(night) for hotel in hotels)]


def _night_range(first: date, until: date) -> list[date]:
    """The nights starting on `first` up to, not including, `until`."""
    return [first + timedelta(days=n) for n in range((until - first).days)]


def hotel_gap_before_admission(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """Every night from the arrival in the hospital's country to the admission needs a hotel."""
    country, appointment = treatment_country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    inbound = [
        flight
        for flight in itinerary.flights
        if is_in(flight.to_airport, country)
        and not is_in(flight.from_airport, country)
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
            _(
                "No hotel for %(nights)s: the patient lands on %(day)s (%(flight)s) and is admitted on %(admission)s.",
                nights=nights_text(missing),
                day=day_text(arrival_day),
                flight=flight_name(last),
                admission=day_text(appointment.admission_on),
            ),
            (last, appointment),
        )


def hotel_gap_after_discharge(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    """Every night from the expected discharge to the flight out of the hospital's country needs a hotel."""
    country, appointment = treatment_country(itinerary), itinerary.appointment
    if country is None or appointment is None:
        return
    outbound = [
        flight
        for flight in itinerary.flights
        if is_in(flight.from_airport, country)
        and not is_in(flight.to_airport, country)
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
            _(
                "No hotel for %(nights)s: the expected discharge is on %(discharge)s and %(flight)s leaves on "
                "%(departure)s.",
                nights=nights_text(missing),
                discharge=day_text(appointment.discharge_on),
                flight=flight_name(first),
                departure=when_at(first.departs_at, first.departure_tz),
            ),
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
            _(
                "The patient speaks %(languages)s, which nobody at %(hospital)s speaks (%(hospital_languages)s), and "
                "no interpreter in one of them is booked for the appointment on %(when)s.",
                languages=languages_text(itinerary.patient_languages),
                hospital=hospital.name,
                hospital_languages=languages_text(hospital.languages),
                when=when_at(appointment.starts_at, appointment.tz),
            ),
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
                _(
                    "The transfer on %(when)s is still booked for %(flight)s, which is cancelled. Link it to the new "
                    "flight or cancel it.",
                    when=when_at(transfer.pickup_at, transfer.tz),
                    flight=flight_name(flight),
                ),
                (transfer, flight),
            )


def inactive_interpreters(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    for booking in itinerary.interpreter_bookings:
        if not booking.interpreter_active:
            yield Finding(
                "inactive_interpreter",
                PROBLEM,
                _(
                    "%(name)s no longer works with us but is still booked for %(when)s. Book another interpreter.",
                    name=booking.interpreter_name,
                    when=when_at(booking.starts_at, booking.tz),
                ),
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
            _(
                "The hospital appointment is cancelled but %(count)d booking(s) around it are not: %(bookings)s.",
                count=len(kept),
                bookings=bookings_text(kept),
            ),
            (cancelled[-1], *kept),
        )


# ---------------------------------------------------------------------------------------------- extras


def flights_without_appointment(itinerary: Itinerary, context: Context) -> Iterable[Finding]:
    if itinerary.flights and not itinerary.appointments:
        yield Finding(
            "no_appointment",
            WARNING,
            _("Flights are booked but there is no hospital appointment. Book the appointment."),
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
            _(
                "Not yet confirmed by the supplier, due within %(days)d days: %(bookings)s.",
                days=CONFIRM_WITHIN.days,
                bookings=bookings_text(pending),
            ),
            tuple(pending),
        )


def bookings_text(items) -> str:
    """'Hotel Adlon: 3 nights (Sat 31 Jan 2026, 15:00 CET); ...': bookings with their local start."""
    return "; ".join(
        _("%(booking)s (%(when)s)", booking=item.title, when=when_at(item.starts_at, item.tz)) for item in items
    )
