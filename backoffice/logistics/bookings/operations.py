"""Bookings around the treatment: the hospital appointment, hotel stays, flights and transfers.

The rules every kind shares live here once: the case must be open, a new booking may not start in the past, the
cost is exact Money in the supplier's currency (or not known yet), the status only moves requested -> confirmed ->
cancelled (or requested -> cancelled), a confirmed booking carries the supplier's reference, and a cancelled one no
longer changes. Every change writes a line on the case timeline and its `case_booking` audit row; operations flush,
the caller commits. Times are typed as local wall-clock times of the place and stored in UTC.

What each kind checks lives in its own module: appointments, hotel_stays, flights, transfers. What the bookings
cost, with the interpreters', is summed in `logistics.costs`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from backoffice import validators
from backoffice.cases import states
from backoffice.cases.models import Case
from backoffice.cases.operations import get_case, record_case_event
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.logistics.models import Flight, HospitalAppointment, HotelStay, Transfer
from backoffice.logistics.timezones import shown_local, to_local
from backoffice.money import Money, MoneyError, check_amount, parse_money

Booking = HospitalAppointment | HotelStay | Flight | Transfer


class BookingError(DomainError):
    pass


@dataclass(frozen=True, kw_only=True)
class BookingDetails:
    """What every booking has besides its kind's own details: the cost (none while not known) and notes."""

    cost: Money | None = None
    notes: str = ""


KINDS: dict[str, type] = {
    "appointment": HospitalAppointment,
    "hotel": HotelStay,
    "flight": Flight,
    "transfer": Transfer,
}
KIND_LABELS = {
    "appointment": _l("Hospital appointment"),
    "hotel": _l("Hotel stay"),
    "flight": _l("Flight"),
    "transfer": _l("Transfer"),
}
PLACE_LABELS = {"airport": _l("Airport"), "hotel": _l("Hotel"), "hospital": _l("Hospital"), "other": _l("Other")}
STATUS_LABELS = {"requested": _l("Requested"), "confirmed": _l("Confirmed"), "cancelled": _l("Cancelled")}
# A booking the database refused as a duplicate (it keeps one appointment in play per case).
TAKEN_A_MOMENT_AGO = {
    "appointment": _l("The hospital appointment was booked by someone else a moment ago; reload the page."),
    "hotel": _l("The hotel stay was booked by someone else a moment ago; reload the page."),
    "flight": _l("The flight was booked by someone else a moment ago; reload the page."),
    "transfer": _l("The transfer was booked by someone else a moment ago; reload the page."),
}
# Relationships each kind shows with it; loaded with the booking so nothing loads lazily afterwards.
_LOADS: dict[str, tuple[Any, ...]] = {
    "appointment": (
        joinedload(HospitalAppointment.hospital),
        joinedload(HospitalAppointment.physician),
        joinedload(HospitalAppointment.programme),
    ),
    "hotel": (),
    "flight": (),
    "transfer": (joinedload(Transfer.flight),),
}


# ---------------------------------------------------------------------------------------------- shared rules


def get_booking(kind: str, booking_id: int, case_id: int | None = None, *, lock: bool = False) -> Booking:
    """A booking of `kind` with what it shows loaded; 404 when there is none, or when it belongs to another case.

    `lock` holds its row until the transaction ends, so two people changing the same booking take turns.
    """
    model = KINDS.get(kind)
    booking = None
    if model is not None:
        query = select(model).where(model.id == booking_id).options(*_LOADS[kind])
        booking = db.session.scalar(query.with_for_update(of=model) if lock else query)
    if booking is None or (case_id is not None and booking.case_id != case_id):
        raise NotFound(_("There is no such booking on this case."))
    return booking


def bookable_case(case_id: int) -> Case:
    """The case a booking is made or changed for; refused once the case is closed or cancelled."""
    case = get_case(case_id)
    if case.state in states.FINAL:
        raise BookingError(
            _(
                "Case %(case)s is %(state)s: its bookings can no longer change.",
                case=case.number,
                state=states.shown(case.state).lower(),
            )
        )
    return case


def refuse_cancelled(booking: Booking) -> None:
    """A cancelled booking no longer changes."""
    if booking.is_cancelled:
        raise BookingError(_("This booking is cancelled and can no longer change; make a new booking instead."))


MAX_COST = Decimal(1_000_000)
# Bookings are made for trips ahead; a date years away is a typing error (and would break calendars).
MAX_YEARS_AHEAD = 3


# The dates `check_not_too_far` names (a column as people say it), translated where shown.
DATE_NAMES = (
    N_("appointment"),
    N_("admission"),
    N_("discharge"),
    N_("starts"),
    N_("departs"),
    N_("arrives"),
    N_("check in"),
    N_("check out"),
    N_("pickup"),
)


