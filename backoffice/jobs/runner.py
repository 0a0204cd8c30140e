"""What a worker runs for an outbox row: the named job, once, with retries for errors that pass.

Every job of the product is named in `JOBS`, registered there by its feature (a job payload naming anything else is
refused). A job function takes the row's plain arguments and may raise:
- `TransientJobError` (a provider down or slow): tried again later with backoff; after the last attempt the job's
  `on_give_up` hook reports it and the RQ job fails with its traceback, so an administrator sees it and can requeue;
- `PermanentJobError` (a refusal that retrying cannot change): the job's `on_give_up` hook records it, and the row
  is done (the failure is a business outcome, reported to the coordinator, not a crash);
- anything else (a bug, the database gone): the RQ job fails with the traceback; the row keeps its lease and is sent
  again when the lease runs out, at most `JOB_MAX_DISPATCHES` times, then given up like a transient error.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module

from rq import get_current_job
from sqlalchemy import select, update

from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.models import OutboxEntry
from backoffice.params import MAX_ID

log = logging.getLogger(__name__)


class TransientJobError(Exception):
    """The outside party may answer later: try again."""


class PermanentJobError(Exception):
    """The outside party refused, or answered something unusable: retrying would not help."""


class GaveUp(RuntimeError):
    """Raised to fail the RQ job (with a traceback on the admin page) after the last transient error."""


@dataclass(frozen=True, slots=True)
class Retries:
    """How a job's transient errors are retried: the names of the settings that give the waits between attempts (the
    last repeating) and the number of attempts, read when a retry is planned (so each environment sets its own)."""

    backoff_setting: str = "job_retry_backoff_seconds"
    attempts_setting: str = "job_max_attempts"

    def backoff(self, attempt: int) -> timedelta:
        """The wait before attempt `attempt + 1`."""
        steps = getattr(settings(), self.backoff_setting)
        return timedelta(seconds=steps[min(attempt - 1, len(steps) - 1)])

    def max_attempts(self) -> int:
        return getattr(settings(), self.attempts_setting)


JOB_RETRIES = Retries()  # a provider's call: a few minutes, then an administrator looks


@dataclass(frozen=True, slots=True)
class JobSpec:
    function: str  # "module:function"
    on_give_up: str | None = None  # "module:function" called with (args, reason) after the last failure
    on_requeue: str | None = None  # "module:function" called with (args) when an administrator requeues it
    # Up to `batch_size` due rows of this job go to one worker together (`run_batch`): one work horse for them all,
    # each row run as `run_entry` runs it alone, inside `batch_context` ("module:function" giving a context manager,
    # e.g. one connection to the mail server for the batch).
    batch_size: int = 1
    batch_context: str | None = None
    retries: Retries = JOB_RETRIES


# job name -> what runs it; filled as the features load: `register_job` (a medicine order's steps, shipments.steps),
# `jobs.periodic.every` (the SLA alerts, the follow-up reminders)
JOBS: dict[str, JobSpec] = {}


@dataclass(slots=True)
class _Run:
    entry_id: int  # the row run_entry runs now
    finished: bool = False  # marked done in the job's own commit (finish_with_the_work)


_running: ContextVar[_Run | None] = ContextVar("running_outbox_row", default=None)


def register_job(name: str, spec: JobSpec) -> None:
    """Name one more job of the product; a name is given once."""
    if name in JOBS:
        raise ValueError(f"job {name!r} is registered twice")
    JOBS[name] = spec


def check_job_name(name: str) -> JobSpec:
    spec = JOBS.get(name)
    if spec is None:
        raise ValueError(f"unknown job {name!r}")
    return spec


def _resolve(path: str) -> Callable:
    module, _, attribute = path.partition(":")
    return getattr(import_module(module), attribute)


def lease() -> timedelta:
    """How long a sent row is left to its worker before the dispatcher sends it again (from the moment it starts)."""
    return timedelta(seconds=settings().job_lease_seconds)


def progress(message: str) -> None:
    """Tell whoever watches (the order page, the admin page) what the running job is doing."""
    job = get_current_job()
    if job is not None:
        job.meta["progress"] = message
        job.meta["progress_at"] = utcnow().isoformat()
        job.save_meta()


def run_entry(entry_id: int, *, sent_as: int | None = None, in_batch: bool = False):
    """The RQ job: run outbox row `entry_id` if it is not done yet (`sent_as`: which send of the row this is, and
    `in_batch`, when it came in a batch)."""
    entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.id == entry_id))
    if entry is None:
        log.warning("outbox row %s does not exist (deleted?); nothing to run", entry_id)
        return {"outcome": "missing"}
    if entry.state in ("done", "failed"):
        return {"outcome": f"already {entry.state}"}
    if sent_as is None:
        current = get_current_job()
        sent_as = (current.meta or {}).get("dispatch") if current is not None else None
    if isinstance(sent_as, int) and sent_as < entry.dispatches:
        # An older copy (the row was sent again after its lease ran out): the newest copy runs the row.
        return {"outcome": "superseded copy"}
    if entry.state == "pending" and entry.available_at > utcnow():
        return {"outcome": "not due yet"}  # a retry waits for its backoff; the dispatcher sends it then
    try:
        spec = check_job_name(entry.job)
    except ValueError as error:
        _finish(entry, "failed", str(error))
        return {"outcome": "unknown job"}
    args = dict(entry.args or {})
    attempt = entry.attempts + 1
    if entry.state == "enqueued" and not (in_batch and _lease_left(entry) > lease() / 2):
        # The lease runs from now, not from the send: a job that waited in a long queue is not sent again while
        # it runs. (A batch renewed its rows' leases when it began: a row of it renews its own when half is gone.)
        entry.lease_until = utcnow() + lease()
        db.session.commit()
    function = _resolve(spec.function)
    try:
        signature = inspect.signature(function)
        signature.bind(**args)
        for name, parameter in signature.parameters.items():
            value = args.get(name)
            if name in args and parameter.annotation in (int, "int") and not _is_id(value):
                raise TypeError(f"{name}={str(value)[:40]!r} is not a whole number from 1 to {MAX_ID}")
    except TypeError as error:  # a payload whose arguments do not fit the job
        _finish(entry, "failed", f"bad arguments for {entry.job}: {error}")
        return {"outcome": "bad payload"}
    run = _Run(entry_id)
    token = _running.set(run)
    try:
        result = function(**args)
    except TransientJobError as error:
        db.session.rollback()
        entry = db.session.get(OutboxEntry, entry_id)
        if attempt >= spec.retries.max_attempts():
            entry.attempts = attempt
            give_up(entry, f"gave up after {attempt} attempts: {error}")
            raise GaveUp(f"{entry.job} {args}: gave up after {attempt} attempts: {error}") from error
        entry.attempts = attempt
        entry.state = "pending"
        entry.available_at = utcnow() + spec.retries.backoff(attempt)
        entry.lease_until = None
        entry.last_error = f"attempt {attempt}: {error}"[:2000]
        db.session.commit()
        return {"outcome": "retry", "attempt": attempt, "error": str(error)}
    except PermanentJobError as error:
        db.session.rollback()
        entry = db.session.get(OutboxEntry, entry_id)
        give_up(entry, str(error))
        return {"outcome": "failed", "error": str(error)}
    finally:
        _running.reset(token)
    if not run.finished:  # not finished in the job's own commit
        _finish(db.session.get(OutboxEntry, entry_id), "done", "")
    return result


def finish_with_the_work() -> None:
    """Mark the running row done in the job's own transaction, so that its commit records the work and the row's end
    at once (one commit, not two; nothing between them to lose). Flushes; the job commits after it."""
    run = _running.get()
    if run is None:
        return  # not run by the runner (a test calling the job function itself)
    entry = db.session.get(OutboxEntry, run.entry_id)
    entry.state = "done"
    entry.finished_at = utcnow()
    entry.lease_until = None
    db.session.flush()
    run.finished = True


def _lease_left(entry: OutboxEntry) -> timedelta:
    return (entry.lease_until - utcnow()) if entry.lease_until else timedelta(0)


def run_batch(entry_ids: list[int]):
    """The RQ job for a batch of rows of one job: each run as `run_entry` runs it alone, one after the other, inside
    the job's batch context. A row that gives up does not stop the others; the RQ job then fails (named after that
    row, for the administrator's requeue) once the batch is done. A batch runs no row after half its lease."""
    current = get_current_job()
    sends = (current.meta or {}).get("dispatches", {}) if current is not None else {}
    job = db.session.scalar(select(OutboxEntry.job).where(OutboxEntry.id.in_(entry_ids)).limit(1))
    # The lease of every row of the batch runs from now (as run_entry's does for a row alone).
    began = utcnow()
    db.session.execute(
        update(OutboxEntry)
        .where(OutboxEntry.id.in_(entry_ids), OutboxEntry.state == "enqueued")
        .values(lease_until=began + lease())
    )
    db.session.commit()
    spec = JOBS.get(job or "")
    context = _resolve(spec.batch_context)() if spec is not None and spec.batch_context else contextlib.nullcontext()
    outcomes, gave_up = {}, []
    with context:
        for entry_id in entry_ids:
            if utcnow() - began > lease() / 2:
                # A slow batch stops here: the rows left are sent again when their lease runs out, never while a
                # row of this batch could still be running them.
                log.warning(
                    "outbox batch stopped after %s of %s rows: half its lease is gone", len(outcomes), len(entry_ids)
                )
                break
            try:
                outcomes[entry_id] = run_entry(entry_id, sent_as=sends.get(str(entry_id)), in_batch=True)
            except GaveUp as error:
                gave_up.append((entry_id, error))
    if gave_up:
        first, error = gave_up[0]
        if current is not None:
            current.meta["outbox_id"] = first
            current.save_meta()
        others = f" (and rows {', '.join(str(entry_id) for entry_id, _ in gave_up[1:])})" if gave_up[1:] else ""
        raise GaveUp(f"{error}{others}") from error
    return outcomes


