"""Medicine orders through real worker processes: throughput, recovery after kill -9, and a long kill run.

1. Orders per second through the whole chain (purchase, pack, ship, track: four jobs, each in a forked work horse)
   with 1 and 2 workers and a dispatcher process, the sandbox answering at once. Beside them, on the same workers in
   the same run: four no-op RQ jobs (the baseline: what a worker costs per job) and four outbox jobs that do almost
   nothing (`cases.sla_alerts` on a database without new cases: the outbox, the dispatcher and the runner's cost).
   Figures are per order, i.e. per four jobs.
2. Recovery after kill -9 of the worker in the middle of an order's job, with a short lease: from the kill to the
   next order step done (any order: the restarted worker's start-up) and to the killed step done (the lease running
   out, the job sent again), against a step done without any fault (order submitted -> its purchase done).
3. A longer kill run: BENCH_KILL_ORDERS orders, the worker killed BENCH_KILLS times, every order delivered exactly
   once; time per order against the same number of orders without kills, and how many jobs were sent again.

Counts are environment variables (BENCH_ORDERS, BENCH_ROUNDS, BENCH_RECOVERY_KILLS, BENCH_KILL_ORDERS, BENCH_KILLS,
BENCH_KILL_LEASE; FAULTS_SEED repeats a kill run's moments): the full-size run is
`BENCH_KILL_ORDERS=100 BENCH_KILLS=100 make bench`. Every run also checks that each order was delivered exactly once.
"""

from __future__ import annotations

import os
import random
import time
import uuid

import pytest
from rq.job import Job
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.jobs import get_queue, redis_connection
from backoffice.jobs.models import OutboxEntry
from backoffice.jobs.outbox import record_job
from backoffice.shipments import operations
from backoffice.shipments.models import OrderStep, SandboxCall
from tests.benchmarks.timing import Timing, report
from tests.factories import make_case, make_user
from tests.shipments.factories import make_pharmacy, make_prescription, order_input
from tests.shipments.processes import (
    Fleet,
    JobProcess,
    assert_each_order_delivered_exactly_once,
    kill_worker_repeatedly,
    registered_worker,
    settled,
    statuses,
    steps_done,
    wait_for,
)
from tests.tools.evidence import record as record_evidence

ORDERS = int(os.environ.get("BENCH_ORDERS", 20))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
RECOVERY_KILLS = int(os.environ.get("BENCH_RECOVERY_KILLS", 8))
KILL_ORDERS = int(os.environ.get("BENCH_KILL_ORDERS", 30))
KILLS = int(os.environ.get("BENCH_KILLS", 20))
KILL_LEASE = int(os.environ.get("BENCH_KILL_LEASE", 3))

IMMEDIATE = {"SANDBOX_DELAY_SECONDS": 0, "TRACKING_POLL_SECONDS": 0, "SANDBOX_TRANSIT_SECONDS": 0}


@pytest.fixture
def clean_queue(app):
    get_queue().empty()
    yield
    get_queue().empty()


def submit_orders(count: int) -> list[int]:
    """`count` submitted orders, committed together (the dispatcher sees them all at once)."""
    pharmacy = make_pharmacy()
    coordinator = make_user("coordinator")
    ids = []
    for _ in range(count):
        case = make_case(state="discharged")
        prescription = make_prescription(case, uploaded_by=coordinator)
        order = operations.create_order(case.id, order_input(pharmacy, prescription), actor_id=None)
        operations.submit_order(order.id, actor_id=None, expected_version=None)
        ids.append(order.id)
    db.session.commit()
    return ids


def delivered(order_ids: list[int]):
    def all_delivered() -> bool:
        return all(status == "delivered" for status, _reason in statuses(order_ids).values())

    return all_delivered


def start_workers(fleet: Fleet, count: int) -> list[JobProcess]:
    workers = [fleet.worker() for _ in range(count)]
    wait_for(lambda: all(registered_worker(w) for w in workers), timeout=60, fleet=fleet)
    return workers


