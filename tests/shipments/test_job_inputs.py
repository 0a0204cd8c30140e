"""Jobs that cannot do their work end failed with a reason a person can act on, and buy or ship nothing: a job for an
order that is gone, a job name the product does not have, arguments that do not fit, a carrier answer that cannot be
read, a pharmacy that refuses. A pharmacy that fails now and then is retried and still buys once.
"""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.jobs.models import OutboxEntry
from backoffice.jobs.outbox import record_job
from backoffice.shipments.models import MedicineOrder, OrderStep, SandboxCall
from tests.helpers import change_settings
from tests.shipments.factories import run_jobs, submitted_order


def _outbox(key: str) -> OutboxEntry:
    db.session.expire_all()
    return db.session.scalar(select(OutboxEntry).where(OutboxEntry.key == key))


def _calls() -> dict[tuple[int, str], int]:
    rows = db.session.execute(
        select(SandboxCall.order_id, SandboxCall.kind, func.count()).group_by(SandboxCall.order_id, SandboxCall.kind)
    ).all()
    return {(order_id, kind): count for order_id, kind, count in rows}


def _steps(order_id: int) -> dict[str, tuple[str, int]]:
    rows = db.session.execute(
        select(OrderStep.step, OrderStep.state, OrderStep.attempts).where(OrderStep.order_id == order_id)
    ).all()
    return {step: (state, attempts) for step, state, attempts in rows}


def test_a_purchase_job_for_an_order_that_no_longer_exists_fails_naming_the_order_and_buys_nothing(app):
    record_job("shipments.purchase", {"order_id": 999999}, key="medicine-order-999999-purchase")
    db.session.commit()
    run_jobs(app)
    entry = _outbox("medicine-order-999999-purchase")
    assert entry.state == "failed"
    assert "medicine order 999999 does not exist" in entry.last_error
    assert _calls() == {}


def test_an_outbox_row_naming_an_unknown_job_fails_as_unknown(app):
    db.session.add(OutboxEntry(job="shipments.teleport", args={"order_id": 1}, key="teleport-1", state="pending"))
    db.session.commit()
    run_jobs(app)
    entry = _outbox("teleport-1")
    assert entry.state == "failed"
    assert entry.last_error == "unknown job 'shipments.teleport'"


def test_arguments_that_do_not_fit_the_job_fail_as_bad_arguments_and_buy_nothing(app):
    order_id = submitted_order().id
    record_job("shipments.purchase", {"order": order_id}, key="purchase-with-a-wrong-argument")
    db.session.commit()
    run_jobs(app)
    entry = _outbox("purchase-with-a-wrong-argument")
    assert entry.state == "failed"
    assert entry.last_error.startswith("bad arguments for shipments.purchase:")
    assert "order" in entry.last_error
    # The order's own purchase job (recorded at submission) bought it, once.
    assert _calls()[(order_id, "purchase")] == 1


def test_an_order_id_that_is_not_a_number_fails_at_once_as_bad_arguments_and_buys_nothing(app):
    for n, value in enumerate(("twelve", True, 0, -3, 2**31, 1.5, None, [1])):
        record_job("shipments.purchase", {"order_id": value}, key=f"purchase-of-{n}")
    db.session.commit()
    run_jobs(app)
    for n, value in enumerate(("twelve", True, 0, -3, 2**31, 1.5, None, [1])):
        entry = _outbox(f"purchase-of-{n}")
        assert (entry.state, entry.dispatches) == ("failed", 1), value
        assert entry.last_error.startswith("bad arguments for shipments.purchase: order_id="), entry.last_error
    assert _calls() == {}


def test_a_tracking_answer_that_cannot_be_read_fails_the_order_with_the_reason(app):
    order_id = submitted_order(behaviour="garbled").id
    run_jobs(app)
    db.session.expire_all()
    order = db.session.get(MedicineOrder, order_id)
    assert order.status == "failed"
    assert order.failure_reason.startswith("the carrier's tracking answer cannot be read")
    assert "502 Bad Gateway" in order.failure_reason
    assert _steps(order_id)["track"][0] == "failed"
    # Bought, packed and shipped once each before the tracking answer went wrong.
    assert _calls() == {(order_id, "purchase"): 1, (order_id, "pack"): 1, (order_id, "ship"): 1}
    assert _outbox(f"medicine-order-{order_id}-track-poll-1").state == "failed"


def test_a_pharmacy_refusal_fails_the_order_at_once_after_one_purchase_attempt(app):
    order_id = submitted_order(behaviour="refused").id
    run_jobs(app)
    db.session.expire_all()
    order = db.session.get(MedicineOrder, order_id)
    assert order.status == "failed"
    assert "refused the order" in order.failure_reason
    assert _steps(order_id) == {
        "purchase": ("failed", 1),
        "pack": ("pending", 0),
        "ship": ("pending", 0),
        "track": ("pending", 0),
    }
    assert db.session.scalars(select(SandboxCall.attempts)).all() == [1]  # asked once, not retried
    entry = _outbox(f"medicine-order-{order_id}-purchase")
    assert (entry.state, entry.attempts, entry.dispatches) == ("failed", 0, 1)


def test_a_pharmacy_failing_half_of_first_calls_is_retried_and_each_order_is_still_bought_once(app, monkeypatch):
    change_settings(monkeypatch, app, sandbox_failure_rate=0.5)
    order_ids = [submitted_order().id for _ in range(6)]
    run_jobs(app, rounds=40)
    db.session.expire_all()
    statuses = dict(db.session.execute(select(MedicineOrder.id, MedicineOrder.status)).all())
    assert statuses == dict.fromkeys(order_ids, "delivered")
    answered = select(SandboxCall.order_id, SandboxCall.kind).where(SandboxCall.response.is_not(None))
    assert sorted(db.session.execute(answered).all()) == sorted(
        (order_id, kind) for order_id in order_ids for kind in ("pack", "purchase", "ship")
    )
    retried = db.session.scalar(select(func.count()).select_from(SandboxCall).where(SandboxCall.attempts == 2))
    assert retried > 0  # the failure rate did fail some first calls (decided by the key: the same every run)
    # the orders' jobs (the "parcel shipped" mails go to no mail server here)
    assert set(db.session.scalars(select(OutboxEntry.state).where(OutboxEntry.job != "messages.send"))) == {"done"}
