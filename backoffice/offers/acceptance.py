"""Answering a sent offer: accepting it once (in the portal, or recorded by a coordinator with the signed offer
attached) or declining it with a reason. Only a sent offer that is still valid and not superseded is answered; two
answers at once (two tabs) end with one: each is one conditional UPDATE.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import update

from backoffice import validators
from backoffice.cases.operations import record_case_event
from backoffice.dbtypes import operator_today, utcnow
from backoffice.extensions import db
from backoffice.offers import pricing, signals
from backoffice.offers.models import Offer
from backoffice.offers.operations import get_offer, is_expired
from backoffice.offers.pricing import OfferError
from backoffice.patients.restriction import refuse_changes


def _reload_columns(offer: Offer) -> None:
    """Read back what a conditional UPDATE wrote (its relationships stay loaded)."""
    db.session.refresh(offer, attribute_names=[column.key for column in Offer.__table__.columns])


def _answer(offer: Offer, refusal: str, **values) -> None:
    """Write the answer only while the offer is still sent (one conditional UPDATE: of two answers at once, the first
    counts and the other is refused with `refusal`), then read the row back."""
    won = db.session.execute(
        update(Offer)
        .where(Offer.id == offer.id, Offer.status == "sent")
        .values(**values, row_version=Offer.row_version + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise OfferError(refusal)
    _reload_columns(offer)


def _acceptable(offer: Offer, today: date) -> None:
    refuse_changes(offer.case.patient)  # an erased patient's offer is answered no more
    if offer.status == "accepted":
        raise OfferError(_("This offer is already accepted."))
    if offer.status == "superseded":
        raise OfferError(_("This offer was replaced by a newer version; look at the newest one."))
    if offer.status != "sent":
        raise OfferError(_("Only an offer that was sent and not yet answered can be accepted or declined."))
    if is_expired(offer, today):
        raise OfferError(
            _("This offer was valid until %(date)s; ask your coordinator for a new one.", date=offer.valid_until)
        )


def accept_offer(
    offer_id: int,
    *,
    actor_id: int,
    name: str,
    address: str = "",
    chosen_item_ids: list[int] | tuple[int, ...] = (),
    channel: str = "portal",
    document_id: int | None = None,
) -> Offer:
    """Accept a sent, valid offer once: the name typed, the time, the address and the PDF's hash the acceptance refers
    to are kept and audit-logged; the optional items chosen count in the accepted total. Two acceptances at once: the
    first one counts, the other is refused (one conditional UPDATE)."""
    offer = get_offer(offer_id)
    _acceptable(offer, operator_today())
    typed = validators.text(name, _("your full name"), 200, required=True, error=OfferError)
    optional_ids = {item.id for item in offer.items if item.optional}
    chosen = {int(item_id) for item_id in chosen_item_ids}
    if not chosen <= optional_ids:
        raise OfferError(_("Only the optional items of this offer can be chosen."))
    if channel == "recorded" and document_id is None:
        raise OfferError(_("Attach the signed offer to record an acceptance received outside the portal."))
    accepted_total = pricing.with_options(offer, chosen)
    _answer(
        offer,
        _("This offer is already accepted."),
        status="accepted",
        accepted_at=utcnow(),
        acceptance_channel=channel,
        accepted_name=typed,
        accepted_address=(address or "")[:64],
        accepted_sha256=offer.pdf_sha256,
        accepted_by_id=actor_id,
        accepted_total=accepted_total,
        acceptance_document_id=document_id,
    )
    for item in offer.items:
        item.chosen = item.id in chosen
    db.session.flush()
    record_case_event(
        offer.case,
        "offer_accepted",
        actor_id,
        note=f"Offer version {offer.version} accepted ({channel}): {accepted_total} {offer.currency}",
        audit={
            "offer_id": offer.id,
            "channel": channel,
            "name": typed,
            "address": offer.accepted_address,
            "sha256": offer.pdf_sha256,
            "total": str(accepted_total),
            "chosen": sorted(chosen),
            "document_id": document_id,
        },
    )
    signals.offer_accepted.send(offer, actor_id=actor_id)
    return offer


def decline_offer(offer_id: int, *, actor_id: int, reason: str) -> Offer:
    """Decline a sent, valid offer with a reason (the patient's words are kept)."""
    offer = get_offer(offer_id)
    _acceptable(offer, operator_today())
    text = validators.text(reason, _("reason"), 2000, required=True, error=OfferError)
    _answer(
        offer,
        _("This offer was answered meanwhile; look at it again."),
        status="declined",
        declined_at=utcnow(),
        decline_reason=text,
        declined_by_id=actor_id,
    )
    record_case_event(
        offer.case, "offer_declined", actor_id, note=text[:500], audit={"offer_id": offer.id, "reason": text[:500]}
    )
    return offer
