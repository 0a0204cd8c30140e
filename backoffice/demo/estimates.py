"""The demo's cases from before offers existed: the price agreed on each is a one-line offer, as the migration made
of the estimates typed on cases (accepted once the case is confirmed, sent while its programme is offered, a draft
before), inserted in bulk."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from backoffice.cases.models import Case
from backoffice.cases.states import PIPELINE
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.demo.bulk import advance_sequence, insert_rows, take_ids
from backoffice.extensions import db
from backoffice.offers.models import Offer, OfferItem
from backoffice.patients.models import Patient

ACCEPTED_FROM = PIPELINE.index("confirmed")
DESCRIPTION = "Treatment programme (the price agreed before offers)"


def _status(state: str, before_hold: str | None) -> str:
    reached = before_hold if state == "on_hold" else state
    if reached in PIPELINE and PIPELINE.index(reached) >= ACCEPTED_FROM:
        return "accepted"
    return "sent" if reached == "programme_offered" else "draft"


def estimate_offers(rows: list[tuple[int, str, str | None, int | None, Decimal]]) -> None:
    """(case id, state, state before hold, coordinator id, amount in the base currency) -> one-line offers."""
    if not rows:
        return
    languages = dict(
        db.session.execute(
            select(Case.id, Patient.preferred_language)
            .join(Patient, Patient.id == Case.patient_id)
            .where(Case.id.in_([row[0] for row in rows]))
        ).all()
    )
    base, now = settings().invoice_base_currency, utcnow()
    offers, items = [], []
    for offer_id, (case_id, state, before_hold, coordinator_id, amount) in zip(
        take_ids(Offer, len(rows)), rows, strict=True
    ):
        status = _status(state, before_hold)
        accepted = status == "accepted"
        offers.append(
            {
                "id": offer_id,
                "case_id": case_id,
                "version": 1,
                "status": status,
                "language": languages.get(case_id, "en"),
                "currency": base,
                "base_currency": base,
                "resident_total": amount,
                "services_total": Decimal(0),
                "vat_total": Decimal(0),
                "total": amount,
                "created_at": now,
                "created_by_id": coordinator_id,
                "accepted_at": now if accepted else None,
                "acceptance_channel": "migrated" if accepted else None,
                "accepted_total": amount if accepted else None,
                "from_estimate": True,
            }
        )
        items.append(
            {
                "offer_id": offer_id,
                "position": 1,
                "section": "treatment",
                "code": "",
                "description": DESCRIPTION,
                "quantity": Decimal(1),
                "unit_price": amount,
                "source_currency": base,
                "amount": amount,
                "vat_category": "exempt",
                "vat_rate": Decimal(0),
            }
        )
    insert_rows(Offer, offers)
    insert_rows(OfferItem, items)
    advance_sequence(Offer)
