"""The interpreters directory: who interprets which languages, at what hourly rate, and who is still in use.

Their bookings for a case are `interpreters.bookings`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import String, cast, func, or_, select

from backoffice import validators
from backoffice.activation import set_active
from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.directory.values import apply_changes
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.geo import check_languages
from backoffice.logistics.models import Interpreter, InterpreterBooking
from backoffice.pagination import Page, paginate
from backoffice.params import MAX_ID
from backoffice.trail import record_event

PAGE_SIZE = 50
MAX_AMOUNT = Decimal("1000000")  # an interpreter's rate or a booking's cost above this is a typing error
MAX_UPCOMING = 200  # bookings listed on an interpreter's page
LANGUAGES_MISSING = "List the languages the interpreter offers (two-letter codes, such as ar, ru, en)."


class InterpreterError(DomainError):
    pass


def is_id(value: int) -> bool:
    return 0 < value <= MAX_ID


def get_interpreter(interpreter_id: int) -> Interpreter:
    interpreter = db.session.get(Interpreter, interpreter_id) if is_id(interpreter_id) else None
    if interpreter is None:
        raise NotFound(_("There is no such interpreter."))
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
    error = InterpreterError
    return {
        "name": validators.text(name, "interpreter's name", 120, required=True, error=error),
        "languages": validators.languages(languages, missing=LANGUAGES_MISSING, error=error),
        "hourly_rate": validators.money(
            hourly_rate_amount, hourly_rate_currency, "Hourly rate", below=MAX_AMOUNT, error=error
        ),
        "email": validators.email(email, error=error),
        "phone": validators.phone(phone, error=error),
        "city": validators.text(city, "city", 100, error=error),
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
        details={key: validators.plain(value) for key, value in values.items()},
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
    changes = apply_changes(interpreter, values)
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
    set_active(interpreter, False, object_type="interpreter", actor_id=actor_id, error=InterpreterError)
    return interpreter


def reactivate_interpreter(interpreter_id: int, *, actor_id: int | None) -> Interpreter:
    interpreter = get_interpreter(interpreter_id)
    set_active(interpreter, True, object_type="interpreter", actor_id=actor_id, error=InterpreterError)
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
