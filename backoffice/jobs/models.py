"""The job outbox: jobs to run, recorded in the database in the same transaction as the change that needs them.

Redis may be down when an order is submitted, and a worker may die in the middle of a job. Neither loses work: the
job is a row here first; the dispatcher (`flask jobs dispatch`) sends due rows to RQ and sends again the ones that
were sent but never finished within their lease. Jobs are idempotent, so a job sent twice does its work once.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db

OUTBOX_STATES = ("pending", "enqueued", "done", "failed")


class OutboxEntry(db.Model):
    __tablename__ = "job_outbox"
    __table_args__ = (
        CheckConstraint(f"state IN ({', '.join(repr(s) for s in OUTBOX_STATES)})", name="state"),
        Index("ix_job_outbox_state_available_at", "state", "available_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(100))  # a name from the registry in backoffice/jobs/registry.py
    args: Mapped[dict] = mapped_column(JSON, default=dict)  # ids and plain values only
    # One entry per piece of work: the second request for the same work finds the first.
    key: Mapped[str] = mapped_column(String(200), unique=True)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    available_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)  # not before (scheduled jobs)
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)  # sent again after this if not finished
    dispatches: Mapped[int] = mapped_column(default=0)  # times sent to RQ
    attempts: Mapped[int] = mapped_column(default=0)  # runs that ended in a transient error
    rq_job_id: Mapped[str | None] = mapped_column(String(100))
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
