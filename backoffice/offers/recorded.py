"""The patient's answer to a sent offer, received outside the portal and recorded by the coordinator: an acceptance
with the signed offer (kept with the case's documents), or a decline with the patient's reason.

Both are made from the version of the offer the coordinator saw: a stale page is refused, as every change of an
offer is. The rules of accepting and declining themselves are `acceptance.accept_offer` and `decline_offer`.
"""

from __future__ import annotations

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from backoffice.cases import documents
from backoffice.cases.models import CaseDocument
from backoffice.offers import acceptance, operations
from backoffice.offers.models import Offer
from backoffice.offers.pricing import OfferError

SIGNED_OFFER_TYPE = "letter"


def fresh_offer(offer_id: int, expected_version: int | None) -> Offer:
    """The offer, refused when it changed since the user's page showed it (another tab, another person)."""
    offer = operations.get_offer(offer_id)
    if expected_version is not None and offer.row_version != expected_version:
        raise OfferError(_("Someone else changed this offer meanwhile; look at it again and repeat your change."))
    return offer


def record_acceptance(
    offer_id: int, *, actor_id: int, name: str, signed: FileStorage | None, expected_version: int | None
) -> tuple[Offer, CaseDocument]:
    """Record an acceptance received outside the portal: the signed offer becomes a document of the case, then the
    offer is accepted (channel "recorded") with it. Refused, the uploaded file goes again: nothing half-stored."""
    offer = fresh_offer(offer_id, expected_version)
    if offer.status != "sent":
        raise OfferError(_("Only an offer that was sent and not yet answered can be accepted or declined."))
    if not (name or "").strip():
        raise OfferError(_("Enter the name as the patient signed the offer."))
    document = documents.store_document(
        offer.case_id,
        signed,
        _("Signed offer, version %(version)s", version=offer.version),
        actor_id,
        SIGNED_OFFER_TYPE,
    )
    try:
        accepted = acceptance.accept_offer(
            offer.id, actor_id=actor_id, name=name, channel="recorded", document_id=document.id
        )
    except BaseException:
        documents.discard_stored_file(document)
        raise
    return accepted, document


def record_decline(offer_id: int, *, actor_id: int, reason: str, expected_version: int | None) -> Offer:
    """Decline a sent offer on the patient's behalf, with the reason they gave."""
    fresh_offer(offer_id, expected_version)
    return acceptance.decline_offer(offer_id, actor_id=actor_id, reason=reason)
