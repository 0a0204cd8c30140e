"""Interpreters: the directory, and their bookings for a case, which never overlap for one interpreter.

Booking times are wall-clock times at the case's hospital, stored in UTC beside that time zone. The overlap rule is
made atomic by a row lock: every booking of an interpreter first bumps the interpreter's `booking_counter`, so two
coordinators booking the same interpreter at the same moment are served one after the other, and the second sees
the first's booking when it checks for an overlap. On PostgreSQL the UPDATE's row lock is held until commit; on
SQLite the UPDATE takes the database's write lock, which serialises every writer (a waiting writer waits up to the
driver's 5 s timeout).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import String, cast, func, or_, select, update
from sqlalchemy.orm import joinedload

from backoffice.auth.models import User
from backoffice.auth.permissions import STAFF_ROLES
from backoffice.cases import operations as cases
from backoffice.cases.models import OPEN_STATES, Case
from backoffice.cases.operations import record_case_event
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.geo import check_languages, language_name
from backoffice.logistics.bookings import MAX_YEARS_AHEAD
from backoffice.logistics.models import Interpreter, InterpreterBooking
from backoffice.logistics.timezones import combine, to_local
from backoffice.money import Money, MoneyError, parse_money, round_half_up
from backoffice.pagination import Page, paginate
from backoffice.params import MAX_ID
from backoffice.trail import record_event

PAGE_SIZE = 50
MAX_AMOUNT = Decimal("1000000")  # an interpreter's rate or a booking's cost above this is a typing error
MAX_LANGUAGES = 20
MAX_UPCOMING = 200  # bookings listed on an interpreter's page
PHONE_PATTERN = re.compile(r"[0-9+()./\- ]*[0-9][0-9+()./\- ]*")
SECONDS_PER_HOUR = Decimal(3600)


class InterpreterError(DomainError):
    pass


class InterpreterBookingError(DomainError):
    pass


# ---------------------------------------------------------------------------------------------- checking values


def _text(value: str | None, label: str, max_length: int, *, required: bool = False, error=InterpreterError) -> str:
    text = (value or "").strip()
    if required and not text:
        raise error(f"Enter the {label}.")
    if len(text) > max_length:
        raise error(f"The {label} is too long (at most {max_length} characters).")
    return text


def _languages(value: Sequence[str] | str | None) -> list[str]:
    try:
        codes = check_languages(value or [])
    except ValueError as error:
        raise InterpreterError(f"Languages: {error}.") from None
    if not codes:
        raise InterpreterError("List the languages the interpreter offers (two-letter codes, such as ar, ru, en).")
    if len(codes) > MAX_LANGUAGES:
        raise InterpreterError(f"List at most {MAX_LANGUAGES} languages.")
    return codes


def _email(value: str | None) -> str:
    email = _text(value, "email", 254).lower()
    if email and (email.count("@") != 1 or email.startswith("@") or email.endswith("@") or " " in email):
        raise InterpreterError(f"{email!r} is not an email address.")
    return email


def _phone(value: str | None) -> str:
    phone = _text(value, "phone", 40)
    if phone and not PHONE_PATTERN.fullmatch(phone):
        raise InterpreterError(f"{phone!r} is not a phone number (digits, spaces and + ( ) - . / only).")
    return phone


def _money(amount: Decimal | str | None, currency: str | None, label: str, error=InterpreterError) -> Money | None:
    """Exact money from text; none when no amount is given. Never negative, never finer than the cent."""
    if amount is None or (isinstance(amount, str) and not amount.strip()):
        return None
    try:
        money = parse_money(amount, currency or "")
    except MoneyError as problem:
        raise error(f"{label}: {problem}.") from None
    if money.amount < 0:
        raise error(f"The {label.lower()} cannot be negative.")
    if money.amount >= MAX_AMOUNT:
        raise error(f"The {label.lower()} must be below {Money(MAX_AMOUNT, money.currency).format()}.")
    places = min(money.minor_digits, 2)  # the columns keep cents
    exact = money.amount.quantize(Decimal(1).scaleb(-places))
    if money.amount != exact:
        unit = f"{places} decimal place{'s' if places != 1 else ''}" if places else "no decimal places"
        raise error(f"An amount in {money.currency} has {unit}; {amount} has more.")
    return Money(exact, money.currency)  # 70 -> 70.00, as it reads back from the database


def _json(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value) if isinstance(value, Money | Decimal) else value


def _languages_text(codes: Sequence[str]) -> str:
    return ", ".join(language_name(code) for code in codes) or "none"


def local_span(starts_at: datetime, ends_at: datetime, tz_name: str) -> str:
    """'Tue 12 May 2026, 10:00-12:00 CEST': a booking's time at its place."""
    start, end = to_local(starts_at, tz_name), to_local(ends_at, tz_name)
    text = start.strftime("%a %d %b %Y, %H:%M")
    if end.date() == start.date():
        return f"{text}-{end.strftime('%H:%M')} {end.tzname()}"
    return f"{text} {start.tzname()} - {end.strftime('%a %d %b %Y, %H:%M')} {end.tzname()}"


