"""Jobs that run on a schedule, through the same outbox as every other job.

A feature registers each of its periodic jobs with `every(interval, name)` in its own module (`cases.sla`,
`logistics.follow_up_reminders`), so `jobs` knows the job by name without importing the feature. The dispatcher
records one outbox row per job and time slot (key `<job>@<slot start>`), so however many dispatchers run, each slot's
job is recorded once, and a slot missed while everything was down is caught up once, not many times.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from backoffice.dbtypes import utcnow
from backoffice.jobs.outbox import record_job
from backoffice.jobs.runner import JobSpec, register_job

# job name -> how often it runs; filled by `every` as the features' modules load
SCHEDULE: dict[str, timedelta] = {}
BATCH = 500  # rows a periodic job handles per run; the next slot takes the rest


def every(interval: timedelta, name: str) -> Callable[[Callable[[], dict]], Callable[[], dict]]:
    """Run the decorated function (no arguments, commits its own work) as the job `name` once per `interval`."""

    def register(function: Callable[[], dict]) -> Callable[[], dict]:
        if name in SCHEDULE:
            raise ValueError(f"periodic job {name!r} is registered twice")
        register_job(name, JobSpec(f"{function.__module__}:{function.__qualname__}"))
        SCHEDULE[name] = interval
        return function

    return register


def slot_start(now: datetime, interval: timedelta) -> datetime:
    seconds = int(interval.total_seconds())
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=now.tzinfo)


def record_due(now: datetime | None = None) -> int:
    """Record this slot's row of every scheduled job (a no-op when it exists). Flushes; returns how many are new."""
    now = now or utcnow()
    created = 0
    for job, interval in SCHEDULE.items():
        start = slot_start(now, interval)
        key = f"{job}@{start.isoformat()}"
        entry = record_job(job, {}, key=key, available_at=start)
        created += entry.dispatches == 0 and entry.state == "pending"
    return created
