"""Offers' answer to `billing.signals.promised_savings`: the accepted offers of a window with the saving each
promised, for the savings report (one statement whatever the number of offers)."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.billing.signals import AcceptedOffer, AcceptedWindow, promised_savings
from backoffice.cases.models import Case
from backoffice.directory.models import Hospital
from backoffice.extensions import db
from backoffice.offers.models import Offer


@promised_savings.connect
def accepted_offers(window: AcceptedWindow) -> list[AcceptedOffer]:
    """Every offer accepted in the window (status accepted: a declined or superseded one promised nothing), with
    the hospital of its case, oldest acceptance first. The one-line offers the migration made from estimates typed
    before offers existed are left out: no patient accepted them then, and they promise no saving."""
    query = (
        select(
            Hospital.id,
            Hospital.code,
            Hospital.name,
            Offer.currency,
            Offer.accepted_at,
            Offer.foreign_total,
            Offer.saving,
        )
        .join(Case, Case.id == Offer.case_id)
        .join(Hospital, Hospital.id == Case.hospital_id)
        .where(
            Offer.status == "accepted",
            Offer.from_estimate.is_(False),
            Offer.accepted_at >= window.accepted_from,
            Offer.accepted_at < window.accepted_before,
        )
        .order_by(Offer.accepted_at, Offer.id)
    )
    if window.hospital_id is not None:
        query = query.where(Case.hospital_id == window.hospital_id)
    return [AcceptedOffer(*row) for row in db.session.execute(query)]
