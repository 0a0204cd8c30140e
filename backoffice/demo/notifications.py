"""What the demo's staff find in their notification centre: the newest requests in the queue, then whatever the
periodic checks tell on the demo's cases (first contacts due or overdue, itinerary problems before travel), as
`make run`'s dispatcher would within minutes anyway. The demo bill already told its case's coordinator."""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.logistics.itinerary.alerts import itinerary_alerts
from backoffice.notifications.checks import first_contact_checks
from backoffice.notifications.models import Notification
from backoffice.notifications.operations import notify_case

NEWEST_REQUESTS = 3


def seed_notifications() -> int:
    """Notify the coordinators of the newest unassigned requests, run the checks once, and mark each coordinator's
    oldest notification read (so the centre shows both). Commits; returns how many notifications there are."""
    newest = db.session.scalars(
        select(Case)
        .where(Case.state == "new", Case.coordinator_id.is_(None))
        .order_by(Case.requested_at.desc())
        .limit(NEWEST_REQUESTS)
    )
    for case in newest:
        notify_case("new_request", case, key=f"case:{case.id}", everyone_if_unassigned=True)
    first_contact_checks()
    itinerary_alerts()
    oldest: dict[int, Notification] = {}
    for notification in db.session.scalars(select(Notification).order_by(Notification.created_at.desc())):
        oldest[notification.user_id] = notification
    for notification in oldest.values():
        notification.read_at = notification.created_at
    db.session.commit()
    return db.session.scalar(select(func.count()).select_from(Notification)) or 0
