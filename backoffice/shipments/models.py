"""Medicine orders: medicines bought from a pharmacy abroad and shipped to the patient, step by step in jobs.

An order is `draft` while the coordinator writes it, then `submitted` -> `purchased` -> `packed` -> `shipped` ->
`delivered`, or `failed` (with the reason) / `cancelled` (only before the purchase). Each step that talks to an
outside party (purchase, pack, ship, track) has a row in `medicine_order_steps`, unique per order and step: the
step's idempotency key goes with the call and its result is stored there, so a step run twice finds its result
instead of buying or shipping again.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from backoffice.dbtypes import UTCDateTime, utcnow
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.money import Amount, Money, money_composite

ORDER_STATUSES = ("draft", "submitted", "purchased", "packed", "shipped", "delivered", "failed", "cancelled")
STATUS_LABELS = {
    "draft": N_("Draft"),
    "submitted": N_("Submitted"),
    "purchased": N_("Purchased"),
    "packed": N_("Packed"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "failed": N_("Failed"),
    "cancelled": N_("Cancelled"),
}
STEPS = ("purchase", "pack", "ship", "track")
STEP_LABELS = {
    "purchase": N_("Purchase at the pharmacy"),
    "pack": N_("Packing"),
    "ship": N_("Carrier booked"),
    "track": N_("Tracking until delivery"),
}
STEP_STATES = ("pending", "running", "retrying", "done", "failed")
# What the sandbox pharmacy and carrier do for this order (ignored by real providers).
SANDBOX_BEHAVIOURS = ("normal", "flaky", "down", "refused", "garbled")
SANDBOX_BEHAVIOUR_LABELS = {
    "normal": N_("Everything works"),
    "flaky": N_("The pharmacy does not answer twice, then does (retried)"),
    "down": N_("The pharmacy does not answer until an administrator requeues the job"),
    "refused": N_("The pharmacy refuses the order (fails at once)"),
    "garbled": N_("The carrier's tracking answer cannot be read (fails)"),
}


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Pharmacy(db.Model):
    """A pharmacy abroad the operator buys from, reached through a provider adapter (the sandbox by default)."""

    __tablename__ = "pharmacies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    country: Mapped[str] = mapped_column(String(2))
    city: Mapped[str] = mapped_column(String(100), default="")
    address: Mapped[str] = mapped_column(Text, default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    provider: Mapped[str] = mapped_column(String(20), default="sandbox")
    cold_chain: Mapped[bool] = mapped_column(default=False)  # can ship refrigerated
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MedicineOrder(db.Model):
    __tablename__ = "medicine_orders"
    __table_args__ = (
        CheckConstraint(_in("status", ORDER_STATUSES), name="status"),
        CheckConstraint(_in("sandbox_behaviour", SANDBOX_BEHAVIOURS), name="sandbox_behaviour"),
        Index("ix_medicine_orders_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    pharmacy_id: Mapped[int] = mapped_column(ForeignKey("pharmacies.id"))
    prescription_id: Mapped[int | None] = mapped_column(ForeignKey("case_documents.id"))
    delivery_name: Mapped[str] = mapped_column(String(200), default="")
    delivery_address: Mapped[str] = mapped_column(Text, default="")
    delivery_country: Mapped[str] = mapped_column(String(2), default="")
    cold_chain: Mapped[bool] = mapped_column(default=False)
    customs_notes: Mapped[str] = mapped_column(Text, default="")
    sandbox_behaviour: Mapped[str] = mapped_column(String(12), default="normal")
    status: Mapped[str] = mapped_column(String(12), default="draft")
    failure_reason: Mapped[str] = mapped_column(Text, default="")
    purchase_reference: Mapped[str | None] = mapped_column(String(100))
    parcel_reference: Mapped[str | None] = mapped_column(String(100))
    carrier: Mapped[str | None] = mapped_column(String(60))
    tracking_number: Mapped[str | None] = mapped_column(String(100))
    cost_amount: Mapped[Decimal | None] = mapped_column(Amount(scale=2))
    cost_currency: Mapped[str | None] = mapped_column(String(3))
    cost: Mapped[Money | None] = money_composite(cost_amount, cost_currency)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(default=1)
    # The order form's one-time token: the same form sent twice (a double click) makes one order.
    client_token: Mapped[str | None] = mapped_column(String(64), unique=True)

    pharmacy: Mapped[Pharmacy] = relationship(lazy="raise")
    items: Mapped[list[OrderItem]] = relationship(
        back_populates="order", order_by="OrderItem.position", lazy="raise", cascade="all, delete-orphan"
    )
    steps: Mapped[list[OrderStep]] = relationship(
        back_populates="order", order_by="OrderStep.id", lazy="raise", cascade="all, delete-orphan"
    )

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        """The status in the page's language."""
        return _(STATUS_LABELS[self.status])


class OrderItem(db.Model):
    __tablename__ = "medicine_order_items"
    __table_args__ = (
        UniqueConstraint("order_id", "position", name="uq_medicine_order_items_order_position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("medicine_orders.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    medicine: Mapped[str] = mapped_column(String(200))
    strength: Mapped[str] = mapped_column(String(60), default="")  # 100 IU/ml
    form: Mapped[str] = mapped_column(String(60), default="")  # tablets, vials, pre-filled pens
    quantity: Mapped[int]

    order: Mapped[MedicineOrder] = relationship(back_populates="items")


class OrderStep(db.Model):
    """One step of an order's chain: its state, attempts, last error and, once done, the provider's answer."""

    __tablename__ = "medicine_order_steps"
    __table_args__ = (
        UniqueConstraint("order_id", "step", name="uq_medicine_order_steps_order_step"),
        CheckConstraint(_in("step", STEPS), name="step"),
        CheckConstraint(_in("state", STEP_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("medicine_orders.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(String(10))
    state: Mapped[str] = mapped_column(String(10), default="pending")
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    result: Mapped[dict | None] = mapped_column(JSON)
    job_id: Mapped[str | None] = mapped_column(String(100))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    order: Mapped[MedicineOrder] = relationship(back_populates="steps")

    @property
    def label(self) -> str:
        return STEP_LABELS[self.step]


class SandboxCall(db.Model):
    """The sandbox pharmacy's and carrier's own records (their side of the wire, kept in our database for the demo).

    Like a payment provider's idempotency keys: a call repeated with the same key returns the first answer and
    buys, packs or ships nothing more. Written in a transaction of its own, as an outside system would."""

    __tablename__ = "sandbox_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(10))  # purchase, pack, ship
    order_id: Mapped[int] = mapped_column(index=True)  # no foreign key: the provider keeps its records
    attempts: Mapped[int] = mapped_column(default=1)  # calls received with this key, refused ones included
    response: Mapped[dict | None] = mapped_column(JSON(none_as_null=True))  # the answer, once the call succeeded
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