def _is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def give_up(entry: OutboxEntry, reason: str) -> None:
    """The row fails for good: its job's hook reports it (a failed order tells its coordinator); commits."""
    spec = JOBS.get(entry.job)
    if spec is not None and spec.on_give_up:
        _resolve(spec.on_give_up)(dict(entry.args or {}), reason)
    _finish(entry, "failed", reason)


def _finish(entry: OutboxEntry, state: str, error: str) -> None:
    entry.state = state
    entry.finished_at = utcnow()
    entry.lease_until = None
    if error:
        entry.last_error = error[:2000]
    db.session.commit()


def requeue(entry: OutboxEntry) -> None:
    """An administrator's second chance for a job that gave up: its hook reopens the work, and the row is sent again
    with fresh attempts. Flushes; the caller commits and dispatches."""
    spec = check_job_name(entry.job)
    if entry.state != "failed":
        raise ValueError("only a job that gave up is requeued")
    if spec.on_requeue:
        _resolve(spec.on_requeue)(dict(entry.args or {}))
    entry.state = "pending"
    entry.attempts = 0
    entry.dispatches = 0  # a fresh start: JOB_MAX_DISPATCHES counts from here (job ids stay unique, see outbox)
    entry.available_at = utcnow()
    entry.finished_at = None
    entry.last_error = f"requeued by an administrator (was: {entry.last_error})"[:2000]
    db.session.flush()
