"""The jobs of a medicine order: purchase -> pack -> book the carrier -> track until delivered.

Each job takes the order's id, commits its own work and is safe to run twice:
1. it marks its step running (and commits: the page shows it, and a cancellation racing it loses on the version);
2. it calls the provider with the step's idempotency key (a provider answers a repeated key with its first answer);
3. it stores the answer on the step (unique per order and step), moves the order on, and records the next job in
   the outbox, all in one commit. A run that finds its step done only makes sure the next job is recorded.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

from rq import get_current_job
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from backoffice.cases import reminders
from backoffice.cases.models import Case
from backoffice.cases.operations import record_case_event
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.outbox import record_job
from backoffice.jobs.runner import JobSpec, PermanentJobError, TransientJobError, progress, register_job
from backoffice.messages import automatic
from backoffice.notifications.operations import notify_case, path_for
from backoffice.patients.models import Patient
from backoffice.shipments import providers
from backoffice.shipments.models import STEP_LABELS, MedicineOrder, OrderStep, Pharmacy
from backoffice.shipments.operations import step_key
from backoffice.trail import record_event

log = logging.getLogger(__name__)

FAILURE_REMINDER = "Medicine order #"
NEXT = {"purchase": "pack", "pack": "ship", "ship": "track", "track": None}
STATUS_AFTER = {"purchase": "purchased", "pack": "packed", "ship": "shipped", "track": "delivered"}
STATUS_BEFORE = {"purchase": "submitted", "pack": "purchased", "ship": "packed", "track": "shipped"}


def _load(order_id: int) -> MedicineOrder:
    order = db.session.scalar(
        select(MedicineOrder)
        .where(MedicineOrder.id == order_id)
        .options(selectinload(MedicineOrder.items), selectinload(MedicineOrder.steps))
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise PermanentJobError(f"medicine order {order_id} does not exist (deleted?); nothing was bought or shipped")
    return order


def _step(order: MedicineOrder, name: str) -> OrderStep:
    step = next((step for step in order.steps if step.step == name), None)
    if step is None:
        raise PermanentJobError(f"medicine order {order.id} was never submitted; it has no {name} step")
    return step


def _request(order: MedicineOrder, step: OrderStep) -> providers.OrderRequest:
    return providers.OrderRequest(
        order_id=order.id,
        items=tuple((item.medicine, item.strength, item.form, item.quantity) for item in order.items),
        cold_chain=order.cold_chain,
        delivery_name=order.delivery_name,
        delivery_address=order.delivery_address,
        delivery_country=order.delivery_country,
        customs_notes=order.customs_notes,
        sandbox_behaviour=order.sandbox_behaviour,
        attempt=step.attempts,
    )


def _record_next(order: MedicineOrder, name: str) -> None:
    following = NEXT[name]
    if following == "track":
        _record_poll(order, 1)
    elif following is not None:
        record_job(f"shipments.{following}", {"order_id": order.id}, key=step_key(order.id, following))


def _record_poll(order: MedicineOrder, poll: int) -> None:
    interval = timedelta(seconds=float(settings().tracking_poll_seconds))
    record_job(
        "shipments.track",
        {"order_id": order.id, "poll": poll},
        key=f"{step_key(order.id, 'track')}-poll-{poll}",
        available_at=utcnow() + (interval if poll > 1 else timedelta(0)),
    )


def _begin(order_id: int, name: str) -> tuple[MedicineOrder, OrderStep] | dict:
    """Claim the step for this run, or say why there is nothing to do."""
    order = _load(order_id)
    step = _step(order, name)
    if order.status == "cancelled":
        return {"outcome": "cancelled", "order_id": order_id}
    if step.state == "done":
        _record_next(order, name)  # the run that did it may have died before recording the next job
        db.session.commit()
        return {"outcome": "already done", "order_id": order_id}
    if order.status == "failed":
        return {"outcome": "order failed", "order_id": order_id}
    step.state = "running"
    step.attempts += 1
    step.started_at = utcnow()
    job = get_current_job()
    step.job_id = job.id if job is not None else None
    order.updated_at = utcnow()  # moves the version: a cancellation committed meanwhile makes this fail
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        return _begin(order_id, name)
    return order, step


def _transient(order_id: int, name: str, error: TransientJobError) -> None:
    db.session.rollback()
    order = _load(order_id)
    step = _step(order, name)
    if step.state != "done":
        step.state = "retrying"
        step.last_error = str(error)[:2000]
        db.session.commit()


def _run(order_id: int, name: str, call: Callable, apply: Callable) -> dict:
    begun = _begin(order_id, name)
    if isinstance(begun, dict):
        return begun
    order, step = begun
    progress(f"{STEP_LABELS[name]}: waiting for the provider (attempt {step.attempts})")
    request = _request(order, step)
    try:
        answer = call(request, step.idempotency_key, order)
    except TransientJobError as error:
        _transient(order_id, name, error)
        raise
    order = _load(order_id)
    step = _step(order, name)
    if step.state == "done" or order.status in ("cancelled", "failed"):
        return {"outcome": "finished by another run", "order_id": order_id}
    summary = apply(order, step, answer)
    finished = step.state == "done"
    try:
        db.session.commit()
    except StaleDataError:  # another run of the same step finished first with the same answer
        db.session.rollback()
        return {"outcome": "finished by another run", "order_id": order_id}
    progress(
        f"{STEP_LABELS[name]}: done" if finished else f"{STEP_LABELS[name]}: {summary.get('detail') or 'in transit'}"
    )
    return {"outcome": "done", "order_id": order_id, **summary}


def _complete(order: MedicineOrder, step: OrderStep, name: str, result: dict, note: str) -> None:
    step.state = "done"
    step.finished_at = utcnow()
    step.last_error = ""
    step.result = result
    order.status = STATUS_AFTER[name]
    order.updated_at = utcnow()
    _record_next(order, name)
    case = _case_event(order, note)
    # A step that succeeds after a failure was retried: the reminder the failure made is settled.
    reminders.close_reminders_about(case, "medicine_order", order.id)


def _case_event(order: MedicineOrder, note: str) -> Case:
    case = db.session.get(Case, order.case_id)
    record_case_event(case, "medicine_order", None, note=note)
    return case


# ---------------------------------------------------------------------------------------------- the steps


def purchase(order_id: int) -> dict:
    """Buy the order's medicines at its pharmacy."""

    def call(request, key, order):
        return _pharmacy(order).purchase(key, request)

    def apply(order, step, answer: providers.Purchase):
        providers.check_purchase(answer)
        order.purchase_reference = answer.reference
        order.cost_amount, order.cost_currency = answer.amount, answer.currency
        result = {"reference": answer.reference, "amount": str(answer.amount), "currency": answer.currency}
        _complete(order, step, "purchase", result, f"Medicine order #{order.id} purchased ({answer.reference})")
        return result

    return _run(order_id, "purchase", call, apply)


