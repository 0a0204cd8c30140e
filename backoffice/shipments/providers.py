"""The outside parties of a medicine order, behind small adapters: the pharmacy (buys and packs) and the carrier
(ships and tracks). The sandbox implementations ship with the app; a real provider plugs in by configuration
(`PHARMACY_PROVIDERS`, `CARRIER_PROVIDER`: "module:Class").

Every call that changes something carries an idempotency key derived from the order and the step; a provider that
receives a key again answers what it answered the first time and does nothing more.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from importlib import import_module
from typing import Protocol

from backoffice.config import settings
from backoffice.jobs.runner import PermanentJobError
from backoffice.money import Money, MoneyError, check_amount


@dataclass(frozen=True, slots=True)
class OrderRequest:
    """What a provider is told about an order: plain values, no rows."""

    order_id: int
    items: tuple[tuple[str, str, str, int], ...]  # medicine, strength, form, quantity
    cold_chain: bool
    delivery_name: str
    delivery_address: str
    delivery_country: str
    customs_notes: str = ""
    sandbox_behaviour: str = "normal"
    attempt: int = 1


@dataclass(frozen=True, slots=True)
class Purchase:
    reference: str
    amount: Decimal
    currency: str


@dataclass(frozen=True, slots=True)
class Parcel:
    reference: str
    weight_grams: int


@dataclass(frozen=True, slots=True)
class Shipment:
    carrier: str
    tracking_number: str


@dataclass(frozen=True, slots=True)
class Tracking:
    state: str  # in_transit, delivered, exception
    detail: str = ""
    delivered_at: datetime | None = None
    events: list = field(default_factory=list)


class Pharmacy(Protocol):
    label: str
    sandbox: bool

    def purchase(self, key: str, order: OrderRequest) -> Purchase: ...

    def pack(self, key: str, order: OrderRequest, purchase_reference: str) -> Parcel: ...


class Carrier(Protocol):
    label: str
    sandbox: bool

    def book(self, key: str, order: OrderRequest, parcel_reference: str) -> Shipment: ...

    def track(self, order: OrderRequest, tracking_number: str) -> str:
        """The carrier's raw answer (JSON text); `parse_tracking` reads it."""
        ...


TRACKING_STATES = ("in_transit", "delivered", "exception")


def parse_tracking(raw: str) -> Tracking:
    """The carrier's tracking answer, or a PermanentJobError naming what is wrong with it."""
    try:
        data = json.loads(raw)
    except (TypeError, ValueError):
        raise PermanentJobError(f"the carrier's tracking answer cannot be read: {str(raw)[:120]!r}") from None
    if not isinstance(data, dict) or data.get("status") not in TRACKING_STATES:
        raise PermanentJobError(f"the carrier's tracking answer has no known status: {str(raw)[:120]!r}")
    delivered_at = None
    if data["status"] == "delivered":
        try:
            delivered_at = datetime.fromisoformat(data["delivered_at"])
        except (KeyError, TypeError, ValueError):
            raise PermanentJobError("the carrier says delivered but gives no readable delivery time") from None
        if delivered_at.tzinfo is None:
            raise PermanentJobError("the carrier's delivery time has no time zone")
    return Tracking(state=data["status"], detail=str(data.get("detail", ""))[:300], delivered_at=delivered_at)


def parse_price(value: object) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise PermanentJobError(f"the pharmacy's price cannot be read: {value!r}") from None
    if not amount.is_finite() or amount < 0:
        raise PermanentJobError(f"the pharmacy's price is not an amount: {value!r}")
    return amount


def check_purchase(answer: Purchase) -> None:
    """A pharmacy's answer fit to store (and to invoice): a reference we can keep, an amount in a currency that
    exists, with no more decimals than it has. Anything else is refused for good, not retried as a crash."""
    if not answer.reference or len(answer.reference) > 100:
        raise PermanentJobError(f"the pharmacy's purchase reference is unusable: {str(answer.reference)[:120]!r}")
    try:
        check_amount(Money(answer.amount, answer.currency))
    except (MoneyError, TypeError) as error:
        raise PermanentJobError(f"the pharmacy's price cannot be stored: {error}") from None


def _load(path: str):
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)()


def pharmacy_for(provider: str) -> Pharmacy:
    providers = settings().pharmacy_providers
    if provider not in providers:
        raise PermanentJobError(f"no pharmacy provider {provider!r} is configured")
    return _load(providers[provider])


def carrier() -> Carrier:
    return _load(settings().carrier_provider)
