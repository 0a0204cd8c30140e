"""The sandbox pharmacy and carrier: test-mode providers inside the app, so the whole chain runs on one machine.

Like a payment provider's test mode: references are derived from the idempotency key (the same key always gets the
same reference), calls take `SANDBOX_DELAY_SECONDS`, a share `SANDBOX_FAILURE_RATE` of first attempts fails with a
transient error (decided by the key, so runs repeat), and an order's "sandbox behaviour" forces a failure to watch.
Their records (`sandbox_calls`) are written in a transaction of their own, as an outside system's would be: a worker
killed after the call but before our commit finds the purchase made when it runs again, not a second one.
"""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.runner import PermanentJobError, TransientJobError
from backoffice.languages import N_
from backoffice.shipments.models import SandboxCall
from backoffice.shipments.providers import OrderRequest, Parcel, Purchase, Shipment, parse_price


def _digest(text: str) -> int:
    return int(hashlib.sha256(text.encode()).hexdigest()[:12], 16)


def _delay() -> None:
    seconds = settings().sandbox_delay_seconds
    if seconds > 0:
        time.sleep(seconds)


def _flaky(key: str, attempt: int) -> bool:
    rate = settings().sandbox_failure_rate  # a probability, kept exact
    return rate > 0 and attempt == 1 and (_digest(f"{key}:{attempt}") % 1000) < rate * 1000


def _call(key: str, kind: str, order: OrderRequest, answer, *, fail_transiently: int = 0, refuse: str = ""):
    """Answer a call once per key, in the sandbox's own transaction: the stored answer if there is one; otherwise
    count the attempt, fail as configured, or store and return `answer()`."""
    with db.engine.begin() as connection:
        row = connection.execute(
            select(SandboxCall.id, SandboxCall.attempts, SandboxCall.response).where(SandboxCall.key == key)
        ).first()
        if row is not None and row.response is not None:
            return row.response
        attempts = 1 if row is None else row.attempts + 1
        if row is None:
            try:
                with connection.begin_nested():
                    connection.execute(
                        insert(SandboxCall).values(
                            key=key, kind=kind, order_id=order.order_id, attempts=1, response=None, created_at=utcnow()
                        )
                    )
            except IntegrityError:  # the same key is being called right now
                raise TransientJobError(f"sandbox {kind}: a call with this key is in progress") from None
        else:
            connection.execute(update(SandboxCall).where(SandboxCall.key == key).values(attempts=attempts))
    _delay()
    if refuse:
        raise PermanentJobError(refuse)
    if attempts <= fail_transiently or _flaky(key, attempts):
        raise TransientJobError(f"sandbox {kind}: the service did not answer (attempt {attempts})")
    response = answer()
    with db.engine.begin() as connection:
        stored = connection.execute(
            update(SandboxCall)
            .where(SandboxCall.key == key, SandboxCall.response.is_(None))
            .values(response=response, created_at=utcnow())
        ).rowcount
        if not stored:  # answered by a concurrent call with the same key: that answer stands
            response = connection.execute(select(SandboxCall.response).where(SandboxCall.key == key)).scalar_one()
    return response


def _unit_price(medicine: str) -> Decimal:
    return Decimal(20 + _digest(medicine.lower()) % 180) + Decimal("0.50")


class SandboxPharmacy:
    label = N_("Sandbox pharmacy (test mode)")
    sandbox = True

    def purchase(self, key: str, order: OrderRequest) -> Purchase:
        behaviour = order.sandbox_behaviour
        down = settings().job_max_attempts if behaviour == "down" else 0
        response = _call(
            key,
            "purchase",
            order,
            lambda: {
                "reference": f"SBX-PH-{_digest(key) % 10**8:08d}",
                "amount": str(sum((_unit_price(m) * q for m, _s, _f, q in order.items), Decimal("0.00"))),
                "currency": "EUR",
            },
            fail_transiently=2 if behaviour == "flaky" else down,
            refuse="the sandbox pharmacy refused the order: prescription not accepted (forced refusal)"
            if behaviour == "refused"
            else "",
        )
        return Purchase(response["reference"], parse_price(response["amount"]), response["currency"])

    def pack(self, key: str, order: OrderRequest, purchase_reference: str) -> Parcel:
        response = _call(
            key,
            "pack",
            order,
            lambda: {
                "reference": f"SBX-PARCEL-{_digest(key) % 10**6:06d}",
                "weight_grams": 150 + 40 * sum(q for *_rest, q in order.items) + (900 if order.cold_chain else 0),
            },
        )
        return Parcel(response["reference"], int(response["weight_grams"]))


class SandboxCarrier:
    label = N_("Sandbox carrier (test mode)")
    sandbox = True

    def book(self, key: str, order: OrderRequest, parcel_reference: str) -> Shipment:
        response = _call(
            key,
            "ship",
            order,
            lambda: {
                "carrier": "Sandbox Express" + (" Cold Chain" if order.cold_chain else ""),
                "tracking_number": f"SBX{_digest(key) % 10**10:010d}{order.delivery_country or 'XX'}",
            },
        )
        return Shipment(response["carrier"], response["tracking_number"])

    def track(self, order: OrderRequest, tracking_number: str) -> str:
        _delay()
        if order.sandbox_behaviour == "garbled":
            return "<html>502 Bad Gateway</html>"
        with db.engine.connect() as connection:
            shipped_at = connection.execute(
                select(SandboxCall.created_at).where(SandboxCall.kind == "ship", SandboxCall.order_id == order.order_id)
            ).scalar()
        if shipped_at is None:
            return json.dumps({"status": "exception", "detail": f"unknown tracking number {tracking_number}"})
        transit = timedelta(seconds=float(settings().sandbox_transit_seconds))
        if utcnow() >= shipped_at + transit:
            return json.dumps(
                {"status": "delivered", "detail": "Delivered to the recipient", "delivered_at": utcnow().isoformat()}
            )
        return json.dumps({"status": "in_transit", "detail": "In transit"})
