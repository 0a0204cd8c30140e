"""The administrators' page of background jobs: RQ's queues, workers and failed jobs beside the job outbox.

The outbox half is read from the database and is always shown. The RQ half needs Redis; when Redis does not answer,
the page says so instead of failing. A job that gave up is requeued through its outbox row: the job's `on_requeue`
hook reopens the work (a failed medicine order goes back to its step) and the row is sent again with fresh attempts.

The page only reads: RQ's registries are counted and listed without their `cleanup()`, which moves jobs between
registries and would make a GET change something.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from flask import flash, redirect, render_template, url_for
from flask_login import current_user
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, Worker
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from rq.results import Result
from sqlalchemy import case, func, select

from backoffice.auth.permissions import ADMIN, roles_required
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.forms import ConfirmForm
from backoffice.jobs import QUEUES, bp, outbox, periodic, redis_connection, runner
from backoffice.jobs.models import OUTBOX_STATES, OutboxEntry
from backoffice.params import MAX_ID
from backoffice.trail import record_event

log = logging.getLogger(__name__)

PAGE_ROWS = 50  # rows of each list on the page, newest first
_JOB_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")  # RQ's own ids are hex; the outbox's are outbox-<row>-<dispatch>
REDIS_DOWN = "Redis does not answer"


class RequeueRefused(DomainError):
    status_code = 409


class RedisUnavailable(DomainError):
    status_code = 503


# ---------------------------------------------------------------------------------------------- reading


@dataclass(frozen=True)
class QueueCounts:
    name: str
    queued: int
    started: int
    scheduled: int
    failed: int
    finished: int


@dataclass(frozen=True)
class WorkerInfo:
    name: str
    state: str
    current_job_id: str | None
    successful: int
    failed: int
    last_heartbeat: datetime | None
    queues: tuple[str, ...]
    hostname: str | None
    pid: int | None


@dataclass
class FailedJob:
    id: str
    queue: str
    description: str
    outbox_id: int | None
    failed_at: datetime | None
    traceback: str
    entry: OutboxEntry | None = None  # its outbox row, when it still exists


@dataclass(frozen=True)
class RQOverview:
    queues: list[QueueCounts]
    workers: list[WorkerInfo]
    failed_jobs: list[FailedJob]  # the PAGE_ROWS most recent
    failed_total: int


@dataclass(frozen=True)
class OpenRow:
    entry: OutboxEntry
    status: str  # scheduled, due, sent, lease ran out
    note: str  # why it waits, when it is not plain


@dataclass(frozen=True)
class OutboxOverview:
    counts: dict[str, int]  # rows per state
    due: int  # pending rows whose time has come
    scheduled: int  # pending rows not before a later time: tracking polls, retries after backoff, periodic jobs
    open_rows: list[OpenRow]  # pending and enqueued, the PAGE_ROWS most recent
    failed_rows: list[OutboxEntry]  # gave up or refused, the PAGE_ROWS most recent


def _redis() -> Redis:
    """A connection that gives up quickly: the page waits seconds at most for a Redis that does not answer."""
    return redis_connection(timeout=settings().health_redis_timeout_seconds)


def _outbox_id(job: Job) -> int | None:
    value = (job.meta or {}).get("outbox_id")
    valid = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
    return value if valid else None


def _traceback(job: Job) -> str:
    result = job.latest_result()
    if result is not None and result.type == Result.Type.FAILED:
        return result.exc_string or ""
    return ""


def rq_overview(connection: Redis) -> RQOverview:
    """Queues with their registries' sizes, the workers, and the most recent failed jobs. Raises RedisError."""
    queues = [Queue(name, connection=connection) for name in QUEUES]
    counts = [
        QueueCounts(
            name=queue.name,
            queued=queue.count,
            started=queue.started_job_registry.get_job_count(cleanup=False),
            scheduled=queue.scheduled_job_registry.get_job_count(cleanup=False),
            failed=queue.failed_job_registry.get_job_count(cleanup=False),
            finished=queue.finished_job_registry.get_job_count(cleanup=False),
        )
        for queue in queues
    ]
    workers = [
        WorkerInfo(
            name=worker.name,
            state=worker.get_state(),
            current_job_id=worker.get_current_job_id(),
            successful=worker.successful_job_count,
            failed=worker.failed_job_count,
            last_heartbeat=worker.last_heartbeat,
            queues=tuple(queue.name for queue in worker.queues),
            hostname=worker.hostname,
            pid=worker.pid,
        )
        for worker in sorted(Worker.all(connection=connection), key=lambda worker: worker.name)
    ]
    failed: list[FailedJob] = []
    for queue, queue_counts in zip(queues, counts, strict=True):
        # Scored by expiry (failure time + the job's failure TTL, the same for every outbox job): newest last.
        ids = queue.failed_job_registry.get_job_ids(0, PAGE_ROWS - 1, desc=True, cleanup=False)
        for job in Job.fetch_many(ids, connection=connection):
            if job is None:  # its data expired before the registry entry was cleaned up
                continue
            failed.append(
                FailedJob(
                    id=job.id,
                    queue=queue_counts.name,
                    description=job.description or job.func_name,
                    outbox_id=_outbox_id(job),
                    failed_at=job.ended_at,
                    traceback=_traceback(job),
                )
            )
    failed.sort(key=lambda job: job.failed_at.timestamp() if job.failed_at else 0, reverse=True)
    return RQOverview(counts, workers, failed[:PAGE_ROWS], sum(queue.failed for queue in counts))


