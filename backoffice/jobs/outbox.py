"""Recording jobs with the change that needs them, and sending them to RQ (the dispatcher).

`record_job` adds an outbox row in the caller's transaction: the job exists exactly when the change commits.
`dispatch` sends due rows to RQ and marks them sent with a lease; a row whose lease ran out without the job
finishing (a worker killed with -9, a Redis that lost its queue) is sent again. Jobs are idempotent, so sending
twice costs a no-op at worst. Redis being down leaves rows pending until it is back. Rows of a job registered
with a `batch_size` go to the workers in batches (one RQ job, `runner.run_batch`, for up to that many rows).
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from redis.exceptions import RedisError
from rq.job import Job, JobStatus
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError

from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs import get_queue
from backoffice.jobs.models import OutboxEntry
from backoffice.jobs.runner import JOBS, check_job_name, give_up, lease

log = logging.getLogger(__name__)

RUNNER = "backoffice.jobs.runner.run_entry"
BATCH_RUNNER = "backoffice.jobs.runner.run_batch"


def job_timeout() -> int:
    return settings().job_timeout_seconds


def record_job(job: str, args: dict, key: str, *, available_at: datetime | None = None) -> OutboxEntry:
    """The outbox row for a piece of work (found, not duplicated, when `key` was recorded before)."""
    check_job_name(job)
    existing = db.session.scalar(select(OutboxEntry).where(OutboxEntry.key == key))
    if existing is not None:
        return existing
    entry = OutboxEntry(job=job, args=args, key=key, state="pending", available_at=available_at or utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(entry)
    except IntegrityError:  # recorded by a concurrent transaction meanwhile
        return db.session.scalars(select(OutboxEntry).where(OutboxEntry.key == key)).one()
    return entry


def _due(now: datetime):
    return or_(
        (OutboxEntry.state == "pending") & (OutboxEntry.available_at <= now),
        (OutboxEntry.state == "enqueued") & (OutboxEntry.lease_until < now),
    )


def due_entries(now: datetime, limit: int) -> list[OutboxEntry]:
    query = (
        select(OutboxEntry)
        .where(_due(now))
        .order_by(OutboxEntry.available_at, OutboxEntry.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return list(db.session.scalars(query))


def dispatch(*, limit: int = 200, now: datetime | None = None) -> int:
    """Send the due outbox rows to RQ. Returns how many were sent. Raises RedisError when Redis is down (the row
    being sent then stays as it was; those sent before it are marked sent).

    Each row is marked sent and written before its job goes to Redis, and committed right after: the write holds the
    row (PostgreSQL) or the database (SQLite) until the commit, so a worker that finishes the job at once cannot
    have its "done" overwritten by the dispatcher."""
    now = now or utcnow()
    entries = due_entries(now, limit)
    if not entries:
        db.session.rollback()
        return 0
    queue = get_queue()
    sent = 0
    exhausted: list[int] = []
    max_dispatches = settings().job_max_dispatches
    batch: list[OutboxEntry] = []  # rows of a batched job, marked sent and not yet committed: one RQ job for them
    for entry_id in [entry.id for entry in entries]:
        # Each row is taken again, locked and still due: the commit after the previous row released the locks of
        # the batch, and another dispatcher may have sent this one meanwhile.
        entry = db.session.scalar(
            select(OutboxEntry)
            .where(OutboxEntry.id == entry_id, _due(now))
            .with_for_update(skip_locked=True)
            .execution_options(populate_existing=True)
        )
        if entry is None:
            if not batch:
                db.session.rollback()
            continue
        redispatch = entry.state == "enqueued"
        if redispatch and _still_waiting(queue, entry.rq_job_id):
            entry.lease_until = now + lease()  # no worker took it yet: not lost, not sent again, not counted
            if not batch:
                db.session.commit()
            continue
        if redispatch and entry.dispatches >= max_dispatches:
            exhausted.append(entry.id)
            continue
        size = _batch_size(entry.job)
        if batch and (batch[0].job != entry.job or size <= 1):
            sent += _send(queue, batch, now)
            batch = []
        if redispatch:
            log.warning("outbox %s (%s) sent again: its lease ran out unfinished", entry.id, entry.job)
        batch.append(entry)
        if len(batch) >= size:
            sent += _send(queue, batch, now)
            batch = []
    if batch:
        sent += _send(queue, batch, now)
    db.session.commit()
    _give_up_exhausted(exhausted, max_dispatches, now)
    return sent


def _batch_size(job: str) -> int:
    spec = JOBS.get(job)
    return spec.batch_size if spec is not None else 1


def _send(queue, entries: list[OutboxEntry], now: datetime) -> int:
    """Mark `entries` sent (written, so the rows stay held), send them to RQ as one job, commit. Returns how many."""
    job_id = f"outbox-{entries[0].id}-{entries[0].dispatches + 1}-{secrets.token_hex(4)}"
    for entry in entries:
        entry.dispatches += 1
        entry.state = "enqueued"
        entry.rq_job_id = job_id
        entry.enqueued_at = now
        entry.lease_until = now + lease()
    db.session.flush()
    first = entries[0]
    if len(entries) == 1:
        runner, args = RUNNER, first.id
        meta = {"outbox_id": first.id, "job": first.job, "dispatch": first.dispatches}
        description = f"{first.job} {first.args}"
    else:
        runner, args = BATCH_RUNNER, [entry.id for entry in entries]
        meta = {"job": first.job, "dispatches": {str(entry.id): entry.dispatches for entry in entries}}
        description = f"{first.job} x {len(entries)}: rows {entries[0].id}..{entries[-1].id}"
    try:
        queue.enqueue(
            runner,
            args,
            job_id=job_id,
            job_timeout=job_timeout() * len(entries),
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
            description=description,
            meta=meta,
        )
    except RedisError:
        db.session.rollback()
        raise
    db.session.commit()
    return len(entries)


def _give_up_exhausted(entry_ids: list[int], max_dispatches: int, now: datetime) -> None:
    for entry_id in entry_ids:
        entry = db.session.get(OutboxEntry, entry_id, with_for_update=True, populate_existing=True)
        if entry is None or entry.state != "enqueued" or not entry.lease_until or entry.lease_until >= now:
            db.session.rollback()  # it finished, or someone else dealt with it, meanwhile
            continue
        log.error("outbox %s (%s) never finished in %s sends: given up", entry.id, entry.job, max_dispatches)
        give_up(entry, f"sent {entry.dispatches} times without ever finishing (see the failed jobs)")


def _still_waiting(queue, job_id: str | None) -> bool:
    """Whether the job sent last is still waiting for a worker: in the queue itself (a job a dying worker popped
    keeps its "queued" status but has left the queue), or deferred or scheduled."""
    if not job_id:
        return False
    job = Job.fetch_many([job_id], connection=queue.connection)[0]
    if job is None:
        return False
    status = job.get_status(refresh=False)
    if status == JobStatus.QUEUED:
        return queue.get_job_position(job_id) is not None
    return status in (JobStatus.DEFERRED, JobStatus.SCHEDULED)


def kick() -> None:
    """Send what is due right away (after a request committed work); the dispatcher catches up if this fails."""
    try:
        dispatch(limit=50)
    except RedisError as error:
        db.session.rollback()
        log.warning("jobs stay in the outbox until Redis answers again: %s", error)


def pending_count() -> int:
    return db.session.scalar(
        select(func.count()).select_from(OutboxEntry).where(OutboxEntry.state.in_(("pending", "enqueued")))
    )
