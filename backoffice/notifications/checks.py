"""The periodic check of new treatment requests against their first-contact deadline (cases.sla): due within two
hours, and overdue, each told once per case to its coordinator, or to every coordinator while nobody has taken it."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import and_, exists, select

from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.periodic import BATCH, every
from backoffice.notifications.models import Notification
from backoffice.notifications.operations import notify_case
from backoffice.patients.restriction import not_erased

DUE_SOON = timedelta(hours=2)


@every(timedelta(minutes=15), "notifications.first_contact")
def first_contact_checks() -> dict:
    """New requests without a first contact: due within DUE_SOON -> "first_contact_due", past due ->
    "first_contact_overdue"; a case already told of a kind is not looked at again for it."""
    now = utcnow()
    due = _waiting("first_contact_due", Case.first_response_due_at > now, Case.first_response_due_at <= now + DUE_SOON)
    for case in due:
        notify_case("first_contact_due", case, key=f"case:{case.id}", everyone_if_unassigned=True)
    overdue = _waiting("first_contact_overdue", Case.first_response_due_at <= now)
    for case in overdue:
        notify_case("first_contact_overdue", case, key=f"case:{case.id}", everyone_if_unassigned=True)
    db.session.commit()
    return {"due": len(due), "overdue": len(overdue)}


def _waiting(kind: str, *conditions) -> list[Case]:
    told = exists().where(and_(Notification.case_id == Case.id, Notification.kind == kind))
    return list(
        db.session.scalars(
            select(Case)
            .where(
                Case.state == "new", Case.first_response_at.is_(None), *conditions, ~told, not_erased(Case.patient_id)
            )
            .order_by(Case.first_response_due_at)
            .limit(BATCH)
        )
    )
