"""The patient's itinerary as a PDF: one function, for the download and for a message that carries it.

The PDF is the patient's, whoever downloads it: it is written in the patient's preferred language (English when
that is not one the product speaks), with days, months and language names as that language writes them. Times stay
24-hour with their zone's letters (09:00 CEST), the same in every language.
"""

from __future__ import annotations

from datetime import date, datetime

from babel import Locale
from babel.dates import format_skeleton

from backoffice.cases.screening import open_contraindications_of_case
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.geo import language_name
from backoffice.languages import for_patient, page_language
from backoffice.logistics.itinerary.items import PLACE_LABELS, Itinerary, days
from backoffice.logistics.timezones import format_local, to_local
from backoffice.pdf import isolate, render_pdf

# What the templates need to tell the kinds of items apart and show local times.
TEMPLATE_HELPERS = {
    "format_local": format_local,
    "language_name": language_name,
    "place_labels": PLACE_LABELS,
}
# CLDR skeletons: each language orders and abbreviates them its own way ('Thu, May 13', 'Do., 13. Mai').
DAY_OF_TRIP = {"short": "MMMEd", "long": "MMMMEEEEd"}


def local_time(instant: datetime | None, tz_name: str) -> str:
    """'09:00 CEST': the wall-clock time where it happens, with its zone's letters."""
    if instant is None:
        return "—"
    local = to_local(instant, tz_name)
    return isolate(f"{local:%H:%M} {local.tzname()}")


def local_date(instant: datetime | None, tz_name: str) -> date | None:
    """The calendar day of an instant where it happens (for the `day` filter)."""
    return to_local(instant, tz_name).date() if instant is not None else None


def day_of_trip(day: date | None, width: str = "short") -> str:
    """A day without its year, in the document's language: 'Thu, May 13' (short), 'Wednesday, May 19' (long)."""
    return format_skeleton(DAY_OF_TRIP[width], day, locale=page_language()) if day else "—"


def spoken_language(code: str) -> str:
    """An interpreter's language named in the document's language ('Russian', 'Russisch', 'الروسية')."""
    return Locale.parse(page_language()).languages.get(code.lower()) or language_name(code) or code


# What the PDF's template needs, in the document's language.
PDF_HELPERS = {
    "local_time": local_time,
    "local_date": local_date,
    "day_of_trip": day_of_trip,
    "spoken_language": spoken_language,
}


def render_itinerary_pdf(itinerary: Itinerary) -> bytes:
    """The PDF the patient gets, in their language: the bookings not cancelled, day by day, and whether a clearance
    is pending."""
    return render_pdf(
        "logistics/itinerary_pdf.html",
        language=for_patient(itinerary.preferred_language),
        itinerary=itinerary,
        days=days(itinerary, include_cancelled=False),
        operator_name=settings().operator_name,
        generated_on=utcnow().date(),
        clearance_pending=bool(open_contraindications_of_case(itinerary.case_id)),
        **PDF_HELPERS,
    )