def pack(order_id: int) -> dict:
    """Have the pharmacy pack the medicines (refrigerated when the order is cold-chain)."""

    def call(request, key, order):
        return _pharmacy(order).pack(key, request, order.purchase_reference or "")

    def apply(order, step, answer: providers.Parcel):
        order.parcel_reference = answer.reference
        result = {"reference": answer.reference, "weight_grams": answer.weight_grams}
        _complete(order, step, "pack", result, f"Medicine order #{order.id} packed ({answer.reference})")
        return result

    return _run(order_id, "pack", call, apply)


def ship(order_id: int) -> dict:
    """Book the carrier; its tracking number comes back."""

    def call(request, key, order):
        return providers.carrier().book(key, request, order.parcel_reference or "")

    def apply(order, step, answer: providers.Shipment):
        order.carrier, order.tracking_number = answer.carrier, answer.tracking_number
        result = {"carrier": answer.carrier, "tracking_number": answer.tracking_number}
        _complete(
            order,
            step,
            "ship",
            result,
            f"Medicine order #{order.id} shipped with {answer.carrier}, tracking {answer.tracking_number}",
        )
        _tell_patient_shipped(order)
        return result

    return _run(order_id, "ship", call, apply)


def _tell_patient_shipped(order: MedicineOrder) -> None:
    """The "medicine shipped" mail, committed with the step: the carrier and the tracking number, nothing of what the
    parcel holds (a subject naming medicines would tell every server on the way about the patient's health)."""
    case = db.session.get(Case, order.case_id)
    automatic.to_patient(
        "medicine_shipped",
        db.session.get(Patient, case.patient_id),
        case_id=case.id,
        carrier=order.carrier,
        tracking_number=order.tracking_number,
    )


