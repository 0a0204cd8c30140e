"""Findings: what is wrong or missing in a case's itinerary, computed from its bookings alone.

Every rule is listed in RULES; each is a pure function over the `Itinerary` dataclasses (no Flask, no database)
returning findings with a message for the coordinator, in local times with their zones. Cancelled bookings are
ignored, except by the rules about cancelled suppliers that are still referenced. The rules live in
`journey_findings` (flights and transfers) and `stay_findings` (hotel nights, interpreters, suppliers, confirmations).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from backoffice.logistics.itinerary.finding import SEVERITIES, Context, Finding, Rule
from backoffice.logistics.itinerary.items import Itinerary
from backoffice.logistics.itinerary.journey_findings import (
    admission_without_transfer,
    airport_pickups_without_flight,
    arrival_after_admission,
    arriving_flights_without_transfer,
    drop_offs_after_departure,
    early_flight_home,
    flight_home_without_transfer,
    flights_out_during_the_stay,
    pickups_too_early,
    return_before_discharge,
)
from backoffice.logistics.itinerary.stay_findings import (
    appointments_without_interpreter,
    bookings_around_cancelled_appointment,
    flights_without_appointment,
    hotel_gap_after_discharge,
    hotel_gap_before_admission,
    inactive_interpreters,
    transfers_for_cancelled_flights,
    unconfirmed_soon,
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