# ---------------------------------------------------------------------------------------------- the directory


def _is_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def get_interpreter(interpreter_id: int) -> Interpreter:
    interpreter = db.session.get(Interpreter, interpreter_id) if _is_id(interpreter_id) else None
    if interpreter is None:
        raise NotFound("There is no such interpreter.")
    return interpreter


def _interpreter_values(
    *,
    name: str,
    languages: Sequence[str] | str,
    hourly_rate_amount: Decimal | str | None,
    hourly_rate_currency: str | None,
    email: str,
    phone: str,
    city: str,
) -> dict[str, Any]:
    return {
        "name": _text(name, "interpreter's name", 120, required=True),
        "languages": _languages(languages),
        "hourly_rate": _money(hourly_rate_amount, hourly_rate_currency, "Hourly rate"),
        "email": _email(email),
        "phone": _phone(phone),
        "city": _text(city, "city", 100),
    }


def create_interpreter(
    *,
    name: str,
    languages: Sequence[str] | str,
    hourly_rate_amount: Decimal | str | None = None,
    hourly_rate_currency: str | None = "EUR",
    email: str = "",
    phone: str = "",
    city: str = "",
    actor_id: int | None = None,
) -> Interpreter:
    """Add an interpreter to the directory, with at least one language; the hourly rate is exact, or none."""
    values = _interpreter_values(
        name=name,
        languages=languages,
        hourly_rate_amount=hourly_rate_amount,
        hourly_rate_currency=hourly_rate_currency,
        email=email,
        phone=phone,
        city=city,
    )
    interpreter = Interpreter(active=True, booking_counter=0, **values)
    db.session.add(interpreter)
    db.session.flush()
    record_event(
        "interpreter_created",
        actor_id=actor_id,
        object_type="interpreter",
        object_id=interpreter.id,
        details={key: _json(value) for key, value in values.items()},
    )
    return interpreter


def update_interpreter(
    interpreter_id: int,
    *,
    name: str,
    languages: Sequence[str] | str,
    hourly_rate_amount: Decimal | str | None,
    hourly_rate_currency: str | None,
    email: str = "",
    phone: str = "",
    city: str = "",
    actor_id: int | None,
) -> Interpreter:
    """Change an interpreter's details; only what changed is recorded. Existing bookings keep their cost."""
    interpreter = get_interpreter(interpreter_id)
    values = _interpreter_values(
        name=name,
        languages=languages,
        hourly_rate_amount=hourly_rate_amount,
        hourly_rate_currency=hourly_rate_currency,
        email=email,
        phone=phone,
        city=city,
    )
    changes: dict[str, list[Any]] = {}
    for field, value in values.items():
        before = getattr(interpreter, field)
        if before != value:
            changes[field] = [_json(before), _json(value)]
            setattr(interpreter, field, value)
    if changes:
        db.session.flush()
        record_event(
            "interpreter_updated",
            actor_id=actor_id,
            object_type="interpreter",
            object_id=interpreter.id,
            details=changes,
        )
    return interpreter


def deactivate_interpreter(interpreter_id: int, *, actor_id: int | None) -> Interpreter:
    """Take an interpreter out of use: no new bookings. Existing bookings stay as they are."""
    interpreter = get_interpreter(interpreter_id)
    if not interpreter.active:
        raise InterpreterError(f"{interpreter.name} is already deactivated.")
    interpreter.active = False
    db.session.flush()
    record_event("interpreter_deactivated", actor_id=actor_id, object_type="interpreter", object_id=interpreter.id)
    return interpreter


def reactivate_interpreter(interpreter_id: int, *, actor_id: int | None) -> Interpreter:
    interpreter = get_interpreter(interpreter_id)
    if interpreter.active:
        raise InterpreterError(f"{interpreter.name} is already active.")
    interpreter.active = True
    db.session.flush()
    record_event("interpreter_reactivated", actor_id=actor_id, object_type="interpreter", object_id=interpreter.id)
    return interpreter


