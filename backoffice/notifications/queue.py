"""The queue's notifications once a case is taken: what told every coordinator about a waiting case stops asking
for anyone's attention when someone coordinates it (answers `cases.signals.coordinator_assigned`)."""

from __future__ import annotations

from sqlalchemy import and_, false, or_, update

from backoffice.cases import signals as case_signals
from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.notifications.models import Notification

# What every coordinator is told while a case waits in the queue (`notify_case(..., everyone_if_unassigned=True)`).
QUEUE_KINDS = ("new_request", "first_contact_due", "first_contact_overdue")


@case_signals.coordinator_assigned.connect
def case_taken(case: Case, *, coordinator_id: int, actor_id: int | None) -> int:
    """Mark read the queue's notifications of the case for the other coordinators (the case needs none of them now),
    and the new coordinator's own "new request" when they took the case themself (they know it is there). The new
    coordinator keeps a first-contact deadline: it is theirs now. Returns how many were marked (one statement)."""
    own_news = (
        and_(Notification.user_id == coordinator_id, Notification.kind == "new_request")
        if actor_id == coordinator_id
        else false()
    )
    result = db.session.execute(
        update(Notification)
        .where(
            Notification.case_id == case.id,
            Notification.kind.in_(QUEUE_KINDS),
            Notification.read_at.is_(None),
            or_(Notification.user_id != coordinator_id, own_news),
        )
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
