"""A submitted medicine order runs through its jobs: purchase, pack, ship, track until delivered, each step once."""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.jobs.models import OutboxEntry
from backoffice.shipments.models import MedicineOrder, OrderStep, SandboxCall
from tests.shipments.factories import run_jobs, submitted_order


def test_a_submitted_order_is_bought_packed_shipped_and_delivered(app):
    order_id = submitted_order().id
    run_jobs(app)
    db.session.expire_all()
    stored = db.session.get(MedicineOrder, order_id)
    assert stored.status == "delivered", stored.failure_reason
    assert stored.purchase_reference.startswith("SBX-PH-")
    assert stored.tracking_number and stored.carrier.startswith("Sandbox Express")
    assert stored.cost_amount > 0 and stored.cost_currency == "EUR"
    kinds = db.session.execute(
        select(SandboxCall.kind, func.count()).where(SandboxCall.order_id == order_id).group_by(SandboxCall.kind)
    ).all()
    assert dict(kinds) == {"purchase": 1, "pack": 1, "ship": 1}
    states = dict(
        db.session.execute(select(OrderStep.step, OrderStep.state).where(OrderStep.order_id == order_id)).all()
    )
    assert states == {"purchase": "done", "pack": "done", "ship": "done", "track": "done"}


def test_a_flaky_pharmacy_is_retried_until_it_answers(app):
    order_id = submitted_order(behaviour="flaky").id
    run_jobs(app)
    db.session.expire_all()
    assert db.session.get(MedicineOrder, order_id).status == "delivered"
    purchase = db.session.scalar(select(OrderStep).where(OrderStep.order_id == order_id, OrderStep.step == "purchase"))
    assert purchase.attempts == 3
    assert db.session.scalar(select(SandboxCall.attempts).where(SandboxCall.kind == "purchase")) == 3


def test_a_refusal_fails_the_order_with_the_reason_and_tells_the_coordinator(app):
    order_id = submitted_order(behaviour="refused").id
    run_jobs(app)
    db.session.expire_all()
    stored = db.session.get(MedicineOrder, order_id)
    assert stored.status == "failed"
    assert "refused" in stored.failure_reason
    from backoffice.cases.models import Case

    case = db.session.get(Case, stored.case_id)
    assert case.next_action.startswith(f"Medicine order #{order_id} failed")


def test_running_a_done_step_again_buys_nothing_more(app):
    order_id = submitted_order().id
    run_jobs(app)
    from backoffice.shipments import steps

    assert steps.purchase(order_id)["outcome"] == "already done"
    assert db.session.scalar(select(func.count()).select_from(SandboxCall).where(SandboxCall.kind == "purchase")) == 1
    outbox = db.session.scalars(select(OutboxEntry.state).where(OutboxEntry.job != "messages.send")).all()
    assert set(outbox) == {"done"}


def test_a_failure_keeps_the_coordinators_own_reminder(app, users):
    from datetime import timedelta

    from backoffice.cases import reminders
    from backoffice.cases.models import Case, Reminder
    from backoffice.dbtypes import utcnow
    from tests.factories import make_case

    case = make_case(state="discharged", coordinator=users["coordinator"])
    own = reminders.add_reminder(
        case.id,
        due_on=utcnow().date() + timedelta(days=2),
        text="Ask for the weekly examination results",
        actor_id=users["coordinator"].id,
    )
    db.session.commit()
    case_id, own_id = case.id, own.id
    order_id = submitted_order(behaviour="refused", case=case).id
    run_jobs(app)
    db.session.expire_all()
    assert db.session.get(MedicineOrder, order_id).status == "failed"
    assert db.session.get(Reminder, own_id).state == "open"
    assert db.session.get(Reminder, own_id).text == "Ask for the weekly examination results"
    failure = reminders.open_reminder_about("medicine_order", order_id)
    assert failure.owner_id is None and failure.due_on == utcnow().date()
    # The case's copy is the earliest open reminder: the failure, due today, before the coordinator's own.
    assert db.session.get(Case, case_id).next_action.startswith(f"Medicine order #{order_id} failed")
