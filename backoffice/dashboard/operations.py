"""Figures for the staff dashboard: each one statement (grouped counts), whatever the number of cases.

An erased patient's cases count in no panel, as they are in no list (`patients.restriction`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import and_, func, literal_column, or_, select
from sqlalchemy.orm import joinedload

from backoffice.auth.models import User
from backoffice.auth.permissions import COORDINATOR
from backoffice.cases.listing import overdue_condition
from backoffice.cases.models import OPEN_STATES, Case
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.logistics.follow_ups import lists as follow_ups
from backoffice.logistics.follow_ups.lists import FollowUpItem
from backoffice.patients.restriction import not_erased
from backoffice.trail import AuditEvent

OVERDUE_SHOWN = 10
DUE_TODAY_SHOWN = 20
FIRST_RESPONSE_WINDOW = timedelta(days=30)


def accounts_by_role() -> dict[str, dict[str, int]]:
    """Active and deactivated accounts per role, in one statement."""
    rows = db.session.execute(select(User.role, User.active, func.count()).group_by(User.role, User.active))
    counts: dict[str, dict[str, int]] = {}
    for role, active, count in rows:
        counts.setdefault(role, {"active": 0, "inactive": 0})["active" if active else "inactive"] += count
    return counts


def failed_logins_since(since) -> int:
    return (
        db.session.scalar(
            select(func.count()).where(AuditEvent.action == "login_failed", AuditEvent.occurred_at >= since)
        )
        or 0
    )


# ---------------------------------------------------------------------------------------------- coordination


def open_cases_by_state(coordinator_id: int) -> dict[str, int]:
    """The coordinator's open cases per state, in pipeline order (states without cases left out)."""
    rows = db.session.execute(
        select(Case.state, func.count())
        .where(Case.coordinator_id == coordinator_id, Case.state.in_(OPEN_STATES), not_erased(Case.patient_id))
        .group_by(Case.state)
    ).all()
    counts = dict(rows)
    return {state: counts[state] for state in OPEN_STATES if state in counts}


def queue_size() -> int:
    """Open cases nobody coordinates yet: new requests land here until a coordinator takes them."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(Case)
            .where(Case.coordinator_id.is_(None), Case.state.in_(OPEN_STATES), not_erased(Case.patient_id))
        )
        or 0
    )


@dataclass
class Overdue:
    total: int
    oldest: list[Case]  # oldest due first, at most OVERDUE_SHOWN, with patient and coordinator loaded


def overdue_requests(now: datetime | None = None, limit: int = OVERDUE_SHOWN) -> Overdue:
    """Requests whose first contact is overdue, across the team: how many, and the oldest ones (two statements)."""
    condition = overdue_condition(now or utcnow()) & not_erased(Case.patient_id)
    total = db.session.scalar(select(func.count()).select_from(Case).where(condition)) or 0
    oldest = db.session.scalars(
        select(Case)
        .where(condition)
        .options(joinedload(Case.patient), joinedload(Case.coordinator))
        .order_by(Case.first_response_due_at, Case.id)
        .limit(limit)
    ).all()
    return Overdue(total=total, oldest=list(oldest))


def due_today(coordinator_id: int, now: datetime | None = None, limit: int = DUE_TODAY_SHOWN) -> list[Case]:
    """The coordinator's open cases and the queue's with something due: a reminder dated today or earlier, or a
    first contact due today (UTC). First contacts first, by the hour they are due; then reminders, oldest first."""
    now = now or utcnow()
    today = now.date()
    start_of_today = datetime.combine(today, time.min, tzinfo=now.tzinfo)
    first_contact_due_today = and_(
        Case.state == "new",
        Case.first_response_due_at >= start_of_today,
        Case.first_response_due_at < start_of_today + timedelta(days=1),
    )
    return list(
        db.session.scalars(
            select(Case)
            .where(
                or_(Case.coordinator_id == coordinator_id, Case.coordinator_id.is_(None)),
                Case.state.in_(OPEN_STATES),
                or_(Case.next_action_on <= today, first_contact_due_today),
                not_erased(Case.patient_id),
            )
            .options(joinedload(Case.patient), joinedload(Case.coordinator))
            .order_by(Case.next_action_on.asc().nulls_first(), Case.first_response_due_at, Case.id)
            .limit(limit)
        )
    )


@dataclass
class OverdueFollowUps:
    total: int
    oldest: list[FollowUpItem]  # most overdue first, at most OVERDUE_SHOWN, with case, patient and coordinator


def overdue_follow_ups(coordinator_id: int | None, today: date, limit: int = OVERDUE_SHOWN) -> OverdueFollowUps:
    """Follow-ups after discharge whose day has passed, on one coordinator's cases or (None) all (two statements)."""
    return OverdueFollowUps(
        total=follow_ups.overdue_count(coordinator_id, today),
        oldest=follow_ups.overdue_follow_ups(coordinator_id, today, limit),
    )


def _response_seconds():
    """Seconds from request to first contact, as SQL: each database measures intervals its own way."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", Case.first_response_at - Case.requested_at)
    return (func.julianday(Case.first_response_at) - func.julianday(Case.requested_at)) * literal_column("86400.0")


def median_first_response(now: datetime | None = None, window: timedelta = FIRST_RESPONSE_WINDOW) -> timedelta | None:
    """The team's median time to first contact, over the cases first contacted within `window` (None if none).

    One statement: the durations are numbered in order in SQL and only the one or two middle ones come back.
    """
    since = (now or utcnow()) - window
    ranked = (
        select(
            _response_seconds().label("seconds"),
            func.row_number().over(order_by=_response_seconds()).label("position"),
            func.count().over().label("total"),
        )
        .where(Case.first_response_at.is_not(None), Case.first_response_at >= since)
        .subquery()
    )
    # Integer division in both databases: positions (n+1)/2 and (n+2)/2 are the middle one (odd n) or two (even n).
    middle = db.session.scalars(
        select(ranked.c.seconds).where(ranked.c.position.in_([(ranked.c.total + 1) // 2, (ranked.c.total + 2) // 2]))
    ).all()
    if not middle:
        return None
    # Durations, not money; Decimal all the same, so that no float creeps into arithmetic here.
    seconds = sum(Decimal(str(value)) for value in middle) / len(middle)
    return timedelta(seconds=int(seconds.to_integral_value()))


@dataclass
class Workload:
    coordinator_id: int
    name: str
    open_cases: int


def workload() -> list[Workload]:
    """Open cases per active coordinator (those with none included), busiest first, in one statement."""
    open_cases = func.count(Case.id)
    rows = db.session.execute(
        select(User.id, User.name, open_cases)
        .outerjoin(Case, and_(Case.coordinator_id == User.id, Case.state.in_(OPEN_STATES), not_erased(Case.patient_id)))
        .where(User.role == COORDINATOR, User.active.is_(True))
        .group_by(User.id, User.name)
        .order_by(open_cases.desc(), User.name)
    ).all()
    return [Workload(coordinator_id=row[0], name=row[1], open_cases=row[2]) for row in rows]


def format_duration(value: timedelta | None) -> str:
    """'3 h 20 min', '1 d 4 h', '45 min' — how long a first contact took."""
    if value is None:
        return "—"
    minutes = int(value.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return _("%(days)s d %(hours)s h", days=days, hours=hours)
    if hours:
        return _("%(hours)s h %(minutes)s min", hours=hours, minutes=minutes)
    return _("%(minutes)s min", minutes=minutes)
