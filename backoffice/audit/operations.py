"""Writing and reading the audit log."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.audit.models import AuditEvent
from backoffice.extensions import db
from backoffice.pagination import Page, paginate

PAGE_SIZE = 50


def client_address() -> str | None:
    """The caller's address as the WSGI server saw it (ProxyFix, when configured, has already applied)."""
    return request.remote_addr if has_request_context() else None


def record_event(
    action: str,
    *,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    details: dict[str, Any] | None = None,
    remote_addr: str | None = None,
) -> AuditEvent:
    """Append one row to the audit log, in the caller's transaction (it commits or rolls back with the change)."""
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details or {},
        remote_addr=remote_addr or client_address(),
    )
    db.session.add(event)
    db.session.flush()
    return event


def list_events(
    *,
    page: int = 1,
    action: str | None = None,
    actor_id: int | None = None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    changes_only: bool = False,
) -> Page[AuditEvent]:
    """Newest first, filtered, each with its actor loaded in the same statement.

    `changes_only` leaves out the reads of health data and the refused requests (the many rows of looking).
    """
    from backoffice.audit.reads import ACCESS_REFUSED, HEALTH_DATA_READ

    query = select(AuditEvent)
    if changes_only:
        query = query.where(AuditEvent.action.not_in((HEALTH_DATA_READ, ACCESS_REFUSED)))
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id is not None:
        query = query.where(AuditEvent.object_id == str(object_id))
    return paginate(
        query,
        page=page,
        per_page=PAGE_SIZE,
        order_by=(AuditEvent.occurred_at.desc(), AuditEvent.id.desc()),
        options=(joinedload(AuditEvent.actor),),
    )


def known_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


# What the access history of a case can be narrowed to; "changes" is everything else recorded on the case.
HISTORY_KINDS = {"reads": "Reads of health data", "refusals": "Refused requests", "changes": "Changes and downloads"}


def case_access_history(case_id: int, *, page: int = 1, kind: str | None = None) -> Page[AuditEvent]:
    """Everything the audit log holds on a case, newest first: reads, refusals, changes; two statements a page."""
    from backoffice.audit.reads import ACCESS_REFUSED, HEALTH_DATA_READ

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
