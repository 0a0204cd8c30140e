"""What the administrators' jobs page reads: RQ's queues, workers and failed jobs, and the job outbox.

Only reads: RQ's registries are counted and listed without their `cleanup()`, which moves jobs between registries and
would make a GET change something.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from redis import Redis
from rq import Queue, Worker
from rq.job import Job
from rq.results import Result
from sqlalchemy import case, func, select

from backoffice.extensions import db
from backoffice.jobs import QUEUES, periodic
from backoffice.jobs.models import OUTBOX_STATES, OutboxEntry
from backoffice.jobs.operations import outbox_id_of
from backoffice.languages import N_

PAGE_ROWS = 50  # rows of each list on the page, newest first


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


# An outbox row's state as the page names it (the failed RQ jobs' rows).
STATE_LABELS = {"pending": N_("pending"), "enqueued": N_("enqueued"), "done": N_("done"), "failed": N_("failed")}
# A worker's state as RQ reports it, named on the page.
WORKER_STATES = {"idle": N_("idle"), "busy": N_("busy"), "started": N_("started"), "suspended": N_("suspended")}
STATUS_LABELS = {
    "scheduled": N_("scheduled"),
    "due": N_("due"),
    "sent": N_("sent"),
    "lease ran out": N_("lease ran out"),
}


@dataclass(frozen=True)
class OpenRow:
    entry: OutboxEntry
    status: str  # scheduled, due, sent, lease ran out
    note: str  # why it waits, when it is not plain (in the page's language)

    @property
    def status_label(self) -> str:
        return _(STATUS_LABELS[self.status])


@dataclass(frozen=True)
class OutboxOverview:
    counts: dict[str, int]  # rows per state
    due: int  # pending rows whose time has come
    scheduled: int  # pending rows not before a later time: tracking polls, retries after backoff, periodic jobs
    open_rows: list[OpenRow]  # pending and enqueued, the PAGE_ROWS most recent
    failed_rows: list[OutboxEntry]  # gave up or refused, the PAGE_ROWS most recent


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
                    outbox_id=outbox_id_of(job),
                    failed_at=job.ended_at,
                    traceback=_traceback(job),
                )
            )
    failed.sort(key=lambda job: job.failed_at.timestamp() if job.failed_at else 0, reverse=True)
    return RQOverview(counts, workers, failed[:PAGE_ROWS], sum(queue.failed for queue in counts))


def _open_row(entry: OutboxEntry, now: datetime) -> OpenRow:
    if entry.state == "enqueued":
        if entry.lease_until is not None and entry.lease_until < now:
            return OpenRow(entry, "lease ran out", _("not finished in time; the dispatcher sends it again"))
        return OpenRow(entry, "sent", "")
    if entry.available_at <= now:
        return OpenRow(entry, "due", _("waits for the dispatcher"))
    if entry.job in periodic.SCHEDULE:
        note = _("periodic job")
    elif entry.attempts:
        note = _("retry %(number)s after backoff", number=entry.attempts + 1)
    elif entry.job == "shipments.track":
        note = _("tracking check %(number)s", number=(entry.args or {}).get("poll", 1))
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


def attach_entries(failed_jobs: list[FailedJob]) -> None:
    ids = {job.outbox_id for job in failed_jobs if job.outbox_id is not None}
    if not ids:
        return
    entries = {entry.id: entry for entry in db.session.scalars(select(OutboxEntry).where(OutboxEntry.id.in_(ids)))}
    for job in failed_jobs:
        job.entry = entries.get(job.outbox_id)