def _offers_any(codes: Sequence[str]):
    """SQL: the interpreter's language list holds one of `codes` (checked two-letter codes only).

    The JSON list is matched as text ('["ar", "en"]' contains '"ar"'), which works alike on SQLite and PostgreSQL.
    """
    as_text = cast(Interpreter.languages, String)
    return or_(*(as_text.like(f'%"{code}"%') for code in codes))


def list_interpreters(*, page: int = 1, language: str | None = None, search: str | None = None) -> Page[Interpreter]:
    """The directory by name, filtered by a language offered and a search on the name (two statements)."""
    query = select(Interpreter)
    if language and language.strip():
        try:
            codes = check_languages([language])
        except ValueError:
            codes = []
        # An unknown code matches nobody rather than everybody.
        query = query.where(_offers_any(codes)) if codes else query.where(Interpreter.id.is_(None))
    if search and search.strip():
        query = query.where(func.lower(Interpreter.name).contains(search.strip().lower(), autoescape=True))
    return paginate(query, page=page, per_page=PAGE_SIZE, order_by=(Interpreter.name, Interpreter.id))


def interpreters_for(languages: Sequence[str]) -> list[Interpreter]:
    """Active interpreters offering at least one of `languages`, by name: the choice offered for a booking."""
    codes = [code for code in languages if re.fullmatch(r"[a-z]{2}", code or "")]
    if not codes:
        return []
    query = select(Interpreter).where(Interpreter.active.is_(True), _offers_any(codes))
    return list(db.session.scalars(query.order_by(Interpreter.name, Interpreter.id)))


def upcoming_bookings(interpreter_id: int, *, now: datetime | None = None) -> list[tuple[InterpreterBooking, str]]:
    """The interpreter's bookings not cancelled and not yet over, soonest first, each with its case number."""
    query = (
        select(InterpreterBooking, Case.number)
        .join(Case, Case.id == InterpreterBooking.case_id)
        .where(
            InterpreterBooking.interpreter_id == interpreter_id,
            InterpreterBooking.status != "cancelled",
            InterpreterBooking.ends_at > (now or utcnow()),
        )
        .order_by(InterpreterBooking.starts_at, InterpreterBooking.id)
        .limit(MAX_UPCOMING)
    )
    return [(booking, number) for booking, number in db.session.execute(query)]


# ---------------------------------------------------------------------------------------------- bookings


def get_interpreter_booking(case_id: int, booking_id: int) -> InterpreterBooking:
    """A booking of this case, with its interpreter; 404 when there is none, or it belongs to another case."""
    booking = None
    if _is_id(case_id) and _is_id(booking_id):
        booking = db.session.scalar(
            select(InterpreterBooking)
            .where(InterpreterBooking.id == booking_id, InterpreterBooking.case_id == case_id)
            .options(joinedload(InterpreterBooking.interpreter))
        )
    if booking is None:
        raise NotFound("There is no such interpreter booking for this case.")
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


def interpreter_costs(case_id: int) -> list[Money]:
    """The costs of the case's bookings that are not cancelled (bookings without a cost are left out)."""
    query = (
        select(InterpreterBooking)
        .where(InterpreterBooking.case_id == case_id, InterpreterBooking.status != "cancelled")
        .order_by(InterpreterBooking.starts_at, InterpreterBooking.id)
    )
    return [booking.cost for booking in db.session.scalars(query) if booking.cost is not None]


def get_case(case_id: int) -> Case:
    """The case, loaded as the case page loads it; 404 when there is none (an id too large included)."""
    if not _is_id(case_id):
        raise NotFound("There is no such case.")
    return cases.get_case(case_id)


def _open_case_with_hospital(case_id: int) -> Case:
    case = get_case(case_id)
    if case.state not in OPEN_STATES:
        raise InterpreterBookingError(f"Case {case.number} is {case.state}: its bookings can no longer change.")
    if case.hospital is None:
        raise InterpreterBookingError(
            f"Choose the hospital of case {case.number} first: interpreter times are local to the hospital."
        )
    return case


def _times(day: date | None, starts: time | None, ends: time | None, tz_name: str) -> tuple[datetime, datetime]:
    if day is None or starts is None or ends is None:
        raise InterpreterBookingError("Give the date, the start and the end of the booking.")
    if day.year > utcnow().year + MAX_YEARS_AHEAD:
        raise InterpreterBookingError(f"The date is more than {MAX_YEARS_AHEAD} years away; check the date.")
    if ends <= starts:
        raise InterpreterBookingError(
            f"The end ({ends.strftime('%H:%M')}) must be after the start ({starts.strftime('%H:%M')})."
        )
    return combine(day, starts, tz_name), combine(day, ends, tz_name)


