"""An interpreter is never double-booked: the lock that serialises bookings of one interpreter, and the overlap check.

Every booking of an interpreter first bumps the interpreter's `booking_counter`, so two coordinators booking the same
interpreter at the same moment are served one after the other, and the second sees the first's booking when it
checks for an overlap. On PostgreSQL the UPDATE's row lock is held until commit; on SQLite the UPDATE takes the
database's write lock, which serialises every writer (a waiting writer waits up to the driver's 5 s timeout).
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select, update

from backoffice.auth.models import User
from backoffice.auth.permissions import STAFF_ROLES
from backoffice.cases.models import Case
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.logistics.interpreters.directory import is_id
from backoffice.logistics.models import Interpreter, InterpreterBooking
from backoffice.logistics.timezones import shown_span


class InterpreterBookingError(DomainError):
    pass


def lock_interpreter(interpreter_id: int) -> Interpreter:
    """Bump the interpreter's booking counter, then read the interpreter as it is now.

    The UPDATE is the lock that serialises bookings of one interpreter until this transaction ends (a row lock on
    PostgreSQL, the write lock on SQLite); the overlap check after it therefore sees every committed booking.
    """
    table = Interpreter.__table__
    result = None
    if is_id(interpreter_id):
        result = db.session.execute(
            update(table).where(table.c.id == interpreter_id).values(booking_counter=table.c.booking_counter + 1)
        )
    if result is None or result.rowcount == 0:
        raise InterpreterBookingError(_("Choose an interpreter from the list: there is no such interpreter."))
    return db.session.get(Interpreter, interpreter_id, populate_existing=True)


def _may_see_case(actor_id: int | None) -> bool:
    """Every staff role reads every case; anyone else (a script without a user) is not told another case's number."""
    if actor_id is None:
        return False
    return db.session.scalar(select(User.role).where(User.id == actor_id)) in STAFF_ROLES


def check_free(
    interpreter: Interpreter,
    starts_at: datetime,
    ends_at: datetime,
    *,
    actor_id: int | None,
    excluding: int | None = None,
) -> None:
    """Refuse when the interpreter has a booking, not cancelled, overlapping [starts_at, ends_at).

    Touching is allowed: a booking ending at 12:00 and one starting at 12:00 do not overlap. Call after
    `lock_interpreter`, in the same transaction.
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
    when = shown_span(other.starts_at, other.ends_at, other.timezone)
    if _may_see_case(actor_id):
        message = _(
            "%(name)s is already booked %(when)s (case %(case)s). Choose another time or another interpreter.",
            name=interpreter.name,
            when=when,
            case=number,
        )
    else:
        message = _(
            "%(name)s is already booked %(when)s. Choose another time or another interpreter.",
            name=interpreter.name,
            when=when,
        )
    raise InterpreterBookingError(message)
