"""What an administrator does with a job that gave up: requeue it.

A job of the outbox is requeued through its row: the job's `on_requeue` hook reopens the work (a failed medicine order
goes back to its step) and the row is due again with fresh attempts; after the commit it is sent to the workers and
its failed RQ job leaves the failed list. A job enqueued by hand, not through the outbox, is requeued by RQ as it was.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from flask_babel import gettext as _
from redis import Redis
from redis.exceptions import RedisError
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job
from rq.registry import FailedJobRegistry
from sqlalchemy import select

from backoffice.config import settings
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.jobs import QUEUES, outbox, redis_connection, runner
from backoffice.jobs.models import OutboxEntry
from backoffice.languages import N_
from backoffice.params import MAX_ID
from backoffice.trail import record_event

log = logging.getLogger(__name__)

_JOB_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")  # RQ's own ids are hex; the outbox's are outbox-<row>-<dispatch>


class RequeueRefused(DomainError):
    status_code = 409


class RedisUnavailable(DomainError):
    status_code = 503


def quick_redis() -> Redis:
    """A connection that gives up quickly: the page waits seconds at most for a Redis that does not answer."""
    return redis_connection(timeout=settings().health_redis_timeout_seconds)


def outbox_id_of(job: Job) -> int | None:
    """The outbox row an RQ job was sent for, or None (a job enqueued by hand)."""
    value = (job.meta or {}).get("outbox_id")
    valid = isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID
    return value if valid else None


@dataclass(frozen=True)
class Requeued:
    """A requeue done and flushed; `announce` finishes it after the commit and says what happened."""

    description: str  # the outbox row, or the RQ job's id
    entry_id: int | None = None  # the outbox row to send; None when RQ requeued a job of its own
    sent_before: str | None = None  # the row's RQ job id before the requeue
    failed_job_id: str | None = None
    queue: str | None = None  # where RQ put a job of its own back


def describe(entry: OutboxEntry) -> str:
    args = ", ".join(f"{key}={value}" for key, value in (entry.args or {}).items())
    return f"#{entry.id} {entry.job}" + (f" ({args})" if args else "")


_NOT_FAILED = {
    "pending": N_("it already waits to run again"),
    "enqueued": N_("it is with the workers; the dispatcher sends it again if its lease runs out"),
    "done": N_("it has run to the end since"),
}


@contextlib.contextmanager
def _redis_answers() -> Iterator[None]:
    try:
        yield
    except RedisError as error:
        log.warning("requeue refused: Redis does not answer: %s", error)
        raise RedisUnavailable(
            _("Redis does not answer, so the failed job cannot be read or requeued. Try again when it is back.")
        ) from error


def requeue_failed_job(job_id: str, *, actor_id: int) -> Requeued:
    """Requeue a failed RQ job: through its outbox row, or by RQ when it was enqueued by hand. Flushes."""
    with _redis_answers():
        registry, job = _find_failed_job(quick_redis(), job_id)
        outbox_id = outbox_id_of(job)
        if outbox_id is None:  # enqueued by hand, not through the outbox: RQ runs it again as it was
            try:
                registry.requeue(job)
            except InvalidJobOperation:
                raise NotFound(_("There is no failed job with this id: it was requeued meanwhile.")) from None
            record_event(
                "job.requeued",
                actor_id=actor_id,
                object_type="rq_job",
                object_id=job.id[:64],
                details={"rq_job_id": job.id, "description": (job.description or "")[:500], "queue": registry.name},
            )
            db.session.flush()
            return Requeued(job.id, queue=registry.name)
        entry = _locked_entry(outbox_id)
        if entry is None:
            raise RequeueRefused(
                _(
                    "The outbox row #%(row)s of job %(job)s no longer exists; nothing to requeue.",
                    row=outbox_id,
                    job=job.id,
                )
            )
        return _reopen_entry(entry, actor_id=actor_id, failed_job_id=job.id)


def requeue_outbox_entry(entry_id: int, *, actor_id: int) -> Requeued:
    """Requeue an outbox row that gave up (or was refused). Flushes."""
    with _redis_answers():
        entry = _locked_entry(entry_id) if entry_id <= MAX_ID else None
        if entry is None:
            raise NotFound(_("There is no such job in the outbox."))
        return _reopen_entry(entry, actor_id=actor_id, failed_job_id=None)


def _reopen_entry(entry: OutboxEntry, *, actor_id: int, failed_job_id: str | None) -> Requeued:
    """Give a job that gave up (or was refused) a second chance: its hook reopens the work, the row is due again
    with fresh attempts, and the audit log says who did it. Flushes; the caller commits, then announces."""
    requeued = Requeued(describe(entry), entry.id, entry.rq_job_id, failed_job_id)
    if entry.state != "failed":
        known = _NOT_FAILED.get(entry.state)
        reason = _(known) if known else _("it is %(state)s", state=entry.state)
        raise RequeueRefused(
            _(
                "Job %(job)s is not failed: %(reason)s. There is nothing to requeue.",
                job=requeued.description,
                reason=reason,
            )
        )
    previous_error = entry.last_error or ""
    try:
        runner.requeue(entry)
    except ValueError as error:  # a row naming a job the product no longer has
        raise RequeueRefused(
            _("Job %(job)s cannot be requeued: %(error)s.", job=requeued.description, error=error)
        ) from None
    record_event(
        "job.requeued",
        actor_id=actor_id,
        object_type="job_outbox",
        object_id=entry.id,
        details={"job": entry.job, "args": entry.args, "rq_job_id": failed_job_id, "error": previous_error[:500]},
    )
    return requeued


def announce(requeued: Requeued) -> str:
    """After the commit: off the failed list, then to the workers at once (the dispatcher catches up otherwise)."""
    if requeued.entry_id is None:
        return _("Job %(job)s is back in the %(queue)s queue.", job=requeued.description, queue=requeued.queue)
    _forget_failed_jobs({job_id for job_id in (requeued.failed_job_id, requeued.sent_before) if job_id})
    outbox.kick()
    # A row sent to RQ gets the id of its new RQ job; a failed send leaves it as it was.
    if db.session.scalar(select(OutboxEntry.rq_job_id).where(OutboxEntry.id == requeued.entry_id)) != (
        requeued.sent_before
    ):
        return _(
            "Job %(job)s is requeued: the work is open again and was sent to the workers.", job=requeued.description
        )
    return _(
        "Job %(job)s is requeued; it waits in the outbox until Redis answers and the dispatcher sends it.",
        job=requeued.description,
    )


def _forget_failed_jobs(job_ids: set[str]) -> None:
    """Take requeued work's failed RQ jobs off the failed list, so the page does not show it twice. Best effort:
    the requeue is committed already, and a failed job left behind is refused a second requeue."""
    try:
        connection = quick_redis()
        for job_id in job_ids:
            if not any(FailedJobRegistry(name, connection=connection).remove(job_id) for name in QUEUES):
                continue  # not a failed job (the last run of a refused job finished, for one)
            with contextlib.suppress(NoSuchJobError):  # its data expired already
                Job.fetch(job_id, connection=connection).delete()
    except RedisError as error:
        log.warning("requeued, but its failed RQ job stays listed (Redis: %s)", error)


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
    raise NotFound(_("There is no failed job with this id: it was requeued or it expired meanwhile."))
