"""The audit trail: one table every feature appends to and nothing rewrites.

Who did what to which record, when (UTC) and from where. Every feature writes it through `record_event`, in the
caller's transaction; a refusal that must be remembered (who tried what) is kept after the rollback by
`errors.keep_trace`. Reads of health data and refused requests are written by `auth.reads`; the admin's pages over
the trail are in the `audit` feature.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import has_request_context, request
from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, joinedload, mapped_column, relationship

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.pagination import Page, paginate

PAGE_SIZE = 50
# Rows written by auth.reads after a request: many rows of looking, left out where only changes matter.
HEALTH_DATA_READ = "health_data_read"
ACCESS_REFUSED = "access_refused"


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str | None] = mapped_column(String(64))
    object_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    remote_addr: Mapped[str | None] = mapped_column(String(64))

    actor = relationship("User", lazy="raise")

    def __repr__(self) -> str:
        return f"<AuditEvent {self.id} {self.action}>"


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
