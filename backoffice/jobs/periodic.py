"""Jobs that run on a schedule, through the same outbox as every other job.

The dispatcher records one outbox row per job and time slot (key `<job>@<slot start>`), so however many dispatchers
run, each slot's job is recorded once, and a slot missed while everything was down is caught up once, not many times.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select

from backoffice.cases import reminders
from backoffice.cases.models import Case, CaseEvent
from backoffice.cases.operations import record_case_event
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.outbox import record_job
from backoffice.templating import format_datetime
from backoffice.trail import AuditEvent, record_event

# job name -> how often it runs
SCHEDULE = {
    "cases.sla_alerts": timedelta(minutes=15),
    "logistics.follow_up_reminders": timedelta(hours=1),
}
BATCH = 500
DUE_FORMAT = "%d %b %Y %H:%M"


def slot_start(now: datetime, every: timedelta) -> datetime:
    seconds = int(every.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def record_due(now: datetime | None = None) -> int:
    """Record this slot's row of every scheduled job (a no-op when it exists). Flushes; returns how many are new."""
    now = now or utcnow()
    created = 0
    for job, every in SCHEDULE.items():
        start = slot_start(now, every)
        key = f"{job}@{start.isoformat()}"
        entry = record_job(job, {}, key=key, available_at=start)
        created += entry.dispatches == 0 and entry.state == "pending"
    return created


def sla_alerts() -> dict:
    """New treatment requests past their first-answer deadline get one alert on their timeline."""
    now = utcnow()
    already = exists().where(and_(CaseEvent.case_id == Case.id, CaseEvent.kind == "sla_breached"))
    cases = db.session.scalars(
        select(Case)
        .where(Case.state == "new", Case.first_response_at.is_(None), Case.first_response_due_at < now, ~already)
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


def follow_up_reminders() -> dict:
    """Follow-ups due by tomorrow get one line on their case's timeline and one system reminder about each (closed
    when the follow-up is done or cancelled; the case's other reminders stay as they are)."""
    from backoffice.logistics.models import FollowUp

    tomorrow = utcnow().date() + timedelta(days=1)
    reminded = exists().where(
        and_(
            AuditEvent.action == "follow_up.reminder",
            AuditEvent.object_type == "follow_up",
            AuditEvent.object_id == db.cast(FollowUp.id, db.String),
        )
    )
    rows = db.session.execute(
        select(FollowUp, Case)
        .join(Case, Case.id == FollowUp.case_id)
        .where(FollowUp.status == "due", FollowUp.due_on <= tomorrow, Case.state != "cancelled", ~reminded)
        .order_by(FollowUp.due_on, FollowUp.id)
        .limit(BATCH)
    ).all()
    for follow_up, case in rows:
        record_case_event(case, "follow_up", None, note=f"Follow-up due {follow_up.due_on:%d %b %Y}: {follow_up.label}")
        reminders.remind(
            case,
            source="follow_up",
            source_id=follow_up.id,
            text=f"Follow-up: {follow_up.label}",
            due_on=follow_up.due_on,
        )
        record_event(
            "follow_up.reminder", object_type="follow_up", object_id=follow_up.id, details={"case_id": case.id}
        )
    db.session.commit()
    return {"reminders": len(rows)}
