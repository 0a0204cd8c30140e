"""Medicine orders survive what production throws at them: workers killed with -9 in the middle of a job, and Redis
down when orders are submitted. Real worker and dispatcher processes, a real Redis; every order ends delivered, and
the pharmacy and the carrier were asked once per order and step (their own records, `sandbox_calls`, say so).
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from redis.exceptions import RedisError
from rq import Queue
from sqlalchemy import select

from backoffice import embedded_redis
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs import get_queue
from backoffice.jobs.models import OutboxEntry
from backoffice.jobs.outbox import dispatch, kick, lease
from backoffice.jobs.runner import run_entry
from backoffice.shipments.models import MedicineOrder, SandboxCall
from tests.helpers import change_settings
from tests.shipments.factories import run_jobs, submitted_order
from tests.shipments.processes import (
    Fleet,
    assert_each_order_delivered_exactly_once,
    kill_worker_repeatedly,
    settled,
    wait_for,
)

# A short lease so a killed job is sent again within seconds; a sandbox slow enough for kills to land mid-call.
SETTINGS = {"JOB_LEASE_SECONDS": 3, "JOB_TIMEOUT_SECONDS": 10, "SANDBOX_DELAY_SECONDS": 0.2}
ORDERS = 8
KILLS = 4


@pytest.fixture
def clean_queue(app):
    """Jobs left queued by one test would run against another test's rows (ids start again after each test)."""
    queue = get_queue()
    queue.empty()
    yield
    queue.empty()
    queue.connection.delete(queue.intermediate_queue_key)


def test_orders_are_delivered_once_each_while_the_worker_is_killed_mid_job(app, tmp_path, clean_queue):
    seed = int(os.environ.get("FAULTS_SEED", random.randrange(10**6)))
    order_ids = [submitted_order().id for _ in range(ORDERS)]  # committed: the processes see them
    with Fleet(app, tmp_path, **SETTINGS) as fleet:
        fleet.dispatcher(interval=0.2)
        _worker, kills = kill_worker_repeatedly(fleet, fleet.worker(), order_ids, KILLS, random.Random(seed))
        wait_for(settled(order_ids), timeout=60, fleet=fleet)
    sends = db.session.scalars(select(OutboxEntry.dispatches).where(OutboxEntry.key.like("medicine-order-%"))).all()
    logs = (
        f"FAULTS_SEED={seed} repeats the kill moments; kills: {', '.join(map(str, kills))}; "
        f"sends per job: most {max(sends)}, in all {sum(sends)} for {len(sends)} jobs\n{fleet.logs()}"
    )
    assert_each_order_delivered_exactly_once(order_ids, logs)
    assert set(db.session.scalars(select(SandboxCall.order_id))) == set(order_ids)  # no call for anything else
    assert any(kill.job_id for kill in kills), f"no kill landed during a job: {logs}"


def test_orders_submitted_while_redis_is_down_wait_in_the_outbox_and_run_once_when_it_is_back(
    app, tmp_path, monkeypatch
):
    # A Redis of this test's own, on a socket nobody listens on yet (a short path: unix socket paths are limited).
    directory = Path(tempfile.mkdtemp(prefix="backoffice-redis-"))
    change_settings(monkeypatch, app, redis_url=f"unix://{directory / 'redis.sock'}?db=0")
    server = None
    try:
        order_ids = [submitted_order().id for _ in range(3)]
        kick()  # what a request does after committing: Redis is down, so nothing is sent and nothing fails
        with pytest.raises(RedisError):
            dispatch()
        rows = db.session.execute(select(OutboxEntry.job, OutboxEntry.state, OutboxEntry.enqueued_at)).all()
        assert [tuple(row) for row in rows] == [("shipments.purchase", "pending", None)] * 3
        with Fleet(app, tmp_path, **SETTINGS) as fleet:
            dispatcher = fleet.dispatcher(interval=0.2)
            wait_for(lambda: "unavailable" in dispatcher.output(), timeout=30, fleet=fleet)
            time.sleep(0.5)  # a few more rounds against the dead Redis
            assert dispatcher.alive(), fleet.logs()
            # Nothing was marked sent (the dispatcher also recorded this slot's scheduled jobs meanwhile).
            outbox = db.session.execute(select(OutboxEntry.job, OutboxEntry.state)).all()
            db.session.rollback()
            assert {state for _job, state in outbox} == {"pending"}, fleet.logs()
            assert [job for job, _state in outbox if job.startswith("shipments.")] == ["shipments.purchase"] * 3
            server, _url = embedded_redis.start(directory)
            fleet.worker()
            wait_for(settled(order_ids), timeout=45, fleet=fleet)
        assert_each_order_delivered_exactly_once(order_ids, fleet.logs())
        assert set(db.session.scalars(select(SandboxCall.attempts))) == {1}  # each call made once, not retried
    finally:
        if server is not None:
            embedded_redis.stop(server)
        shutil.rmtree(directory, ignore_errors=True)


