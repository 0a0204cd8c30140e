"""Real worker and dispatcher processes for the fault tests and the benchmarks, started as production starts them,
and what the order chain did meanwhile.

`python -m flask --app wsgi jobs worker` and `... jobs dispatch`, with the test app's database, Redis and folders in
their environment. Each process leads a session of its own, so `kill()` is a `kill -9` of everything it started:
the worker and the work horse (RQ puts the horse in a process group of its own, so the session, not the group, is
what holds them all). Output goes to a log file per start; `Fleet.logs()` puts them in an assertion message.
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import func, select

from backoffice.config import settings
from backoffice.extensions import db
from backoffice.jobs import redis_connection
from backoffice.jobs.models import OutboxEntry
from backoffice.shipments.models import MedicineOrder, OrderStep, SandboxCall

ROOT = Path(__file__).resolve().parent.parent.parent

# Settings a developer's shell may carry that must not leak into the processes under test.
_INHERITED_OUT = (
    "DATABASE_URL",
    "REDIS_URL",
    "SECRET_KEY",
    "APP_ENV",
    "FLASK_APP",
    "FLASK_DEBUG",
    "JOB_TIMEOUT_SECONDS",
    "JOB_LEASE_SECONDS",
    "JOB_MAX_ATTEMPTS",
    "JOB_RETRY_BACKOFF_SECONDS",
    "MAIL_MAX_ATTEMPTS",
    "MAIL_RETRY_BACKOFF_SECONDS",
    "TRACKING_POLL_SECONDS",
    "TRACKING_MAX_POLLS",
    "SANDBOX_DELAY_SECONDS",
    "SANDBOX_FAILURE_RATE",
    "SANDBOX_TRANSIT_SECONDS",
)


def noop() -> None:
    """A job that does nothing: the benchmarks' baseline for what a worker costs per job."""


def app_environment(app: Flask, **variables: object) -> dict[str, str]:
    """The environment of a process that works on the test app's database, Redis and folders, plus `variables`."""
    env = {name: value for name, value in os.environ.items() if name not in _INHERITED_OUT}
    env.update(
        APP_ENV="test",
        DATABASE_URL=app.config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=settings(app).redis_url,
        INSTANCE_PATH=str(app.instance_path),
        INVOICE_ARCHIVE=str(settings(app).invoice_archive),
        CASE_DOCUMENTS_DIR=str(settings(app).case_documents_dir),
        PYTHONUNBUFFERED="1",
    )
    env.update({name: str(value) for name, value in variables.items()})
    return env


def session_members(leader: int) -> list[int]:
    """Every live process of the session `leader` started (start_new_session=True makes its pid the session id)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # ended meanwhile
            continue
        # pid (comm) state ppid pgrp session ...; comm may hold spaces and parentheses, so split after the last ")".
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[3]) == leader and fields[0] != "Z":
            members.append(int(entry.name))
    return members


class JobProcess:
    """One `flask jobs ...` process and whatever it forks."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_path: Path) -> None:
        self.name = name
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.started_at = time.monotonic()
        self.popen = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "jobs", *args],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.pid = self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def busy(self) -> bool:
        """A work horse is running a job (a worker started without its scheduler forks nothing else)."""
        return len(session_members(self.pid)) > 1

    def kill(self) -> None:
        """kill -9 the process and everything in its session (the work horse included), and reap the leader."""
        for _ in range(5):
            members = session_members(self.pid)
            if not members:
                break
            for pid in members:
                with contextlib.suppress(ProcessLookupError):  # ended meanwhile
                    os.kill(pid, signal.SIGKILL)
            time.sleep(0.02)
        self.popen.wait(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 10) -> None:
        """A polite stop (SIGTERM, as a supervisor would), then kill -9 whatever is left."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        self.kill()

    def output(self, limit: int = 4000) -> str:
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return text if len(text) <= limit else "[...]\n" + text[-limit:]


class Fleet:
    """The worker and dispatcher processes of one test: started on demand, all stopped at the end (a `with` block)."""

    def __init__(self, app: Flask, log_dir: Path, **variables: object) -> None:
        self.env = app_environment(app, **variables)
        self.log_dir = log_dir
        self.processes: list[JobProcess] = []

    def __enter__(self) -> Fleet:
        return self

    def __exit__(self, *_exc) -> None:
        self.stop_all()

    def _start(self, kind: str, args: list[str]) -> JobProcess:
        name = f"{kind}-{sum(p.name.startswith(kind) for p in self.processes) + 1}"
        process = JobProcess(name, args, self.env, self.log_dir / f"{name}.log")
        self.processes.append(process)
        return process

    def worker(self) -> JobProcess:
        # Scheduled work goes through the outbox (available_at), so RQ's own scheduler is not needed.
        return self._start("worker", ["worker", "--without-scheduler"])

    def dispatcher(self, interval: float = 0.2) -> JobProcess:
        return self._start("dispatcher", ["dispatch", "--interval", str(interval)])

    def stop_all(self) -> None:
        for process in self.processes:
            if process.alive() or session_members(process.pid):
                process.stop(timeout=5)
        # Workers killed with -9 stay registered in Redis for minutes; the jobs page of later tests would list them.
        with contextlib.suppress(RedisError):
            pids = {process.pid for process in self.processes}
            for worker in Worker.all(connection=redis_connection()):
                if worker.pid in pids:
                    worker.register_death()

    def logs(self) -> str:
        """Every process's output, for an assertion message."""
        return "\n".join(f"----- {p.name} (pid {p.pid}) -----\n{p.output()}" for p in self.processes)