def time_noop_jobs(count: int, fleet: Fleet) -> float:
    queue = get_queue()
    started = time.perf_counter()
    ids = [queue.enqueue("tests.shipments.processes.noop", result_ttl=60).id for _ in range(count)]
    connection = redis_connection()

    def all_finished() -> bool:
        return all(job is not None and job.is_finished for job in Job.fetch_many(ids, connection=connection))

    wait_for(all_finished, timeout=120, interval=0.01, fleet=fleet)
    return time.perf_counter() - started


def time_outbox_jobs(count: int, fleet: Fleet) -> float:
    batch = uuid.uuid4().hex
    for n in range(count):
        record_job("cases.sla_alerts", {}, key=f"bench-{batch}-{n}")
    db.session.commit()
    started = time.perf_counter()

    def all_done() -> bool:
        done = db.session.scalar(
            select(func.count())
            .select_from(OutboxEntry)
            .where(OutboxEntry.key.like(f"bench-{batch}-%"), OutboxEntry.state == "done")
        )
        db.session.rollback()
        return done == count

    wait_for(all_done, timeout=120, interval=0.01, fleet=fleet)
    return time.perf_counter() - started


def time_orders(count: int, fleet: Fleet) -> tuple[float, list[int]]:
    order_ids = submit_orders(count)
    started = time.perf_counter()
    wait_for(delivered(order_ids), timeout=300, interval=0.02, fleet=fleet)
    return time.perf_counter() - started, order_ids


def test_orders_per_second_with_one_and_two_workers(app, tmp_path, clean_queue):
    timings: list[Timing] = []
    all_orders: list[int] = []
    for workers in (1, 2):
        noop = Timing(f"{workers} worker(s): 4 no-op RQ jobs", [])
        outbox = Timing(f"{workers} worker(s): 4 outbox jobs (no-op)", [])
        chain = Timing(f"{workers} worker(s): 1 order (4 chain jobs)", [])
        log_dir = tmp_path / f"workers-{workers}"
        log_dir.mkdir()
        with Fleet(app, log_dir, JOB_LEASE_SECONDS=300, **IMMEDIATE) as fleet:
            fleet.dispatcher(interval=0.05)
            start_workers(fleet, workers)
            time_noop_jobs(4 * workers, fleet)  # warm-up
            all_orders += time_orders(workers, fleet)[1]
            for _ in range(ROUNDS):
                noop.samples.append(time_noop_jobs(4 * ORDERS, fleet) / ORDERS)
                outbox.samples.append(time_outbox_jobs(4 * ORDERS, fleet) / ORDERS)
                seconds, order_ids = time_orders(ORDERS, fleet)
                chain.samples.append(seconds / ORDERS)
                all_orders += order_ids
            wait_for(settled(all_orders), timeout=60, fleet=fleet)
        timings += [noop, outbox, chain]
    assert_each_order_delivered_exactly_once(all_orders, fleet.logs())
    report(
        f"medicine orders through worker processes ({db.engine.dialect.name}; {ORDERS} orders x {ROUNDS} rounds; "
        "per order = per 4 jobs)",
        *timings,
    )
    for timing in timings:
        print(f"{timing.name:<40} {1 / timing.p50:>9.1f} per second")
    record_evidence(
        "shipments-throughput",
        {
            "orders per round": ORDERS,
            "rounds": ROUNDS,
            **{f"{timing.name}: per second (p50)": round(1 / timing.p50, 1) for timing in timings},
            "every order delivered exactly once": True,
        },
        command=f"BENCH_ORDERS={ORDERS} BENCH_ROUNDS={ROUNDS} .venv/bin/python -m pytest -q -s "
        f"--db {db.engine.dialect.name} tests/benchmarks/bench_shipments.py -o python_files='bench_*.py' "
        "-k orders_per_second",
        database=db.engine.dialect.name,
    )


def _current_job(worker: JobProcess) -> str | None:
    """The RQ job the worker's horse runs (RQ records it just after the fork)."""
    registered = registered_worker(worker) if worker.busy() else None
    return registered.get_current_job_id() if registered is not None else None