def test_a_job_waiting_behind_a_long_queue_is_neither_sent_again_nor_given_up(app, clean_queue):
    order_id = submitted_order().id
    assert dispatch() == 1  # the purchase is sent; the workers are busy with other work for a while
    later = utcnow()
    for _ in range(settings(app).job_max_dispatches + 2):  # many leases pass before a worker takes it
        later += lease() + timedelta(seconds=1)
        dispatch(now=later)
    db.session.expire_all()
    order = db.session.get(MedicineOrder, order_id)
    assert (order.status, order.failure_reason) == ("submitted", "")
    assert get_queue().count == 1  # one copy waits, not one per lease
    run_jobs(app)
    db.session.expire_all()
    assert db.session.get(MedicineOrder, order_id).status == "delivered"


def test_a_job_that_finishes_before_the_dispatcher_commits_stays_done(app, monkeypatch, clean_queue):
    """A worker may take a job the moment it is in Redis, before the dispatcher has committed that it sent it."""
    order_id = submitted_order().id
    workers: list[threading.Thread] = []
    enqueue = Queue.enqueue

    def enqueue_and_run_at_once(queue, function, entry_id, **options):
        job = enqueue(queue, function, entry_id, **options)

        def work_horse():
            with app.app_context():
                run_entry(entry_id)
                db.session.remove()

        workers.append(threading.Thread(target=work_horse))
        workers[-1].start()
        workers[-1].join(timeout=2)  # on PostgreSQL it waits for the dispatcher's row lock: go on dispatching
        return job

    monkeypatch.setattr(Queue, "enqueue", enqueue_and_run_at_once)
    assert dispatch() == 1
    for worker in workers:
        worker.join(timeout=30)
    db.session.expire_all()
    assert db.session.get(MedicineOrder, order_id).status == "purchased"
    purchase = db.session.scalar(select(OutboxEntry).where(OutboxEntry.key == f"medicine-order-{order_id}-purchase"))
    assert purchase.state == "done"  # not "enqueued": that would send it again when the lease runs out


def test_a_job_taken_by_a_worker_that_died_before_starting_it_is_sent_again_after_its_lease(app, clean_queue):
    order_id = submitted_order().id
    assert dispatch() == 1
    queue = get_queue()
    # What a worker does first (BLMOVE to its intermediate list); killed right then, before marking the job started.
    assert queue.connection.lmove(queue.key, queue.intermediate_queue_key, "LEFT", "RIGHT")
    dispatch(now=utcnow() + lease() + timedelta(seconds=1))
    entry = db.session.scalar(select(OutboxEntry).where(OutboxEntry.key == f"medicine-order-{order_id}-purchase"))
    assert entry.dispatches == 2
    run_jobs(app)
    db.session.expire_all()
    assert db.session.get(MedicineOrder, order_id).status == "delivered"


@pytest.mark.postgresql_only  # SQLite has no row locks: a second dispatcher waits for the first one's commit
def test_two_dispatchers_send_each_job_once(app, monkeypatch, clean_queue):
    order_ids = [submitted_order().id for _ in range(3)]
    enqueue = Queue.enqueue
    calls = []

    def second_dispatcher():
        with app.app_context():
            dispatch()
            db.session.remove()

    def enqueue_with_a_second_dispatcher_meanwhile(queue, *args, **options):
        calls.append(args)
        if len(calls) == 2:  # the first row is committed, the second written: another dispatcher runs a round
            other = threading.Thread(target=second_dispatcher)
            other.start()
            other.join(timeout=30)
            queue.empty()  # workers took what it sent
        return enqueue(queue, *args, **options)

    monkeypatch.setattr(Queue, "enqueue", enqueue_with_a_second_dispatcher_meanwhile)
    dispatch()
    sends = db.session.execute(
        select(OutboxEntry.key, OutboxEntry.dispatches).where(OutboxEntry.key.like("medicine-order-%"))
    ).all()
    assert dict(sends) == {f"medicine-order-{order_id}-purchase": 1 for order_id in order_ids}