def check_not_too_far(day: date, what: str) -> None:
    if day.year > utcnow().year + MAX_YEARS_AHEAD:
        raise BookingError(
            _("The %(what)s is more than %(years)d years away; check the date.", what=_(what), years=MAX_YEARS_AHEAD)
        )


def _check_dates(values: dict[str, Any]) -> None:
    for name, value in values.items():
        if isinstance(value, datetime | date):
            check_not_too_far(value if not isinstance(value, datetime) else value.date(), _field_label(name))


def check_cost(cost: Money | None) -> Money | None:
    """A booking's cost: exact, not negative, no finer than the currency's minor unit (and cents at most), and
    below a million (a larger one is a typing error, and sums of them must stay exact amounts)."""
    if cost is None:
        return None
    try:
        cost = check_amount(cost, places=2)
    except MoneyError as error:
        raise BookingError(_("Cost: %(error)s.", error=error)) from None
    if cost.amount >= MAX_COST:
        raise BookingError(_("Cost: %(cost)s is more than any booking costs; check the amount.", cost=cost.format()))
    return cost


def parse_cost(amount: str | None, currency: str | None) -> Money | None:
    """The cost typed into a form: empty when not known yet, else exact Money in an ISO 4217 currency."""
    if not (amount or "").strip():
        return None
    try:
        cost = parse_money(amount or "", currency or "")
    except MoneyError as error:
        raise BookingError(_("Cost: %(error)s.", error=error)) from None
    return check_cost(cost)


def _local_today(tz_name: str) -> date:
    return to_local(utcnow(), tz_name).date()


def refuse_past_start(start: datetime | date, tz_name: str, what: str) -> None:
    """A new booking cannot start in the past (an existing one keeps its dates, even once they have passed)."""
    if isinstance(start, datetime):
        if start < utcnow():
            raise BookingError(
                _(
                    "A new booking cannot start in the past: %(what)s %(when)s has passed.",
                    what=what,
                    when=shown_local(start, tz_name),
                )
            )
    elif start < _local_today(tz_name):
        raise BookingError(
            _(
                "A new booking cannot start in the past: %(what)s %(when)s has passed.",
                what=what,
                when=start.isoformat(),
            )
        )


def _plain(value: Any) -> Any:
    """A value fit for the audit log's JSON."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


_NOT_AUDITED = {"id", "case_id", "created_at", "updated_at", "created_by_id"}


def _snapshot(booking: Booking) -> dict[str, Any]:
    columns = booking.__mapper__.column_attrs
    return {c.key: _plain(getattr(booking, c.key)) for c in columns if c.key not in _NOT_AUDITED}


def describe(kind: str, booking: Booking) -> str:
    """How a booking is named on the timeline (stored, so in English): 'Flight EK45 DXB→FRA'."""
    with force_locale("en"):
        return booking_name(kind, booking)


def booking_name(kind: str, booking: Booking) -> str:
    """A booking named in the page's language, for the messages a coordinator sees: 'Flight EK45 DXB→FRA'."""
    if kind == "appointment":
        return _(
            "Hospital appointment at %(hospital)s, %(when)s",
            hospital=booking.hospital.name,
            when=shown_local(booking.starts_at, booking.timezone),
        )
    if kind == "hotel":
        return _(
            "Hotel %(hotel)s, %(check_in)s to %(check_out)s",
            hotel=booking.hotel_name,
            check_in=booking.check_in_on.strftime("%d %b"),
            check_out=booking.check_out_on.strftime("%d %b %Y"),
        )
    if kind == "flight":
        return _(
            "Flight %(number)s %(origin)s→%(destination)s",
            number=booking.flight_number,
            origin=booking.from_airport,
            destination=booking.to_airport,
        )
    return _(
        "Transfer %(origin)s → %(destination)s, %(when)s",
        origin=booking.from_place,
        destination=booking.to_place,
        when=shown_local(booking.pickup_at, booking.timezone),
    )


def _record(case: Case, kind: str, booking: Booking, note: str, actor_id: int | None, **audit: Any) -> None:
    record_case_event(
        case,
        "booking",
        actor_id,
        note=f"{describe(kind, booking)} {note}",
        audit={"booking": kind, "booking_id": booking.id, "status": booking.status, **audit},
    )


def create_booking(kind: str, case: Case, values: dict[str, Any], details: BookingDetails, actor_id: int) -> Booking:
    """Store a new booking of `kind` as requested, with its checked values, and record it on the case."""
    _check_dates(values)
    booking = KINDS[kind](
        case_id=case.id,
        created_by_id=actor_id,
        status="requested",
        supplier_reference="",
        cost=check_cost(details.cost),
        notes=validators.text(details.notes, "notes", 5000, error=BookingError),
        **values,
    )
    db.session.add(booking)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        # The database keeps one appointment in play per case: another coordinator created it a moment ago.
        raise BookingError(str(TAKEN_A_MOMENT_AGO.get(kind, TAKEN_A_MOMENT_AGO["appointment"]))) from None
    _record(case, kind, booking, "requested", actor_id, action="created", values=_snapshot(booking))
    return booking


