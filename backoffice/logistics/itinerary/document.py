"""The patient's itinerary as a PDF: one function, for the download and for a message that carries it."""

from __future__ import annotations

from backoffice.cases.screening import open_contraindications_of_case
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.geo import language_name
from backoffice.logistics.itinerary.items import PLACE_LABELS, Itinerary, days
from backoffice.logistics.timezones import format_local
from backoffice.pdf import render_pdf

DEFAULT_OPERATOR_NAME = "Your medical travel team"

# What the templates need to tell the kinds of items apart and show local times.
TEMPLATE_HELPERS = {
    "format_local": format_local,
    "language_name": language_name,
    "place_labels": PLACE_LABELS,
}


def render_itinerary_pdf(itinerary: Itinerary) -> bytes:
    """The PDF the patient gets: the bookings not cancelled, day by day, and whether a clearance is pending."""
    return render_pdf(
        "logistics/itinerary_pdf.html",
        itinerary=itinerary,
        days=days(itinerary, include_cancelled=False),
        operator_name=settings().operator_name or DEFAULT_OPERATOR_NAME,
        generated_on=utcnow().date(),
        clearance_pending=bool(open_contraindications_of_case(itinerary.case_id)),
        **TEMPLATE_HELPERS,
    )