def _killed_step(job_id: str | None) -> int | None:
    """The outbox row of an RQ job `outbox-<row>-<dispatch>`, when it is an order step."""
    if not job_id or not job_id.startswith("outbox-"):
        return None
    entry = db.session.get(OutboxEntry, int(job_id.split("-")[1]))
    row = entry.id if entry is not None and entry.job.startswith("shipments.") else None
    db.session.rollback()
    return row


def _outbox_done(entry_id: int):
    def killed_step_done() -> bool:
        state = db.session.scalar(select(OutboxEntry.state).where(OutboxEntry.id == entry_id))
        db.session.rollback()
        return state == "done"

    return killed_step_done


def test_recovery_after_the_worker_is_killed_mid_job(app, tmp_path, clean_queue):
    lease = 2
    settings = {**IMMEDIATE, "JOB_LEASE_SECONDS": lease, "JOB_TIMEOUT_SECONDS": 10, "SANDBOX_DELAY_SECONDS": 0.1}
    undisturbed = Timing("step done, no fault (submit -> purchased)", [])
    start = Timing("worker start -> registered in Redis", [])
    next_step = Timing("kill -9 -> next order step done", [])
    own_step = Timing("kill -9 -> the killed step done", [])
    all_orders: list[int] = []
    with Fleet(app, tmp_path, **settings) as fleet:
        fleet.dispatcher(interval=0.1)
        worker = start_workers(fleet, 1)[0]
        attempts = 0
        while len(own_step.samples) < RECOVERY_KILLS and attempts < 3 * RECOVERY_KILLS:
            attempts += 1
            order_ids = submit_orders(3)
            all_orders += order_ids
            submitted = time.monotonic()
            purchases = select(func.count()).where(
                OrderStep.order_id.in_(order_ids), OrderStep.step == "purchase", OrderStep.state == "done"
            )
            wait_for(lambda: db.session.scalar(purchases) > 0, timeout=60, interval=0.01, fleet=fleet)  # noqa: B023
            undisturbed.samples.append(time.monotonic() - submitted)
            db.session.rollback()
            job_id = wait_for(lambda: _current_job(worker), timeout=30, interval=0.005, fleet=fleet)  # noqa: B023
            entry_id = _killed_step(job_id)
            done = steps_done(all_orders)
            worker.kill()
            killed = time.monotonic()
            worker = fleet.worker()
            wait_for(lambda: registered_worker(worker), timeout=60, interval=0.01, fleet=fleet)  # noqa: B023
            start.samples.append(time.monotonic() - worker.started_at)
            if entry_id is not None:
                wait_for(lambda: steps_done(all_orders) > done, timeout=60, interval=0.01, fleet=fleet)  # noqa: B023
                next_step.samples.append(time.monotonic() - killed)
                wait_for(_outbox_done(entry_id), timeout=60, interval=0.01, fleet=fleet)
                own_step.samples.append(time.monotonic() - killed)
            wait_for(settled(all_orders), timeout=120, fleet=fleet)
    assert_each_order_delivered_exactly_once(all_orders, fleet.logs())
    report(
        f"recovery after kill -9 ({db.engine.dialect.name}; JOB_LEASE_SECONDS={lease}; {len(own_step.samples)} "
        "kills during an order's job)",
        undisturbed,
        start,
        next_step,
        own_step,
    )
    record_evidence(
        "shipments-recovery-after-kill",
        {
            "kills during an order's job": len(own_step.samples),
            "JOB_LEASE_SECONDS": lease,
            **{
                f"{timing.name} (s, p50 / p95)": f"{timing.p50:.2f} / {timing.p95:.2f}"
                for timing in (undisturbed, start, next_step, own_step)
                if timing.samples
            },
            "every order delivered exactly once": True,
        },
        command=f"BENCH_RECOVERY_KILLS={RECOVERY_KILLS} .venv/bin/python -m pytest -q -s --db {db.engine.dialect.name} "
        "tests/benchmarks/bench_shipments.py -o python_files='bench_*.py' -k recovery_after",
        database=db.engine.dialect.name,
    )


