"""A finding of an itinerary, and what every rule shares: severities, the context, the wording of times and places.

The rules themselves are in `journey_findings` (flights and transfers) and `stay_findings` (hotel nights,
interpreters, cancelled suppliers, confirmations); `findings` lists them all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _

from backoffice.geo import language_name
from backoffice.languages import page_language
from backoffice.logistics.airports import Airport
from backoffice.logistics.itinerary.items import FlightItem, Item, Itinerary
from backoffice.logistics.timezones import format_local, shown_day, shown_local

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


def when_at(instant: datetime, tz: str) -> str:
    return shown_local(instant, tz)


def clock_at(instant: datetime, tz: str) -> str:
    return format_local(instant, tz, "%H:%M")


def day_text(day: date) -> str:
    # The one way findings write a day, the same as the day in `when_at`'s instants.
    return shown_day(day)


def minutes_text(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if abs(minutes) < 120:
        return _("%(minutes)d min", minutes=minutes)
    return _("%(hours)d h %(minutes)02d min", hours=minutes // 60, minutes=minutes % 60)


def nights_text(nights: list[date]) -> str:
    """'the night of Sat 31 Jan 2026' or 'the nights of Sat 31 Jan 2026 to Mon 02 Feb 2026 (3 nights)', per run."""
    runs: list[list[date]] = []
    for night in sorted(nights):
        if runs and (night - runs[-1][-1]).days == 1:
            runs[-1].append(night)
        else:
            runs.append([night])
    parts = [
        _("the night of %(day)s", day=day_text(run[0]))
        if len(run) == 1
        else _(
            "the nights of %(first)s to %(last)s (%(count)d nights)",
            first=day_text(run[0]),
            last=day_text(run[-1]),
            count=len(run),
        )
        for run in runs
    ]
    return ", ".join(parts)


def flight_name(flight: FlightItem) -> str:
    return _(
        "flight %(number)s (%(origin)s → %(destination)s)",
        number=flight.flight_number,
        origin=flight.from_airport.code,
        destination=flight.to_airport.code,
    )


def languages_text(codes: Iterable[str]) -> str:
    return ", ".join(language_name(code, page_language()) or code for code in codes) or _("no recorded language")


# ---------------------------------------------------------------------------------------------- places


def treatment_country(itinerary: Itinerary) -> str | None:
    return itinerary.hospital.country.upper() if itinerary.hospital and itinerary.hospital.country else None


def is_in(airport: Airport, country: str) -> bool:
    return airport.country.upper() == country


def is_connection(flight: FlightItem, itinerary: Itinerary) -> bool:
    """Another flight leaves the airport this one lands at, soon after it lands."""
    return any(
        other.id != flight.id
        and other.from_airport.code == flight.to_airport.code
        and flight.arrives_at <= other.departs_at <= flight.arrives_at + CONNECTION_WINDOW
        for other in itinerary.flights
    )