def track(order_id: int, poll: int = 1) -> dict:
    """Ask the carrier where the parcel is; until it is delivered, ask again later (a scheduled job)."""
    max_polls = settings().tracking_max_polls

    def call(request, key, order):
        return providers.parse_tracking(providers.carrier().track(request, order.tracking_number or ""))

    def apply(order, step, answer: providers.Tracking):
        result = {"polls": max(poll, (step.result or {}).get("polls", 0)), "status": answer.state}
        result["detail"] = answer.detail
        if answer.state == "exception":
            raise PermanentJobError(f"the carrier reports a problem with the parcel: {answer.detail or 'no detail'}")
        if answer.state == "delivered":
            order.delivered_at = answer.delivered_at
            _complete(order, step, "track", result, f"Medicine order #{order.id} delivered")
            return result
        if poll >= max_polls:
            raise PermanentJobError(f"the parcel was not delivered after {poll} tracking checks")
        step.result = result
        step.state = "running"
        _record_poll(order, poll + 1)
        return result

    return _run(order_id, "track", call, apply)


def _pharmacy(order: MedicineOrder) -> providers.Pharmacy:
    return providers.pharmacy_for(db.session.get(Pharmacy, order.pharmacy_id).provider)


# ---------------------------------------------------------------------------------------------- failures


def _current_step(order: MedicineOrder) -> OrderStep | None:
    return next((step for step in order.steps if step.state != "done"), None)


def give_up(args: dict, reason: str) -> None:
    """The chain stops: the order is failed with the reason, and its coordinator is told (a reminder due today).
    Runs in the runner's transaction (after it rolled back the failed attempt); the runner commits."""
    order_id = args.get("order_id")
    order = db.session.get(MedicineOrder, order_id) if isinstance(order_id, int) else None
    if order is None or order.status in ("cancelled", "delivered"):
        return
    steps = db.session.scalars(select(OrderStep).where(OrderStep.order_id == order.id).order_by(OrderStep.id)).all()
    step = next((step for step in steps if step.state != "done"), None)
    if step is not None:
        step.state = "failed"
        step.last_error = reason[:2000]
        step.finished_at = utcnow()
    order.status = "failed"
    order.failure_reason = reason[:2000]
    case = db.session.get(Case, order.case_id)
    # The system's own reminder about this order, due today; nobody else's reminder is touched.
    reminders.remind(
        case,
        source="medicine_order",
        source_id=order.id,
        text=f"{FAILURE_REMINDER}{order.id} failed: {reason}",
        due_on=utcnow().date(),
    )
    record_case_event(case, "medicine_order", None, note=f"Medicine order #{order.id} failed: {reason}")
    failed_at = f"{step.step}:{step.attempts}" if step else "order"  # failing again after a requeue: told again
    notify_case(
        "medicine_order_failed",
        case,
        key=f"order:{order.id}:{failed_at}",
        note=f"order #{order.id}",
        link=path_for("shipments.show_order", order_id=order.id),
    )
    record_event(
        "medicine_order.failed",
        object_type="medicine_order",
        object_id=order.id,
        details={"case_id": order.case_id, "step": step.step if step else None, "reason": reason[:500]},
    )
    db.session.flush()


def reopen(args: dict) -> None:
    """An administrator requeued the job of a failed order: the failed step is open again."""
    order_id = args.get("order_id")
    order = db.session.get(MedicineOrder, order_id) if isinstance(order_id, int) else None
    if order is None or order.status != "failed":
        return
    steps = db.session.scalars(select(OrderStep).where(OrderStep.order_id == order.id).order_by(OrderStep.id)).all()
    step = next((step for step in steps if step.state == "failed"), None)
    if step is None:
        return
    step.state = "pending"
    order.status = STATUS_BEFORE[step.step]
    order.failure_reason = ""
    # The failure's reminder stays open until the retried step succeeds (_complete closes it).
    record_event(
        "medicine_order.reopened", object_type="medicine_order", object_id=order.id, details={"step": step.step}
    )
    db.session.flush()


# Each step is a job of the product, run by name: `give_up` reports its last failure, `reopen` takes an
# administrator's requeue.
for _name in NEXT:
    register_job(f"shipments.{_name}", JobSpec(f"{__name__}:{_name}", f"{__name__}:give_up", f"{__name__}:reopen"))
