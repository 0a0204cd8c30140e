"""The offer's PDF in the patient's language, through the one renderer (`backoffice.pdf`)."""

from __future__ import annotations

from backoffice import pdf
from backoffice.config import settings
from backoffice.offers import pricing
from backoffice.offers.models import Offer


def offer_pdf(offer: Offer) -> bytes:
    """The PDF of an offer, as it is archived when the offer is sent."""
    return pdf.render_pdf(
        "offers/offer_pdf.html",
        language=offer.language,
        offer=offer,
        case=offer.case,
        patient=offer.case.patient,
        saving_percent=pricing.saving_percent(offer),
        item_saving_percent=pricing.item_saving_percent,
        operator=settings(),
    )
