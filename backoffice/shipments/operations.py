"""Medicine orders as the coordinator sees them: written as a draft, submitted, cancelled before the purchase.

Submitting commits the order together with its steps and the outbox row of its first job (the purchase), so the
chain starts exactly when the submission is stored, whether or not Redis is reachable at that moment.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from babel.numbers import format_decimal
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from backoffice.cases import documents as case_documents
from backoffice.cases import states
from backoffice.cases.models import Case, CaseDocument
from backoffice.cases.operations import get_case, record_case_event
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.geo import countries
from backoffice.jobs.outbox import record_job
from backoffice.languages import page_language
from backoffice.params import MAX_ID
from backoffice.shipments.models import (
    SANDBOX_BEHAVIOURS,
    STEPS,
    MedicineOrder,
    OrderItem,
    OrderStep,
    Pharmacy,
)
from backoffice.trail import record_event

MAX_ITEMS = 30
MAX_QUANTITY = 10_000
CANCELLABLE = ("draft", "submitted")


class OrderError(DomainError):
    """A medicine-order rule refused the change; the message says which."""


class OrderConflict(OrderError):
    status_code = 409


@dataclass(frozen=True, slots=True)
class ItemInput:
    medicine: str
    strength: str
    form: str
    quantity: str | int


@dataclass(frozen=True, slots=True)
class OrderInput:
    pharmacy_id: int | None
    prescription_id: int | None
    delivery_name: str
    delivery_address: str
    delivery_country: str
    cold_chain: bool
    customs_notes: str
    items: Sequence[ItemInput]
    sandbox_behaviour: str = "normal"


def get_order(order_id: int) -> MedicineOrder:
    """An order with its pharmacy, items and steps; 404 when there is none."""
    order = db.session.scalar(
        select(MedicineOrder)
        .where(MedicineOrder.id == order_id)
        .options(
            joinedload(MedicineOrder.pharmacy),
            selectinload(MedicineOrder.items),
            selectinload(MedicineOrder.steps),
        )
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise NotFound(_("There is no such medicine order."))
    return order


def orders_of_case(case_id: int) -> list[MedicineOrder]:
    return list(
        db.session.scalars(
            select(MedicineOrder)
            .where(MedicineOrder.case_id == case_id)
            .options(joinedload(MedicineOrder.pharmacy), selectinload(MedicineOrder.items))
            .order_by(MedicineOrder.created_at.desc(), MedicineOrder.id.desc())
        )
    )


def active_pharmacies() -> list[Pharmacy]:
    return list(db.session.scalars(select(Pharmacy).where(Pharmacy.active.is_(True)).order_by(Pharmacy.name)))


def prescriptions_of_case(case_id: int) -> list[CaseDocument]:
    """The case's documents of type prescription that were not removed: the only ones an order may rest on."""
    return case_documents.list_documents(case_id, document_type="prescription")


def _check_prescription(case_id: int, prescription_id: int | None) -> None:
    """A medicine order's prescription is a prescription of this case, not another kind of document."""
    try:
        case_documents.usable_document(case_id, prescription_id, "prescription", "prescription")
    except case_documents.DocumentError as error:
        raise OrderError(error.message) from None


def only_drafts_change(order: MedicineOrder) -> str:
    """Why an order that is no longer a draft cannot be changed, in the page's language."""
    return _(
        "Order #%(number)s is %(status)s: only a draft is changed.", number=order.id, status=order.status_label.lower()
    )