def _not_in_past(starts_at: datetime, tz_name: str) -> None:
    if starts_at <= utcnow():
        when = to_local(starts_at, tz_name).strftime("%a %d %b %Y, %H:%M %Z")
        raise InterpreterBookingError(f"{when} is in the past: choose a future date and time.")


def _language(value: str | None) -> str:
    try:
        codes = check_languages([value or ""])
    except ValueError as error:
        raise InterpreterBookingError(f"Language: {error}.") from None
    return codes[0]


def _check_language(case: Case, interpreter: Interpreter, language: str) -> None:
    """The language must be one the patient speaks and the interpreter offers."""
    spoken = case.patient.spoken_languages
    offered = list(interpreter.languages or [])
    if language in spoken and language in offered:
        return
    common = [code for code in spoken if code in offered]
    hint = f"both have {_languages_text(common)}" if common else "they have no language in common"
    raise InterpreterBookingError(
        f"{language_name(language)} does not fit: {case.patient.name} speaks {_languages_text(spoken)}; "
        f"{interpreter.name} offers {_languages_text(offered)} ({hint})."
    )


def _locked_booking(case_id: int, booking_id: int) -> InterpreterBooking:
    """A booking read again under its interpreter's lock: a status decided on must be the one committed now (a
    booking cancelled meanwhile, its slot taken by another case, must not come back)."""
    booking = get_interpreter_booking(case_id, booking_id)
    _lock_interpreter(booking.interpreter_id)
    db.session.refresh(booking, attribute_names=["status", "starts_at", "ends_at", "supplier_reference"])
    return booking


def _lock_interpreter(interpreter_id: int) -> Interpreter:
    """Bump the interpreter's booking counter, then read the interpreter as it is now.

    The UPDATE is the lock that serialises bookings of one interpreter until this transaction ends (a row lock on
    PostgreSQL, the write lock on SQLite); the overlap check after it therefore sees every committed booking.
    """
    table = Interpreter.__table__
    result = None
    if _is_id(interpreter_id):
        result = db.session.execute(
            update(table).where(table.c.id == interpreter_id).values(booking_counter=table.c.booking_counter + 1)
        )
    if result is None or result.rowcount == 0:
        raise InterpreterBookingError("Choose an interpreter from the list: there is no such interpreter.")
    return db.session.get(Interpreter, interpreter_id, populate_existing=True)


def _may_see_case(actor_id: int | None) -> bool:
    """Every staff role reads every case; anyone else (a script without a user) is not told another case's number."""
    if actor_id is None:
        return False
    return db.session.scalar(select(User.role).where(User.id == actor_id)) in STAFF_ROLES


def _check_free(
    interpreter: Interpreter,
    starts_at: datetime,
    ends_at: datetime,
    *,
    actor_id: int | None,
    excluding: int | None = None,
) -> None:
    """Refuse when the interpreter has a booking, not cancelled, overlapping [starts_at, ends_at).

    Touching is allowed: a booking ending at 12:00 and one starting at 12:00 do not overlap. Call after
    `_lock_interpreter`, in the same transaction.
    """
    query = (
        select(InterpreterBooking, Case.number)
        .join(Case, Case.id == InterpreterBooking.case_id)
        .where(
            InterpreterBooking.interpreter_id == interpreter.id,
            InterpreterBooking.status != "cancelled",
            InterpreterBooking.starts_at < ends_at,
            InterpreterBooking.ends_at > starts_at,
        )
        .order_by(InterpreterBooking.starts_at)
        .limit(1)
    )
    if excluding is not None:
        query = query.where(InterpreterBooking.id != excluding)
    clash = db.session.execute(query).first()
    if clash is None:
        return
    other, number = clash
    where = f" (case {number})" if _may_see_case(actor_id) else ""
    raise InterpreterBookingError(
        f"{interpreter.name} is already booked {local_span(other.starts_at, other.ends_at, other.timezone)}{where}. "
        "Choose another time or another interpreter."
    )


def _cost(
    interpreter: Interpreter,
    starts_at: datetime,
    ends_at: datetime,
    cost_amount: Decimal | str | None,
    cost_currency: str | None,
) -> Money | None:
    """The cost given, or else the hourly rate times the duration, rounded half-up to the cent; none without a rate."""
    given = _money(cost_amount, cost_currency, "Cost", error=InterpreterBookingError)
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


