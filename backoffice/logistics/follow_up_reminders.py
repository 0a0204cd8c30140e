"""The hourly reminder about follow-ups falling due: one timeline line and one system reminder per follow-up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, select

from backoffice.cases import reminders
from backoffice.cases.models import Case
from backoffice.cases.operations import record_case_event
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.periodic import BATCH, every
from backoffice.logistics.models import FollowUp
from backoffice.trail import AuditEvent, record_event


def recorded_for(action: str):
    """SQL, on follow_ups: the audit trail holds an `action` row about the follow-up (these jobs run once a row)."""
    return exists().where(
        and_(
            AuditEvent.action == action,
            AuditEvent.object_type == "follow_up",
            AuditEvent.object_id == db.cast(FollowUp.id, db.String),
        )
    )


@every(timedelta(hours=1), "logistics.follow_up_reminders")
def follow_up_reminders() -> dict:
    """Follow-ups due by tomorrow get one line on their case's timeline and one system reminder about each (closed
    when the follow-up is done or cancelled; the case's other reminders stay as they are)."""
    tomorrow = utcnow().date() + timedelta(days=1)
    reminded = recorded_for("follow_up.reminder")
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