def _kill_run(app, log_dir, orders: int, kills: int, seed: int) -> tuple[float, list, dict]:
    settings = {**IMMEDIATE, "JOB_LEASE_SECONDS": KILL_LEASE, "JOB_TIMEOUT_SECONDS": 10, "SANDBOX_DELAY_SECONDS": 0.2}
    order_ids = submit_orders(orders)
    started = time.perf_counter()
    with Fleet(app, log_dir, **settings) as fleet:
        fleet.dispatcher(interval=0.2)
        worker = fleet.worker()
        record = []
        if kills:
            worker, record = kill_worker_repeatedly(fleet, worker, order_ids, kills, random.Random(seed))
        wait_for(settled(order_ids), timeout=600, fleet=fleet)
    seconds = time.perf_counter() - started
    assert_each_order_delivered_exactly_once(order_ids, f"seed {seed}; kills: {list(map(str, record))}\n{fleet.logs()}")
    of_these_orders = OutboxEntry.args["order_id"].as_integer().in_(order_ids)
    jobs, sends, most = db.session.execute(
        select(func.count(), func.sum(OutboxEntry.dispatches), func.max(OutboxEntry.dispatches)).where(of_these_orders)
    ).one()
    repeated = select(func.count()).where(SandboxCall.order_id.in_(order_ids), SandboxCall.attempts > 1)
    counts = {
        "jobs": jobs,
        "sends": sends,
        "most sends of one job": most,
        "provider calls repeated (a kill after the call, before our commit)": db.session.scalar(repeated),
    }
    db.session.rollback()
    return seconds, record, counts


def test_a_long_kill_run_delivers_every_order_exactly_once(app, tmp_path, clean_queue):
    seed = int(os.environ.get("FAULTS_SEED", random.randrange(10**6)))
    (tmp_path / "calm").mkdir()
    (tmp_path / "kills").mkdir()
    calm_seconds, _none, calm_counts = _kill_run(app, tmp_path / "calm", KILL_ORDERS, 0, seed)
    kill_seconds, record, kill_counts = _kill_run(app, tmp_path / "kills", KILL_ORDERS, KILLS, seed)
    report(
        f"{KILL_ORDERS} orders, 1 worker, lease {KILL_LEASE} s, sandbox 0.2 s a call ({db.engine.dialect.name}; "
        f"FAULTS_SEED={seed})",
        Timing("per order, no kill", [calm_seconds / KILL_ORDERS]),
        Timing(f"per order, {len(record)} kills -9", [kill_seconds / KILL_ORDERS]),
    )
    mid_job = sum(1 for kill in record if kill.job_id)
    print(f"kills during a job: {mid_job} of {len(record)}")
    for name, counts in (("no kill", calm_counts), ("with kills", kill_counts)):
        print(f"{name:<11} " + "; ".join(f"{key}: {value}" for key, value in counts.items()))
    record_evidence(
        f"shipments-kill-run-{KILL_ORDERS}-orders-{KILLS}-kills",
        {
            "orders": KILL_ORDERS,
            "kills -9 of the worker": len(record),
            "kills during a job": mid_job,
            "every order delivered exactly once": True,
            "JOB_LEASE_SECONDS": KILL_LEASE,
            "FAULTS_SEED": seed,
            "seconds per order, no kill": round(calm_seconds / KILL_ORDERS, 2),
            "seconds per order, with kills": round(kill_seconds / KILL_ORDERS, 2),
            "wall time with kills (s)": round(kill_seconds, 1),
            **{f"with kills: {key}": value for key, value in kill_counts.items()},
            **{f"no kill: {key}": value for key, value in calm_counts.items()},
        },
        command=f"FAULTS_SEED={seed} BENCH_KILL_ORDERS={KILL_ORDERS} BENCH_KILLS={KILLS} "
        f".venv/bin/python -m pytest -q -s --db {db.engine.dialect.name} tests/benchmarks/bench_shipments.py "
        "-o python_files='bench_*.py' -k long_kill_run",
        database=db.engine.dialect.name,
    )
