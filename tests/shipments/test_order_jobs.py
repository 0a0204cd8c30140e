"""A medicine order's jobs when things go wrong: a job waiting for a worker is neither sent again nor given up, a
retry waits for its backoff, a requeued job counts its sends afresh; a pharmacy price that cannot be stored and a
payload of the wrong type fail the job with a reason; a cancellation racing the purchase, or following a purchase
attempt, is refused; the same order form sent twice at the same moment stores one order."""

from __future__ import annotations

import html
import threading
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.jobs import get_queue, runner
from backoffice.jobs.models import OutboxEntry
from backoffice.jobs.outbox import dispatch, lease, record_job
from backoffice.shipments import operations, providers, sandbox, steps
from backoffice.shipments.models import MedicineOrder, OrderStep, SandboxCall
from tests.factories import make_case
from tests.shipments.factories import (
    fresh,
    make_pharmacy,
    make_prescription,
    order_input,
    purchase_job,
    run_jobs,
    submitted_order,
)


@pytest.fixture(autouse=True)
def _empty_queue(app):
    """Jobs sent to RQ by one test must not run in another (rows are deleted between tests, the queue is not)."""
    get_queue().empty()
    yield
    get_queue().empty()


def purchase_step(order_id: int) -> OrderStep:
    return db.session.scalar(select(OrderStep).where(OrderStep.order_id == order_id, OrderStep.step == "purchase"))


def leases_later(count: int, start=None):
    """`count` moments, each just after the lease of the one before ran out."""
    moment = start or utcnow()
    for _ in range(count):
        moment += lease() + timedelta(seconds=1)
        yield moment


def sent_and_lost(moment) -> None:
    """A dispatcher round, then Redis loses what was sent (a worker killed with -9 loses its job the same way)."""
    dispatch(now=moment)
    db.session.remove()
    get_queue().empty()


# ---------------------------------------------------------------------------------------------- the outbox


def test_a_job_waiting_in_the_queue_while_no_worker_runs_is_neither_sent_again_nor_given_up(app):
    order_id = submitted_order().id
    max_dispatches = settings(app).job_max_dispatches

    for moment in leases_later(max_dispatches + 2):  # workers down for many leases (a deploy, a crash loop)
        dispatch(now=moment)
        db.session.remove()

    job = purchase_job(order_id)
    assert (job.state, job.dispatches) == ("enqueued", 1)
    assert get_queue().count == 1  # one copy waits, not one per lease
    assert (fresh(order_id).status, fresh(order_id).failure_reason) == ("submitted", "")
    run_jobs(app)  # the workers are back
    assert fresh(order_id).status == "delivered"


def test_a_retry_waiting_for_its_backoff_is_not_run_early_by_a_stale_copy_of_its_job(app):
    order_id = submitted_order(behaviour="down").id
    job_id = purchase_job(order_id).id
    assert runner.run_entry(job_id)["outcome"] == "retry"  # the pharmacy is down: attempt 1 failed
    db.session.remove()
    job = purchase_job(order_id)
    job.available_at = utcnow() + timedelta(hours=1)  # a real backoff (the tests run with none)
    db.session.commit()

    assert runner.run_entry(job_id) == {"outcome": "not due yet"}  # a copy left in the queue runs meanwhile

    job = purchase_job(order_id)
    assert (job.state, job.attempts) == ("pending", 1)
    assert db.session.scalars(select(SandboxCall.attempts)).all() == [1]  # the pharmacy was asked once


def test_a_requeued_job_counts_its_sends_afresh_and_is_not_given_up_at_its_first_lost_send(app):
    order_id = submitted_order().id
    moments = leases_later(30)
    for moment in moments:
        sent_and_lost(moment)
        if purchase_job(order_id).state == "failed":
            break
    job = purchase_job(order_id)
    assert (job.state, job.dispatches) == ("failed", settings(app).job_max_dispatches)
    assert fresh(order_id).status == "failed"

    runner.requeue(job)  # an administrator gives it a second chance
    db.session.commit()
    sent_and_lost(next(moments))
    sent_and_lost(next(moments))  # lost once more: sent again, as any job is

    job = purchase_job(order_id)
    assert (job.state, job.dispatches) == ("enqueued", 2)
    assert fresh(order_id).status == "submitted"


# ---------------------------------------------------------------------------------------------- the pharmacy's answer


@pytest.mark.parametrize(
    ("amount", "currency"),
    [("12.345", "EUR"), ("1250.5", "JPY"), ("12.00", "XYZ")],
    ids=["three decimals in euros", "decimals in yen", "unknown currency"],
)
def test_a_pharmacy_price_that_cannot_be_stored_fails_the_order_with_the_reason_instead_of_crashing(
    app, monkeypatch, amount, currency
):
    order_id = submitted_order().id
    answer = providers.Purchase("R-1", Decimal(amount), currency)
    monkeypatch.setattr(sandbox.SandboxPharmacy, "purchase", lambda self, key, order: answer)

    outcome = runner.run_entry(purchase_job(order_id).id)

    assert outcome["outcome"] == "failed"
    assert purchase_job(order_id).state == "failed"
    order = fresh(order_id)
    assert order.status == "failed"
    assert order.failure_reason.startswith("the pharmacy's price cannot be stored: ")
    assert (order.cost_amount, order.purchase_reference) == (None, None)
    assert purchase_step(order_id).state == "failed"