def wait_for(
    condition: Callable[[], object], *, timeout: float, interval: float = 0.05, fleet: Fleet | None = None
) -> object:
    """Poll `condition` until it returns something true; on timeout, fail with the processes' logs."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            details = f"\n{fleet.logs()}" if fleet is not None else ""
            raise AssertionError(f"waited {timeout:.0f} s in vain for {condition.__name__}{details}")
        time.sleep(interval)


def registered_worker(process: JobProcess) -> Worker | None:
    """The RQ worker `process` runs, once it has registered in Redis."""
    return next((w for w in Worker.all(connection=redis_connection()) if w.pid == process.pid), None)


# ---------------------------------------------------------------------------------------------- what happened


def statuses(order_ids: list[int]) -> dict[int, tuple[str, str]]:
    rows = db.session.execute(
        select(MedicineOrder.id, MedicineOrder.status, MedicineOrder.failure_reason).where(
            MedicineOrder.id.in_(order_ids)
        )
    ).all()
    db.session.rollback()  # no snapshot or lock held while the processes work
    return {row.id: (row.status, row.failure_reason) for row in rows}


def steps_done(order_ids: list[int]) -> int:
    count = db.session.scalar(
        select(func.count()).select_from(OrderStep).where(OrderStep.order_id.in_(order_ids), OrderStep.state == "done")
    )
    db.session.rollback()
    return count


def unfinished_jobs() -> list[tuple[int, str, str]]:
    rows = db.session.execute(
        select(OutboxEntry.id, OutboxEntry.job, OutboxEntry.state).where(OutboxEntry.state.in_(("pending", "enqueued")))
    ).all()
    db.session.rollback()
    return [tuple(row) for row in rows]


def settled(order_ids: list[int]) -> Callable[[], bool]:
    def every_order_finished_and_no_job_left() -> bool:
        finished = all(status in ("delivered", "failed") for status, _reason in statuses(order_ids).values())
        return finished and not unfinished_jobs()

    return every_order_finished_and_no_job_left


def assert_each_order_delivered_exactly_once(order_ids: list[int], logs: str) -> None:
    """Every order delivered; the pharmacy bought and packed, the carrier shipped, once per order (their records);
    every step done; no job left in the outbox."""
    wrong = {order_id: found for order_id, found in statuses(order_ids).items() if found != ("delivered", "")}
    if wrong:
        steps = db.session.execute(
            select(OrderStep.order_id, OrderStep.step, OrderStep.state, OrderStep.attempts, OrderStep.last_error)
            .where(OrderStep.order_id.in_(wrong))
            .order_by(OrderStep.order_id, OrderStep.id)
        ).all()
        jobs = db.session.execute(
            select(OutboxEntry.key, OutboxEntry.state, OutboxEntry.dispatches, OutboxEntry.last_error).where(
                OutboxEntry.args["order_id"].as_integer().in_(wrong)
            )
        ).all()
        db.session.rollback()
        raise AssertionError(f"orders not delivered: {wrong}\nsteps: {steps}\noutbox: {jobs}\n{logs}")
    calls = db.session.execute(
        select(SandboxCall.order_id, SandboxCall.kind, func.count())
        .where(SandboxCall.order_id.in_(order_ids), SandboxCall.response.is_not(None))
        .group_by(SandboxCall.order_id, SandboxCall.kind)
    ).all()
    expected = {(order_id, kind): 1 for order_id in order_ids for kind in ("purchase", "pack", "ship")}
    assert {(order_id, kind): n for order_id, kind, n in calls} == expected, f"pharmacy and carrier calls\n{logs}"
    unanswered = db.session.scalars(
        select(SandboxCall.key).where(SandboxCall.order_id.in_(order_ids), SandboxCall.response.is_(None))
    ).all()
    assert unanswered == [], logs
    steps = db.session.execute(
        select(OrderStep.state, func.count()).where(OrderStep.order_id.in_(order_ids)).group_by(OrderStep.state)
    ).all()
    assert dict(steps) == {"done": 4 * len(order_ids)}, logs
    # The orders' jobs only: the "parcel shipped" mails go to no mail server here (tests/messages sends them).
    outbox = db.session.execute(
        select(OutboxEntry.state, func.count()).where(OutboxEntry.job != "messages.send").group_by(OutboxEntry.state)
    ).all()
    assert set(dict(outbox)) == {"done"}, f"outbox rows by state: {dict(outbox)}\n{logs}"
    db.session.rollback()


# ---------------------------------------------------------------------------------------------- kill -9


@dataclass
class Kill:
    at: float  # time.monotonic() of the kill
    steps_done: int  # order steps done at that moment
    job_id: str | None  # the RQ job the work horse was running, if any

    def __str__(self) -> str:
        return f"after {self.steps_done} steps: {self.job_id or 'between jobs'}"


def kill_worker_repeatedly(
    fleet: Fleet, worker: JobProcess, order_ids: list[int], kills: int, rng: random.Random, *, within: float = 0.4
) -> tuple[JobProcess, list[Kill]]:
    """`kills` times: wait for the chain to move on (an order step done), wait a random moment of up to `within`
    seconds (jobs take about that long, so the kill lands in one), kill -9 the worker and its horse, restart it.
    Stops early when every step is done."""
    record = []
    every_step = 4 * len(order_ids)
    for _ in range(kills):
        done = steps_done(order_ids)
        if done == every_step:
            break
        wait_for(lambda: steps_done(order_ids) > done, timeout=60, fleet=fleet)  # noqa: B023 - used at once
        time.sleep(rng.uniform(0, within))
        registered = registered_worker(worker) if worker.busy() else None
        job_id = registered.get_current_job_id() if registered is not None else None
        worker.kill()
        record.append(Kill(time.monotonic(), steps_done(order_ids), job_id))
        worker = fleet.worker()
    return worker, record