def _open_row(entry: OutboxEntry, now: datetime) -> OpenRow:
    if entry.state == "enqueued":
        if entry.lease_until is not None and entry.lease_until < now:
            return OpenRow(entry, "lease ran out", "not finished in time; the dispatcher sends it again")
        return OpenRow(entry, "sent", "")
    if entry.available_at <= now:
        return OpenRow(entry, "due", "waits for the dispatcher")
    if entry.job in periodic.SCHEDULE:
        note = "periodic job"
    elif entry.attempts:
        note = f"retry {entry.attempts + 1} after backoff"
    elif entry.job == "shipments.track":
        note = f"tracking check {(entry.args or {}).get('poll', 1)}"
    else:
        note = ""
    return OpenRow(entry, "scheduled", note)


def outbox_overview(now: datetime) -> OutboxOverview:
    """Counts per state and the open and failed rows: three statements whatever the size of the outbox."""
    later = func.coalesce(func.sum(case((OutboxEntry.available_at > now, 1), else_=0)), 0)
    counts = dict.fromkeys(OUTBOX_STATES, 0)
    scheduled = 0
    for state, count, not_yet in db.session.execute(
        select(OutboxEntry.state, func.count(), later).group_by(OutboxEntry.state)
    ):
        counts[state] = count
        if state == "pending":
            scheduled = int(not_yet)
    open_rows = db.session.scalars(
        select(OutboxEntry)
        .where(OutboxEntry.state.in_(("pending", "enqueued")))
        .order_by(OutboxEntry.id.desc())
        .limit(PAGE_ROWS)
    ).all()
    failed_rows = db.session.scalars(
        select(OutboxEntry)
        .where(OutboxEntry.state == "failed")
        .order_by(OutboxEntry.finished_at.desc(), OutboxEntry.id.desc())
        .limit(PAGE_ROWS)
    ).all()
    return OutboxOverview(
        counts=counts,
        due=counts["pending"] - scheduled,
        scheduled=scheduled,
        open_rows=[_open_row(entry, now) for entry in open_rows],
        failed_rows=list(failed_rows),
    )


def _attach_entries(failed_jobs: list[FailedJob]) -> None:
    ids = {job.outbox_id for job in failed_jobs if job.outbox_id is not None}
    if not ids:
        return
    entries = {entry.id: entry for entry in db.session.scalars(select(OutboxEntry).where(OutboxEntry.id.in_(ids)))}
    for job in failed_jobs:
        job.entry = entries.get(job.outbox_id)


def _render_overview(status: int = 200):
    now = utcnow()
    outbox_state = outbox_overview(now)
    rq, redis_error = None, None
    try:
        rq = rq_overview(_redis())
    except RedisError as error:
        log.warning("jobs page: Redis does not answer: %s", error)
        redis_error = str(error) or type(error).__name__
    if rq is not None:
        _attach_entries(rq.failed_jobs)
    return (
        render_template(
            "jobs/overview.html",
            rq=rq,
            redis_error=redis_error,
            outbox=outbox_state,
            now=now,
            page_rows=PAGE_ROWS,
            confirm_form=ConfirmForm(),
        ),
        status,
    )


@bp.route("")
@roles_required(ADMIN)
def overview():
    return _render_overview()


# ---------------------------------------------------------------------------------------------- requeueing


def _describe(entry: OutboxEntry) -> str:
    args = ", ".join(f"{key}={value}" for key, value in (entry.args or {}).items())
    return f"#{entry.id} {entry.job}" + (f" ({args})" if args else "")


_NOT_FAILED = {
    "pending": "it already waits to run again",
    "enqueued": "it is with the workers; the dispatcher sends it again if its lease runs out",
    "done": "it has run to the end since",
}


def _reopen_entry(entry: OutboxEntry, *, actor_id: int, failed_job_id: str | None) -> None:
    """Give a job that gave up (or was refused) a second chance: its hook reopens the work, the row is due again
    with fresh attempts, and the audit log says who did it. Flushes; the caller commits, then dispatches."""
    if entry.state != "failed":
        reason = _NOT_FAILED.get(entry.state, f"it is {entry.state}")
        raise RequeueRefused(f"Job {_describe(entry)} is not failed: {reason}. There is nothing to requeue.")
    previous_error = entry.last_error or ""
    try:
        runner.requeue(entry)
    except ValueError as error:  # a row naming a job the product no longer has
        raise RequeueRefused(f"Job {_describe(entry)} cannot be requeued: {error}.") from None
    record_event(
        "job.requeued",
        actor_id=actor_id,
        object_type="job_outbox",
        object_id=entry.id,
        details={"job": entry.job, "args": entry.args, "rq_job_id": failed_job_id, "error": previous_error[:500]},
    )