# ---------------------------------------------------------------------------------------------- cancelling


def test_a_cancellation_racing_the_start_of_the_purchase_is_refused_as_a_conflict(app, as_role, users, monkeypatch):
    order = submitted_order(case=make_case(state="discharged", coordinator=users["coordinator"]))
    order_id, version = order.id, order.version
    read_order = operations.get_order

    def read_then_the_purchase_starts(order_id_):
        """The coordinator's request has read the order as cancellable; the purchase job starts right then."""
        loaded = read_order(order_id_)

        def job_starts():
            with app.app_context():
                steps._begin(order_id_, "purchase")
                db.session.remove()

        thread = threading.Thread(target=job_starts)
        thread.start()
        thread.join(timeout=10)
        return loaded

    monkeypatch.setattr(operations, "get_order", read_then_the_purchase_starts)

    response = as_role("coordinator").post(
        f"/medicine-orders/{order_id}/cancel", data={"version": version, "reason": "patient changed their mind"}
    )

    assert response.status_code == 409
    page = html.unescape(response.get_data(as_text=True))
    assert "Someone else changed this at the same moment; nothing was stored." in page
    assert fresh(order_id).status == "submitted"
    assert purchase_step(order_id).state == "running"


def test_an_order_whose_purchase_was_tried_cannot_be_cancelled_even_after_a_requeue_reopened_it(app):
    order_id = submitted_order(behaviour="down").id
    job_id = purchase_job(order_id).id
    for _ in range(settings(app).job_max_attempts - 1):  # the pharmacy times out every time
        assert runner.run_entry(job_id)["outcome"] == "retry"
        db.session.remove()
    with pytest.raises(runner.GaveUp):
        runner.run_entry(job_id)
    db.session.remove()
    assert fresh(order_id).status == "failed"
    runner.requeue(purchase_job(order_id))  # the purchase step is "pending" again
    db.session.commit()
    assert purchase_step(order_id).state == "pending"

    # A timeout is not a "no": the pharmacy may have bought the medicines.
    with pytest.raises(operations.OrderError, match="the purchase has started: it can only be cancelled before"):
        operations.cancel_order(order_id, actor_id=None, reason="too late", expected_version=None)
    db.session.rollback()
    assert fresh(order_id).status == "submitted"


# ---------------------------------------------------------------------------------------------- the order form


def test_the_same_order_form_sent_twice_at_the_same_moment_stores_one_order_and_refuses_the_other(app, monkeypatch):
    case = make_case(state="discharged")
    data = order_input(make_pharmacy(), make_prescription(case))
    db.session.commit()
    case_id = case.id
    barrier = threading.Barrier(2)
    apply = operations._apply

    def apply_once_both_found_no_order(*args):
        barrier.wait(timeout=5)
        return apply(*args)

    monkeypatch.setattr(operations, "_apply", apply_once_both_found_no_order)
    outcomes: dict[str, str] = {}

    def click(name: str) -> None:
        with app.app_context():
            try:
                operations.create_order(case_id, data, actor_id=None, client_token="same-form-token")
                db.session.commit()
                outcomes[name] = "stored"
            except DomainError as error:
                db.session.rollback()
                outcomes[name] = f"refused: {error.message}"
            except Exception as error:  # reported by the assertions, not lost in the thread
                db.session.rollback()
                outcomes[name] = f"unexpected {type(error).__name__}: {error}"
            finally:
                db.session.remove()

    threads = [threading.Thread(target=click, args=(name,)) for name in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes.values()) == [
        "refused: This form was just sent already and its order is stored; open the case's orders.",
        "stored",
    ], outcomes
    assert db.session.scalar(select(func.count()).select_from(MedicineOrder)) == 1


# ---------------------------------------------------------------------------------------------- job payloads


@pytest.mark.parametrize(
    ("job", "args"),
    [
        ("shipments.purchase", {"order_id": "abc"}),
        ("shipments.purchase", {"order_id": 10**20}),
        ("shipments.purchase", {"order_id": True}),
        ("shipments.track", {"order_id": 1, "poll": "x"}),
    ],
    ids=["text id", "id too large for the database", "boolean id", "text poll number"],
)
def test_a_job_payload_of_the_wrong_type_fails_as_bad_arguments_instead_of_crashing(app, job, args):
    entry = record_job(job, args, key=f"payload-{job}-{args}")
    db.session.commit()

    assert runner.run_entry(entry.id) == {"outcome": "bad payload"}

    db.session.expire_all()
    entry = db.session.get(OutboxEntry, entry.id)
    assert entry.state == "failed"
    assert entry.last_error.startswith(f"bad arguments for {job}: ")
    assert "is not a whole number from 1 to 2147483647" in entry.last_error
    assert db.session.scalar(select(func.count()).select_from(SandboxCall)) == 0