def update_booking(
    kind: str, booking: Booking, case: Case, values: dict[str, Any], details: BookingDetails, actor_id: int
) -> Booking:
    """Set a booking's checked values, cost and notes; record what changed on the case (nothing when nothing did)."""
    _check_dates(values)
    before = _snapshot(booking)
    checked = {
        "cost": check_cost(details.cost),
        "notes": validators.text(details.notes, "notes", 5000, error=BookingError),
    }
    for name, value in {**values, **checked}.items():
        setattr(booking, name, value)
    db.session.flush()
    after = _snapshot(booking)
    changes = {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}
    if changes:
        changed = ", ".join(sorted(_field_label(name) for name in changes))
        note = f"changed ({changed})"
        if booking.status == "confirmed" and set(changes) - {"cost_amount", "cost_currency", "notes"}:
            # The supplier confirmed the booking as it was; what changed needs their confirmation again.
            booking.status = "requested"
            note += "; back to requested until the supplier confirms the change"
        _record(case, kind, booking, note, actor_id, action="updated", changes=changes)
    return booking


def _field_label(name: str) -> str:
    """A column name as people say it: pickup_at -> pickup, flight_id -> flight, check_in_on -> check in."""
    for suffix in ("_id", "_at", "_on", "_amount"):
        name = name.removesuffix(suffix)
    return name.replace("_", " ")


def refuse_move_into_past(old: datetime | date, new: datetime | date, tz_name: str) -> None:
    """An update may keep a date that has passed, but may not move a booking into the past."""
    if new != old:
        refuse_past_start(new, tz_name, _("the new date"))


def confirm_booking(
    kind: str, booking_id: int, supplier_reference: str, *, actor_id: int, case_id: int | None = None
) -> Booking:
    """The supplier confirmed: record their reference (confirmation number); only a requested booking confirms."""
    booking = get_booking(kind, booking_id, case_id, lock=True)
    case = bookable_case(booking.case_id)
    refuse_cancelled(booking)
    if booking.status == "confirmed":
        raise BookingError(
            _("This booking is already confirmed (%(reference)s).", reference=booking.supplier_reference)
        )
    reference = validators.text(
        supplier_reference, "supplier's reference or confirmation number", 100, required=True, error=BookingError
    )
    booking.status, booking.supplier_reference = "confirmed", reference
    db.session.flush()
    _record(case, kind, booking, f"confirmed ({reference})", actor_id, action="confirmed", reference=reference)
    return booking


def cancel_booking(kind: str, booking_id: int, reason: str, *, actor_id: int, case_id: int | None = None) -> Booking:
    """Cancel a requested or confirmed booking, with the reason (kept in its notes).

    Allowed on a cancelled case too, so what was booked for it can be released; a closed case's bookings stay.
    """
    booking = get_booking(kind, booking_id, case_id, lock=True)
    case = get_case(booking.case_id)
    if case.state == "closed":
        raise BookingError(_("Case %(case)s is closed: its bookings can no longer change.", case=case.number))
    refuse_cancelled(booking)
    reason = validators.text(reason, "reason for cancelling", 500, required=True, error=BookingError)
    booking.status = "cancelled"
    booking.notes = f"{booking.notes}\nCancelled: {reason}".strip()
    db.session.flush()
    _record(case, kind, booking, f"cancelled: {reason}", actor_id, action="cancelled", reason=reason)
    return booking


# ---------------------------------------------------------------------------------------------- listing


@dataclass
class CaseBookings:
    appointments: list[HospitalAppointment]
    hotels: list[HotelStay]
    flights: list[Flight]
    transfers: list[Transfer]

    def __len__(self) -> int:
        return len(self.appointments) + len(self.hotels) + len(self.flights) + len(self.transfers)


def bookings_of(case_id: int) -> CaseBookings:
    """Every booking of a case, each kind in time order, what they show loaded (four statements)."""

    def rows(kind: str, *order: Any) -> list:
        model = KINDS[kind]
        query = select(model).where(model.case_id == case_id).options(*_LOADS[kind]).order_by(*order, model.id)
        return list(db.session.scalars(query).unique())

    return CaseBookings(
        appointments=rows("appointment", HospitalAppointment.starts_at),
        hotels=rows("hotel", HotelStay.check_in_on),
        flights=rows("flight", Flight.departs_at),
        transfers=rows("transfer", Transfer.pickup_at),
    )
