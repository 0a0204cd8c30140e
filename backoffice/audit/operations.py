"""The admin's reads of the audit trail: the actions seen so far and a case's access history."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.pagination import Page, paginate
from backoffice.trail import ACCESS_REFUSED, HEALTH_DATA_READ, PAGE_SIZE, AuditEvent


def known_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


# What the access history of a case can be narrowed to; "changes" is everything else recorded on the case.
HISTORY_KINDS = {
    "reads": N_("Reads of health data"),
    "refusals": N_("Refused requests"),
    "changes": N_("Changes and downloads"),
}


def case_access_history(case_id: int, *, page: int = 1, kind: str | None = None) -> Page[AuditEvent]:
    """Everything the audit log holds on a case, newest first: reads, refusals, changes; two statements a page."""
    query = select(AuditEvent).where(AuditEvent.object_type == "case", AuditEvent.object_id == str(case_id))
    if kind == "reads":
        query = query.where(AuditEvent.action == HEALTH_DATA_READ)
    elif kind == "refusals":
        query = query.where(AuditEvent.action == ACCESS_REFUSED)
    elif kind == "changes":
        query = query.where(AuditEvent.action.not_in((HEALTH_DATA_READ, ACCESS_REFUSED)))
    return paginate(
        query,
        page=page,
        per_page=PAGE_SIZE,
        order_by=(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()),
        options=(joinedload(AuditEvent.actor),),
    )