def _forget_failed_jobs(job_ids: set[str]) -> None:
    """Take requeued work's failed RQ jobs off the failed list, so the page does not show it twice. Best effort:
    the requeue is committed already, and a failed job left behind is refused a second requeue."""
    try:
        connection = _redis()
        for job_id in job_ids:
            if not any(FailedJobRegistry(name, connection=connection).remove(job_id) for name in QUEUES):
                continue  # not a failed job (the last run of a refused job finished, for one)
            with contextlib.suppress(NoSuchJobError):  # its data expired already
                Job.fetch(job_id, connection=connection).delete()
    except RedisError as error:
        log.warning("requeued, but its failed RQ job stays listed (Redis: %s)", error)


def _send(entry_id: int, sent_before: str | None, description: str, forget: set[str]) -> str:
    """After the commit: off the failed list, then to the workers at once (the dispatcher catches up otherwise)."""
    _forget_failed_jobs({job_id for job_id in forget if job_id})
    outbox.kick()
    # A row sent to RQ gets the id of its new RQ job; a failed send leaves it as it was.
    if db.session.scalar(select(OutboxEntry.rq_job_id).where(OutboxEntry.id == entry_id)) != sent_before:
        return f"Job {description} is requeued: the work is open again and was sent to the workers."
    return f"Job {description} is requeued; it waits in the outbox until Redis answers and the dispatcher sends it."


def _requeue_entry(entry: OutboxEntry, failed_job_id: str | None) -> str:
    entry_id, description, sent_before = entry.id, _describe(entry), entry.rq_job_id
    _reopen_entry(entry, actor_id=current_user.id, failed_job_id=failed_job_id)
    db.session.commit()
    return _send(entry_id, sent_before, description, {failed_job_id, sent_before})


def _locked_entry(entry_id: int) -> OutboxEntry | None:
    """The row, locked until the commit (PostgreSQL): of two administrators requeueing it at once, one does."""
    return db.session.get(OutboxEntry, entry_id, with_for_update=True, populate_existing=True)


def _find_failed_job(connection: Redis, job_id: str) -> tuple[FailedJobRegistry, Job]:
    if _JOB_ID.match(job_id):
        for name in QUEUES:
            registry = FailedJobRegistry(name, connection=connection)
            if job_id in registry:
                try:
                    return registry, Job.fetch(job_id, connection=connection)
                except NoSuchJobError:
                    break
    raise NotFound("There is no failed job with this id: it was requeued or it expired meanwhile.")


def _requeue(change: Callable[[], str]):
    """Run one requeue; on a refusal show the page again with the reason and a 4xx (503 when Redis is down)."""
    try:
        message = change()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_overview(error.status_code)
    except RedisError as error:
        db.session.rollback()
        log.warning("requeue refused: Redis does not answer: %s", error)
        flash(f"{REDIS_DOWN}, so the failed job cannot be read or requeued. Try again when it is back.", "error")
        return _render_overview(503)
    flash(message, "success")
    return redirect(url_for("jobs.overview"))


@bp.route("/failed/<job_id>/requeue", methods=["POST"])
@roles_required(ADMIN)
def requeue_failed_job(job_id: str):
    def change() -> str:
        registry, job = _find_failed_job(_redis(), job_id)
        outbox_id = _outbox_id(job)
        if outbox_id is None:  # enqueued by hand, not through the outbox: RQ runs it again as it was
            try:
                registry.requeue(job)
            except InvalidJobOperation:
                raise NotFound("There is no failed job with this id: it was requeued meanwhile.") from None
            record_event(
                "job.requeued",
                actor_id=current_user.id,
                object_type="rq_job",
                object_id=job.id[:64],
                details={"rq_job_id": job.id, "description": (job.description or "")[:500], "queue": registry.name},
            )
            db.session.commit()
            return f"Job {job.id} is back in the {registry.name} queue."
        entry = _locked_entry(outbox_id)
        if entry is None:
            raise RequeueRefused(f"The outbox row #{outbox_id} of job {job.id} no longer exists; nothing to requeue.")
        return _requeue_entry(entry, job.id)

    return _requeue(change)


@bp.route("/outbox/<int:entry_id>/requeue", methods=["POST"])
@roles_required(ADMIN)
def requeue_outbox_entry(entry_id: int):
    def change() -> str:
        entry = _locked_entry(entry_id) if entry_id <= MAX_ID else None
        if entry is None:
            raise NotFound("There is no such job in the outbox.")
        return _requeue_entry(entry, None)

    return _requeue(change)
