"""The first-answer deadline of a new treatment request (the SLA): whether a case is overdue, how long the first answer
took, and the periodic job that alerts on the cases past it."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select

from backoffice.cases.models import Case, CaseEvent
from backoffice.cases.operations import record_case_event
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.periodic import BATCH, every
from backoffice.patients.restriction import not_erased
from backoffice.templating import format_datetime

DUE_FORMAT = "%d %b %Y %H:%M"


def is_overdue(case: Case, now: datetime | None = None) -> bool:
    """First contact not made and the 24-hour answer window has passed."""
    return case.state == "new" and case.first_response_due_at < (now or utcnow())


def first_response_time(case: Case) -> timedelta | None:
    return case.first_response_at - case.requested_at if case.first_response_at else None


@every(timedelta(minutes=15), "cases.sla_alerts")
def sla_alerts() -> dict:
    """New treatment requests past their first-answer deadline get one alert on their timeline (an erased patient's
    case is no one's work any more)."""
    now = utcnow()
    already = exists().where(and_(CaseEvent.case_id == Case.id, CaseEvent.kind == "sla_breached"))
    cases = db.session.scalars(
        select(Case)
        .where(
            Case.state == "new",
            Case.first_response_at.is_(None),
            Case.first_response_due_at < now,
            ~already,
            not_erased(Case.patient_id),
        )
        .order_by(Case.first_response_due_at)
        .limit(BATCH)
    ).all()
    hours = settings().first_response_hours
    for case in cases:
        record_case_event(
            case,
            "sla_breached",
            None,
            note=f"No answer within {hours} hours: due by {format_datetime(case.first_response_due_at, DUE_FORMAT)}",
        )
    db.session.commit()
    return {"alerts": len(cases)}