def _check_version(order: MedicineOrder, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != order.version:
        raise OrderConflict(
            _(
                "Order #%(number)s was changed meanwhile (its status is now %(status)s).",
                number=order.id,
                status=order.status_label,
            )
        )


def _items(items: Iterable[ItemInput]) -> list[OrderItem]:
    rows = []
    for position, item in enumerate(items, start=1):
        medicine = (item.medicine or "").strip()
        strength, form = (item.strength or "").strip(), (item.form or "").strip()
        raw_quantity = str(item.quantity if item.quantity is not None else "").strip()
        if not medicine and not raw_quantity and not strength and not form:
            continue  # an empty row of the form
        if not medicine or len(medicine) > 200:
            raise OrderError(_("Item %(number)s: name the medicine (at most 200 characters).", number=position))
        if len(strength) > 60 or len(form) > 60:
            raise OrderError(_("Item %(number)s: strength and form have at most 60 characters each.", number=position))
        if not (raw_quantity.isascii() and raw_quantity.isdigit()):
            raise OrderError(
                _(
                    "Item %(number)s (%(medicine)s): the quantity is a whole number such as 3.",
                    number=position,
                    medicine=medicine,
                )
            )
        quantity = int(raw_quantity)
        if not 1 <= quantity <= MAX_QUANTITY:
            raise OrderError(
                _(
                    "Item %(number)s (%(medicine)s): the quantity is between 1 and %(max)s.",
                    number=position,
                    medicine=medicine,
                    max=format_decimal(MAX_QUANTITY, locale=page_language()),
                )
            )
        rows.append(
            OrderItem(position=len(rows) + 1, medicine=medicine, strength=strength, form=form, quantity=quantity)
        )
    if not rows:
        raise OrderError(_("An order needs at least one medicine with its quantity."))
    if len(rows) > MAX_ITEMS:
        raise OrderError(_("An order has at most %(max)s items; split it.", max=MAX_ITEMS))
    return rows


def _row(model, row_id: int | None):
    """The row with this id, or None for a missing id or one no database column could hold."""
    if not isinstance(row_id, int) or not 0 < row_id <= MAX_ID:
        return None
    return db.session.get(model, row_id)


def _check_pharmacy(order: MedicineOrder, pharmacy: Pharmacy | None) -> Pharmacy:
    if pharmacy is None or not pharmacy.active:
        raise OrderError(_("Choose a pharmacy from the directory."))
    if order.cold_chain and not pharmacy.cold_chain:
        raise OrderError(
            _(
                "%(pharmacy)s cannot ship refrigerated; choose a pharmacy with cold-chain shipping.",
                pharmacy=pharmacy.name,
            )
        )
    return pharmacy


def _apply(order: MedicineOrder, case: Case, data: OrderInput) -> None:
    pharmacy = _row(Pharmacy, data.pharmacy_id)
    order.cold_chain = bool(data.cold_chain)
    _check_pharmacy(order, pharmacy)
    if data.prescription_id is not None:
        _check_prescription(case.id, data.prescription_id if 0 < data.prescription_id <= MAX_ID else None)
    country = (data.delivery_country or "").strip().upper()
    if country and country not in countries():
        raise OrderError(_("Choose the delivery country from the list."))
    name, address = (data.delivery_name or "").strip(), (data.delivery_address or "").strip()
    if len(name) > 200 or len(address) > 1000 or len(data.customs_notes or "") > 2000:
        raise OrderError(_("The name has at most 200 characters, the address 1,000 and the customs notes 2,000."))
    if data.sandbox_behaviour not in SANDBOX_BEHAVIOURS:
        raise OrderError(_("Choose how the sandbox should behave."))
    order.pharmacy_id = pharmacy.id
    order.prescription_id = data.prescription_id
    order.delivery_name = name or case.patient.name
    order.delivery_address = address or case.patient.address
    order.delivery_country = country or case.patient.country
    order.customs_notes = (data.customs_notes or "").strip()
    order.sandbox_behaviour = data.sandbox_behaviour if pharmacy.provider == "sandbox" else "normal"
    order.items = _items(data.items)


def create_order(
    case_id: int, data: OrderInput, *, actor_id: int | None, client_token: str | None = None
) -> MedicineOrder:
    """A draft medicine order for a case; the delivery address defaults to the patient's. The form's one-time
    `client_token` makes sending the same form twice create one order."""
    case = get_case(case_id)
    if case.state in ("cancelled", "closed"):
        raise OrderError(
            _(
                "Case %(number)s is %(state)s: no new medicine orders.",
                number=case.number,
                state=_(states.label(case.state)).lower(),
            )
        )
    token = (client_token or "").strip()[:64] or None
    if token is not None:
        existing = db.session.scalar(select(MedicineOrder).where(MedicineOrder.client_token == token))
        if existing is not None:
            if existing.case_id != case.id:
                raise OrderError(_("This form was already used for another case; open a new order form."))
            return existing  # the same form sent twice (a double click): one order
    order = MedicineOrder(case_id=case.id, status="draft", created_by_id=actor_id, client_token=token)
    order.items = []
    order.steps = []
    _apply(order, case, data)
    db.session.add(order)
    try:
        db.session.flush()
    except IntegrityError:  # the same form sent twice at the same moment: the other request stored the order
        if token is None:
            raise
        raise OrderConflict(
            _("This form was just sent already and its order is stored; open the case's orders.")
        ) from None
    _event(order, case, actor_id, "created", f"Medicine order #{order.id} drafted ({_summary(order)})")
    return order


def update_order(
    order_id: int, data: OrderInput, *, actor_id: int | None, expected_version: int | None
) -> MedicineOrder:
    """Change a draft order (items replaced as a whole)."""
    order = get_order(order_id)
    if order.status != "draft":
        raise OrderError(only_drafts_change(order))
    _check_version(order, expected_version)
    case = get_case(order.case_id)
    order.items.clear()
    db.session.flush()
    _apply(order, case, data)
    order.updated_at = utcnow()
    db.session.flush()
    _event(order, None, actor_id, "updated", "")
    return order


def step_key(order_id: int, step: str) -> str:
    return f"medicine-order-{order_id}-{step}"


def submit_order(order_id: int, *, actor_id: int | None, expected_version: int | None) -> MedicineOrder:
    """draft -> submitted: the order, its steps and its first job are stored together (the job outbox)."""
    order = get_order(order_id)
    if order.status != "draft":
        raise OrderConflict(
            _(
                "Order #%(number)s was submitted already (%(status)s); it is sent once.",
                number=order.id,
                status=order.status_label.lower(),
            )
        )
    _check_version(order, expected_version)
    _check_pharmacy(order, order.pharmacy)
    if not order.items:
        raise OrderError(_("An order needs at least one medicine with its quantity."))
    if order.prescription_id is None:
        raise OrderError(_("Attach the prescription (a document of the case) before submitting."))
    _check_prescription(order.case_id, order.prescription_id)
    if not order.delivery_address.strip() or not order.delivery_country:
        raise OrderError(_("Enter the delivery address and country before submitting."))
    order.status = "submitted"
    order.submitted_at = utcnow()
    order.submitted_by_id = actor_id
    order.steps = [OrderStep(step=step, state="pending", idempotency_key=step_key(order.id, step)) for step in STEPS]
    db.session.flush()
    record_job("shipments.purchase", {"order_id": order.id}, key=step_key(order.id, "purchase"))
    case = get_case(order.case_id)
    _event(order, case, actor_id, "submitted", f"Medicine order #{order.id} submitted to {order.pharmacy.name}")
    return order


def cancel_order(order_id: int, *, actor_id: int | None, reason: str, expected_version: int | None) -> MedicineOrder:
    """Cancel an order before the purchase has started; after it, the medicines are bought and on their way."""
    order = get_order(order_id)
    _check_version(order, expected_version)
    purchase = next((step for step in order.steps if step.step == "purchase"), None)
    # A purchase tried once may have gone through (a timeout is not a "no"), even after a requeue reopened it.
    started = purchase is not None and (purchase.state != "pending" or purchase.attempts > 0)
    if order.status not in CANCELLABLE or started:
        status = order.status_label.lower()
        if started and order.status in CANCELLABLE:
            raise OrderError(
                _(
                    "Order #%(number)s is %(status)s and the purchase has started: "
                    "it can only be cancelled before the purchase.",
                    number=order.id,
                    status=status,
                )
            )
        raise OrderError(
            _(
                "Order #%(number)s is %(status)s: it can only be cancelled before the purchase.",
                number=order.id,
                status=status,
            )
        )
    reason = (reason or "").strip()
    if not reason or len(reason) > 1000:
        raise OrderError(_("Say why the order is cancelled (at most 1,000 characters)."))
    order.status = "cancelled"
    order.failure_reason = reason
    order.updated_at = utcnow()  # moves the version: a purchase job starting now sees the cancellation
    db.session.flush()
    _event(order, get_case(order.case_id), actor_id, "cancelled", f"Medicine order #{order.id} cancelled: {reason}")
    return order


def _summary(order: MedicineOrder) -> str:
    return ", ".join(f"{item.quantity} x {item.medicine}" for item in order.items)[:300]


def _event(order: MedicineOrder, case: Case | None, actor_id: int | None, action: str, note: str) -> None:
    record_event(
        f"medicine_order.{action}",
        actor_id=actor_id,
        object_type="medicine_order",
        object_id=order.id,
        details={"case_id": order.case_id, "status": order.status},
    )
    if case is not None:
        record_case_event(case, "medicine_order", actor_id, note=note)
