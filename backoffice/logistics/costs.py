"""What a case's logistics cost: every cost source, listed here, summed per currency (never converted).

A cost source gives the costs of one case (each Money in its own currency); cancelled bookings cost nothing. A new
kind of logistics cost (a visa fee, an escort) adds its source to COST_SOURCES here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from sqlalchemy import func, select, union_all

from backoffice.extensions import db
from backoffice.logistics.bookings.operations import KINDS
from backoffice.logistics.models import InterpreterBooking
from backoffice.money import Money

CostSource = Callable[[int], Iterable[Money]]


def booking_costs(case_id: int) -> list[Money]:
    """The appointment, hotel, flight and transfer costs of a case, summed per currency in one statement."""
    parts = [
        select(model.cost_amount.label("amount"), model.cost_currency.label("currency")).where(
            model.case_id == case_id, model.status != "cancelled", model.cost_amount.is_not(None)
        )
        for model in KINDS.values()
    ]
    costs = union_all(*parts).subquery()
    rows = db.session.execute(select(costs.c.currency, func.sum(costs.c.amount)).group_by(costs.c.currency)).all()
    return [Money(amount, currency) for currency, amount in rows]


def interpreter_costs(case_id: int) -> list[Money]:
    """The costs of the case's bookings that are not cancelled (bookings without a cost are left out)."""
    query = (
        select(InterpreterBooking)
        .where(InterpreterBooking.case_id == case_id, InterpreterBooking.status != "cancelled")
        .order_by(InterpreterBooking.starts_at, InterpreterBooking.id)
    )
    return [booking.cost for booking in db.session.scalars(query) if booking.cost is not None]


COST_SOURCES: tuple[CostSource, ...] = (booking_costs, interpreter_costs)


def logistics_costs(case_id: int, sources: Iterable[CostSource] = COST_SOURCES) -> dict[str, Money]:
    """What a case's logistics cost, per currency (never converted), over every cost source."""
    totals: dict[str, Money] = {}
    for source in sources:
        for cost in source(case_id):
            totals[cost.currency] = totals[cost.currency] + cost if cost.currency in totals else cost
    return dict(sorted(totals.items()))
