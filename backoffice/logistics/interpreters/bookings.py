"""Interpreter bookings for a case, which never overlap for one interpreter (the directory is `interpreters.directory`).

Booking times are wall-clock times at the case's hospital, stored in UTC beside that time zone. The overlap rule is
made atomic by a row lock on the interpreter (`interpreters.availability`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice import validators
from backoffice.cases import operations as cases
from backoffice.cases.models import OPEN_STATES, Case
from backoffice.cases.operations import record_case_event
from backoffice.dbtypes import utcnow
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.geo import check_languages, language_name
from backoffice.languages import page_language
from backoffice.logistics.bookings.operations import MAX_YEARS_AHEAD
from backoffice.logistics.interpreters.availability import InterpreterBookingError, check_free, lock_interpreter
from backoffice.logistics.interpreters.directory import MAX_AMOUNT, is_id
from backoffice.logistics.models import Interpreter, InterpreterBooking
from backoffice.logistics.timezones import combine, local_span, shown_local
from backoffice.money import Money, round_half_up

SECONDS_PER_HOUR = Decimal(3600)


@dataclass(frozen=True, kw_only=True)
class InterpreterBookingDetails:
    """An interpreter booking as typed: who, on which day from when to when (the hospital's local time), where, in
    which language; the cost when agreed (else the hourly rate times the duration) and notes."""

    interpreter_id: int
    day: date | None
    starts: time | None
    ends: time | None
    place: str
    language: str
    cost_amount: Decimal | str | None = None
    cost_currency: str | None = None
    notes: str = ""


def _languages_text(codes: Sequence[str]) -> str:
    return ", ".join(language_name(code, page_language()) for code in codes) or _("none")


def _checked_cost(amount: Decimal | str | None, currency: str | None) -> Money | None:
    return validators.money(amount, currency, "Cost", below=MAX_AMOUNT, error=InterpreterBookingError)


def get_interpreter_booking(case_id: int, booking_id: int) -> InterpreterBooking:
    """A booking of this case, with its interpreter; 404 when there is none, or it belongs to another case."""
    booking = None
    if is_id(case_id) and is_id(booking_id):
        booking = db.session.scalar(
            select(InterpreterBooking)
            .where(InterpreterBooking.id == booking_id, InterpreterBooking.case_id == case_id)
            .options(joinedload(InterpreterBooking.interpreter))
        )
    if booking is None:
        raise NotFound(_("There is no such interpreter booking for this case."))
    return booking


def interpreter_bookings_of(case_id: int) -> list[InterpreterBooking]:
    """The case's interpreter bookings, cancelled ones included, in time order, with their interpreters."""
    query = (
        select(InterpreterBooking)
        .where(InterpreterBooking.case_id == case_id)
        .options(joinedload(InterpreterBooking.interpreter))
        .order_by(InterpreterBooking.starts_at, InterpreterBooking.id)
    )
    return list(db.session.scalars(query))


def get_case(case_id: int) -> Case:
    """The case, loaded as the case page loads it; 404 when there is none (an id too large included)."""
    if not is_id(case_id):
        raise NotFound(_("There is no such case."))
    return cases.get_case(case_id)


def _open_case_with_hospital(case_id: int) -> Case:
    case = get_case(case_id)
    if case.state not in OPEN_STATES:
        raise InterpreterBookingError(
            _("Case %(case)s is %(state)s: its bookings can no longer change.", case=case.number, state=_(case.state))
        )
    if case.hospital is None:
        raise InterpreterBookingError(
            _(
                "Choose the hospital of case %(case)s first: interpreter times are local to the hospital.",
                case=case.number,
            )
        )
    return case


def _times(day: date | None, starts: time | None, ends: time | None, tz_name: str) -> tuple[datetime, datetime]:
    if day is None or starts is None or ends is None:
        raise InterpreterBookingError(_("Give the date, the start and the end of the booking."))
    if day.year > utcnow().year + MAX_YEARS_AHEAD:
        raise InterpreterBookingError(
            _("The date is more than %(years)d years away; check the date.", years=MAX_YEARS_AHEAD)
        )
    if ends <= starts:
        raise InterpreterBookingError(
            _(
                "The end (%(end)s) must be after the start (%(start)s).",
                end=ends.strftime("%H:%M"),
                start=starts.strftime("%H:%M"),
            )
        )
    return combine(day, starts, tz_name), combine(day, ends, tz_name)


def _not_in_past(starts_at: datetime, tz_name: str) -> None:
    if starts_at <= utcnow():
        when = shown_local(starts_at, tz_name)
        raise InterpreterBookingError(_("%(when)s is in the past: choose a future date and time.", when=when))


def _language(value: str | None) -> str:
    try:
        codes = check_languages([value or ""])
    except ValueError as error:
        raise InterpreterBookingError(_("Language: %(error)s.", error=error)) from None
    return codes[0]


def _check_language(case: Case, interpreter: Interpreter, language: str) -> None:
    """The language must be one the patient speaks and the interpreter offers."""
    spoken = case.patient.spoken_languages
    offered = list(interpreter.languages or [])
    if language in spoken and language in offered:
        return
    common = [code for code in spoken if code in offered]
    hint = (
        _("both have %(languages)s", languages=_languages_text(common))
        if common
        else _("they have no language in common")
    )
    raise InterpreterBookingError(
        _(
            "%(language)s does not fit: %(patient)s speaks %(spoken)s; %(interpreter)s offers %(offered)s (%(hint)s).",
            language=language_name(language, page_language()),
            patient=case.patient.name,
            spoken=_languages_text(spoken),
            interpreter=interpreter.name,
            offered=_languages_text(offered),
            hint=hint,
        )
    )


def _locked_booking(case_id: int, booking_id: int) -> InterpreterBooking:
    """A booking read again under its interpreter's lock: a status decided on must be the one committed now (a
    booking cancelled meanwhile, its slot taken by another case, must not come back)."""
    booking = get_interpreter_booking(case_id, booking_id)
    lock_interpreter(booking.interpreter_id)
    db.session.refresh(booking, attribute_names=["status", "starts_at", "ends_at", "supplier_reference"])
    return booking


def _cost(
    interpreter: Interpreter,
    starts_at: datetime,
    ends_at: datetime,
    cost_amount: Decimal | str | None,
    cost_currency: str | None,
) -> Money | None:
    """The cost given, or else the hourly rate times the duration, rounded half-up to the cent; none without a rate."""
    given = _checked_cost(cost_amount, cost_currency)
    if given is not None:
        return given
    rate = interpreter.hourly_rate
    if rate is None:
        return None
    hours = Decimal(int((ends_at - starts_at).total_seconds())) / SECONDS_PER_HOUR
    return Money(round_half_up(rate.amount * hours, min(rate.minor_digits, 2)), rate.currency)


def _summary(booking: InterpreterBooking, interpreter: Interpreter) -> str:
    return (
        f"Interpreter {interpreter.name}, {language_name(booking.language)}, "
        f"{local_span(booking.starts_at, booking.ends_at, booking.timezone)} at {booking.place}"
    )


def _audit(booking: InterpreterBooking, **more: Any) -> dict[str, Any]:
    return {
        "booking": "interpreter",
        "booking_id": booking.id,
        "interpreter_id": booking.interpreter_id,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "language": booking.language,
        "status": booking.status,
        **({"cost": str(booking.cost)} if booking.cost is not None else {}),
        **more,
    }


def book_interpreter(case_id: int, details: InterpreterBookingDetails, *, actor_id: int | None) -> InterpreterBooking:
    """Book an interpreter for an open case, as `requested`.

    Times are wall-clock times at the case's hospital (refused while the case has none), the end after the start,
    the start in the future. The language must be one the patient speaks and the interpreter (active) offers. An
    interpreter is never double-booked: an overlap with a booking not cancelled is refused, atomically (see
    `interpreters.availability`). Without a cost, the cost is the hourly rate times the duration, rounded half-up to
    the cent.
    """
    place, notes, language = details.place, details.notes, details.language
    case = _open_case_with_hospital(case_id)
    tz_name = case.hospital.timezone
    starts_at, ends_at = _times(details.day, details.starts, details.ends, tz_name)
    _not_in_past(starts_at, tz_name)
    place = validators.text(place, "place", 200, required=True, error=InterpreterBookingError)
    notes = validators.text(notes, "notes", 5000, error=InterpreterBookingError)
    language = _language(language)
    # Checked before taking the lock, so a wrong amount does not hold up other bookings; applied after it.
    _checked_cost(details.cost_amount, details.cost_currency)

    interpreter = lock_interpreter(details.interpreter_id)
    if not interpreter.active:
        raise InterpreterBookingError(
            _("%(name)s is deactivated in the directory: choose another interpreter.", name=interpreter.name)
        )
    _check_language(case, interpreter, language)
    check_free(interpreter, starts_at, ends_at, actor_id=actor_id)

    booking = InterpreterBooking(
        case_id=case.id,
        interpreter=interpreter,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=tz_name,
        place=place,
        language=language,
        cost=_cost(interpreter, starts_at, ends_at, details.cost_amount, details.cost_currency),
        notes=notes,
        status="requested",
        supplier_reference="",
        created_by_id=actor_id,
    )
    db.session.add(booking)
    db.session.flush()
    record_case_event(
        case, "booking", actor_id, note=f"{_summary(booking, interpreter)}: requested", audit=_audit(booking)
    )
    return booking


def update_interpreter_booking(
    case_id: int, booking_id: int, details: InterpreterBookingDetails, *, actor_id: int | None
) -> InterpreterBooking:
    """Change a booking that is not cancelled, under the rules of a new one.

    A new time must be in the future and is checked for overlaps again (the booking itself excluded), under the
    interpreter's lock. A confirmed booking whose interpreter, time or place changes goes back to `requested`: the
    interpreter has to confirm the new arrangement. Without a cost, it is computed from the rate again.
    """
    place, notes, language = details.place, details.notes, details.language
    case = _open_case_with_hospital(case_id)
    booking = _locked_booking(case.id, booking_id)
    if booking.is_cancelled:
        raise InterpreterBookingError(_("This booking is cancelled; book the interpreter again instead."))
    tz_name = booking.timezone
    starts_at, ends_at = _times(details.day, details.starts, details.ends, tz_name)
    place = validators.text(place, "place", 200, required=True, error=InterpreterBookingError)
    notes = validators.text(notes, "notes", 5000, error=InterpreterBookingError)
    language = _language(language)
    _checked_cost(details.cost_amount, details.cost_currency)

    moved = (starts_at, ends_at) != (booking.starts_at, booking.ends_at)
    other_interpreter = details.interpreter_id != booking.interpreter_id
    if moved:
        _not_in_past(starts_at, tz_name)
    if moved or other_interpreter:
        interpreter = lock_interpreter(details.interpreter_id)
        if other_interpreter and not interpreter.active:
            raise InterpreterBookingError(
                _("%(name)s is deactivated in the directory: choose another interpreter.", name=interpreter.name)
            )
        check_free(interpreter, starts_at, ends_at, actor_id=actor_id, excluding=booking.id)
    else:
        interpreter = booking.interpreter
    if other_interpreter or language != booking.language:
        _check_language(case, interpreter, language)

    values = {
        "interpreter_id": interpreter.id,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "place": place,
        "language": language,
        "cost": _cost(interpreter, starts_at, ends_at, details.cost_amount, details.cost_currency),
        "notes": notes,
    }
    changes = {
        field: [validators.plain(getattr(booking, field)), validators.plain(value)]
        for field, value in values.items()
        if getattr(booking, field) != value
    }
    if not changes:
        return booking
    for field, value in values.items():
        setattr(booking, field, value)
    booking.interpreter = interpreter
    reconfirm = booking.status == "confirmed" and (moved or other_interpreter or "place" in changes)
    if reconfirm:
        booking.status = "requested"
    db.session.flush()
    note = f"{_summary(booking, interpreter)}: changed" + (", to be confirmed again" if reconfirm else "")
    record_case_event(case, "booking", actor_id, note=note, audit=_audit(booking, changes=changes))
    return booking


def confirm_interpreter_booking(
    case_id: int, booking_id: int, *, supplier_reference: str = "", actor_id: int | None
) -> InterpreterBooking:
    """Record that the interpreter confirmed the booking.

    Unlike hotels or airlines, freelance interpreters seldom give a confirmation number, so the reference is
    optional here; when one is given it is kept.
    """
    case = get_case(case_id)
    booking = _locked_booking(case.id, booking_id)
    if case.state not in OPEN_STATES:
        raise InterpreterBookingError(
            _("Case %(case)s is %(state)s: its bookings can no longer change.", case=case.number, state=_(case.state))
        )
    if booking.status != "requested":
        raise InterpreterBookingError(
            _("This booking is %(status)s; only a requested booking can be confirmed.", status=_(booking.status))
        )
    reference = validators.text(supplier_reference, "reference", 100, error=InterpreterBookingError)
    booking.status = "confirmed"
    if reference:
        booking.supplier_reference = reference
    db.session.flush()
    note = f"{_summary(booking, booking.interpreter)}: confirmed" + (f" (reference {reference})" if reference else "")
    record_case_event(case, "booking", actor_id, note=note, audit=_audit(booking))
    return booking


def cancel_interpreter_booking(
    case_id: int, booking_id: int, *, reason: str = "", actor_id: int | None
) -> InterpreterBooking:
    """Cancel a booking; its time is free again for the interpreter. Allowed on a closed or cancelled case too."""
    case = get_case(case_id)
    booking = _locked_booking(case.id, booking_id)
    if booking.is_cancelled:
        raise InterpreterBookingError(_("This booking is already cancelled."))
    reason = validators.text(reason, "reason", 300, error=InterpreterBookingError)
    booking.status = "cancelled"
    db.session.flush()
    note = f"{_summary(booking, booking.interpreter)}: cancelled" + (f" ({reason})" if reason else "")
    record_case_event(case, "booking", actor_id, note=note, audit=_audit(booking, reason=reason))
    return booking