def book_interpreter(
    case_id: int,
    *,
    interpreter_id: int,
    day: date,
    starts: time,
    ends: time,
    place: str,
    language: str,
    cost_amount: Decimal | str | None = None,
    cost_currency: str | None = None,
    notes: str = "",
    actor_id: int | None,
) -> InterpreterBooking:
    """Book an interpreter for an open case, as `requested`.

    Times are wall-clock times at the case's hospital (refused while the case has none), the end after the start,
    the start in the future. The language must be one the patient speaks and the interpreter (active) offers. An
    interpreter is never double-booked: an overlap with a booking not cancelled is refused, atomically (see the
    module docstring). Without a cost, the cost is the hourly rate times the duration, rounded half-up to the cent.
    """
    case = _open_case_with_hospital(case_id)
    tz_name = case.hospital.timezone
    starts_at, ends_at = _times(day, starts, ends, tz_name)
    _not_in_past(starts_at, tz_name)
    place = _text(place, "place", 200, required=True, error=InterpreterBookingError)
    notes = _text(notes, "notes", 5000, error=InterpreterBookingError)
    language = _language(language)
    # Checked before taking the lock, so a wrong amount does not hold up other bookings; applied after it.
    _money(cost_amount, cost_currency, "Cost", error=InterpreterBookingError)

    interpreter = _lock_interpreter(interpreter_id)
    if not interpreter.active:
        raise InterpreterBookingError(
            f"{interpreter.name} is deactivated in the directory: choose another interpreter."
        )
    _check_language(case, interpreter, language)
    _check_free(interpreter, starts_at, ends_at, actor_id=actor_id)

    booking = InterpreterBooking(
        case_id=case.id,
        interpreter=interpreter,
        starts_at=starts_at,
        ends_at=ends_at,
        timezone=tz_name,
        place=place,
        language=language,
        cost=_cost(interpreter, starts_at, ends_at, cost_amount, cost_currency),
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
    case_id: int,
    booking_id: int,
    *,
    interpreter_id: int,
    day: date,
    starts: time,
    ends: time,
    place: str,
    language: str,
    cost_amount: Decimal | str | None = None,
    cost_currency: str | None = None,
    notes: str = "",
    actor_id: int | None,
) -> InterpreterBooking:
    """Change a booking that is not cancelled, under the rules of a new one.

    A new time must be in the future and is checked for overlaps again (the booking itself excluded), under the
    interpreter's lock. A confirmed booking whose interpreter, time or place changes goes back to `requested`: the
    interpreter has to confirm the new arrangement. Without a cost, it is computed from the rate again.
    """
    case = _open_case_with_hospital(case_id)
    booking = _locked_booking(case.id, booking_id)
    if booking.is_cancelled:
        raise InterpreterBookingError("This booking is cancelled; book the interpreter again instead.")
    tz_name = booking.timezone
    starts_at, ends_at = _times(day, starts, ends, tz_name)
    place = _text(place, "place", 200, required=True, error=InterpreterBookingError)
    notes = _text(notes, "notes", 5000, error=InterpreterBookingError)
    language = _language(language)
    _money(cost_amount, cost_currency, "Cost", error=InterpreterBookingError)

    moved = (starts_at, ends_at) != (booking.starts_at, booking.ends_at)
    other_interpreter = interpreter_id != booking.interpreter_id
    if moved:
        _not_in_past(starts_at, tz_name)
    if moved or other_interpreter:
        interpreter = _lock_interpreter(interpreter_id)
        if other_interpreter and not interpreter.active:
            raise InterpreterBookingError(
                f"{interpreter.name} is deactivated in the directory: choose another interpreter."
            )
        _check_free(interpreter, starts_at, ends_at, actor_id=actor_id, excluding=booking.id)
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
        "cost": _cost(interpreter, starts_at, ends_at, cost_amount, cost_currency),
        "notes": notes,
    }
    changes = {
        field: [_json(getattr(booking, field)), _json(value)]
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
        raise InterpreterBookingError(f"Case {case.number} is {case.state}: its bookings can no longer change.")
    if booking.status != "requested":
        raise InterpreterBookingError(f"This booking is {booking.status}; only a requested booking can be confirmed.")
    reference = _text(supplier_reference, "reference", 100, error=InterpreterBookingError)
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
        raise InterpreterBookingError("This booking is already cancelled.")
    reason = _text(reason, "reason", 300, error=InterpreterBookingError)
    booking.status = "cancelled"
    db.session.flush()
    note = f"{_summary(booking, booking.interpreter)}: cancelled" + (f" ({reason})" if reason else "")
    record_case_event(case, "booking", actor_id, note=note, audit=_audit(booking, reason=reason))
    return booking
