"""Checking a supplier's e-invoice against the case's bookings: each difference is a finding.

Each line is held against one booking of the invoice's kind: a hotel stay whose check-in to check-out overlaps the
line's period, a transfer or an interpreter booking on the line's day (BT-134, else the invoice's delivery date BT-72,
its period start BT-73 or its issue date BT-2), the nearest one when several could be meant. Per booking:
- a line no booking could be meant by: `no_booking`; a booking that was cancelled: `booking_cancelled`;
- a hotel's invoiced stay must start on the check-in day and end on the check-out day or the last night before it,
  a transfer or interpretation on its booked day: `dates_differ`;
- nights (hotel lines in days, unit DAY) and hours (interpreter lines in hours, unit HUR), where the supplier
  states them in those units: `nights_differ`, `hours_differ`;
- the agreed price (the booking's cost) against what the lines charge with their VAT (per VAT rate on the rate's
  net, rounded once): `price_differs` beyond a cent, with the difference; another currency: `currency_differs`.
No database and no request here: `receiving.py` loads the bookings and stores what this finds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from backoffice.einvoice.document import Document, Line
from backoffice.money import round_half_up

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
NIGHT_UNITS = ("DAY",)  # UN/ECE recommendation 20: a day (a hotel night)
HOUR_UNITS = ("HUR",)  # an hour


@dataclass(frozen=True, slots=True)
class Booked:
    """A booking as the check reads it: its days in the place's own time, and what was agreed."""

    booking_type: str  # hotel_stays, transfers, interpreter_bookings
    booking_id: int
    label: str
    cancelled: bool
    first_day: date  # check-in, pickup day, interpretation day
    last_day: date  # check-out; the same day for a transfer or an interpretation
    cost: Decimal | None
    currency: str | None
    hours: Decimal | None = None  # an interpretation's booked hours


@dataclass(frozen=True, slots=True)
class Found:
    kind: str
    booking: Booked | None
    line_ids: tuple[str, ...]
    booked: str = ""
    invoiced: str = ""
    difference: Decimal | None = None
    currency: str | None = None


@dataclass(slots=True)
class Check:
    """What the check found, and which booking each line (by position from 0) was held against."""

    matches: list[Booked | None] = field(default_factory=list)
    findings: list[Found] = field(default_factory=list)


def line_days(line: Line, document: Document) -> tuple[date, date]:
    start = line.period_start or document.delivery_date or document.period_start or document.issue_date
    return start, line.period_end or start


def _distance(booking: Booked, start: date, end: date) -> int:
    if end < booking.first_day:
        return (booking.first_day - end).days
    if start > booking.last_day:
        return (start - booking.last_day).days
    return 0


def _meant(start: date, end: date, bookings: Sequence[Booked]) -> Booked | None:
    """The booking a line is for: one whose days it overlaps, the nearest start first; None when it overlaps none."""
    overlapping = [booking for booking in bookings if _distance(booking, start, end) == 0]
    if not overlapping:
        return None
    return min(overlapping, key=lambda booking: (abs((booking.first_day - start).days), booking.booking_id))


def _span(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()} \u2013 {last.isoformat()}"


def _amount(value: Decimal, currency: str) -> str:
    return f"{currency} {value:,.2f}"


def gross_of(lines: Iterable[Line]) -> Decimal:
    """What lines charge with their VAT: per VAT category and rate, its net plus the VAT on that net, rounded once."""
    nets: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = (line.vat_category, line.vat_rate)
        nets[key] = nets.get(key, Decimal(0)) + line.net_amount
    return sum(
        (net + round_half_up(net * rate / HUNDRED, 2) for (_, rate), net in nets.items()),
        Decimal("0.00"),
    )


def _quantity_text(value: Decimal) -> str:
    return f"{value.normalize():f}"


def _date_finding(booking: Booked, lines: Sequence[Line], document: Document) -> Found | None:
    days = [line_days(line, document) for line in lines]
    first, last = min(day[0] for day in days), max(day[1] for day in days)
    if booking.booking_type == "hotel_stays":
        ends_right = last in (booking.last_day, booking.last_day - timedelta(days=1))
        if first == booking.first_day and ends_right:
            return None
    elif first == booking.first_day and last == booking.last_day:
        return None
    return Found(
        "dates_differ",
        booking,
        tuple(line.line_id for line in lines),
        booked=_span(booking.first_day, booking.last_day),
        invoiced=_span(first, last),
    )


def _count_finding(booking: Booked, lines: Sequence[Line]) -> Found | None:
    ids = tuple(line.line_id for line in lines)
    if booking.booking_type == "hotel_stays":
        nights = [line.quantity for line in lines if line.unit_code in NIGHT_UNITS]
        booked = Decimal((booking.last_day - booking.first_day).days)
        if nights and sum(nights) != booked:
            return Found("nights_differ", booking, ids, _quantity_text(booked), _quantity_text(sum(nights)))
    if booking.booking_type == "interpreter_bookings" and booking.hours is not None:
        hours = [line.quantity for line in lines if line.unit_code in HOUR_UNITS]
        if hours and sum(hours) != booking.hours:
            return Found("hours_differ", booking, ids, _quantity_text(booking.hours), _quantity_text(sum(hours)))
    return None


def _price_finding(booking: Booked, lines: Sequence[Line], currency: str) -> Found | None:
    ids = tuple(line.line_id for line in lines)
    if booking.cost is None or booking.currency is None:
        return None
    charged = gross_of(lines)
    if booking.currency != currency:
        return Found(
            "currency_differs",
            booking,
            ids,
            booked=_amount(booking.cost, booking.currency),
            invoiced=_amount(charged, currency),
        )
    difference = charged - booking.cost
    if abs(difference) <= CENT:
        return None
    return Found(
        "price_differs",
        booking,
        ids,
        booked=_amount(booking.cost, currency),
        invoiced=_amount(charged, currency),
        difference=difference,
        currency=currency,
    )


def check_invoice(document: Document, bookings: Sequence[Booked]) -> Check:
    """Hold each line of `document` against the bookings (of the invoice's kind) and list every difference."""
    check = Check()
    by_booking: dict[tuple[str, int], list[Line]] = {}
    for line in document.lines:
        start, end = line_days(line, document)
        booking = _meant(start, end, bookings)
        check.matches.append(booking)
        if booking is None:
            check.findings.append(
                Found("no_booking", None, (line.line_id,), invoiced=f"{line.name[:120]} ({_span(start, end)})")
            )
            continue
        by_booking.setdefault((booking.booking_type, booking.booking_id), []).append(line)
    known = {(booking.booking_type, booking.booking_id): booking for booking in bookings}
    for key, lines in by_booking.items():
        booking = known[key]
        if booking.cancelled:
            check.findings.append(
                Found("booking_cancelled", booking, tuple(line.line_id for line in lines), booked=booking.label)
            )
        for found in (
            _date_finding(booking, lines, document),
            _count_finding(booking, lines),
            _price_finding(booking, lines, document.currency),
        ):
            if found is not None:
                check.findings.append(found)
    return check
