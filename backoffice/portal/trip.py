"""The patient's trip in the portal: the bookings of their case as logistics loads them (times at each place, in the
patient's language) and the itinerary PDF, rendered in the patient's language."""

from __future__ import annotations

from datetime import datetime

from babel.dates import format_date, format_time
from flask_babel import force_locale
from flask_babel import gettext as _

from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.languages import for_patient, page_language
from backoffice.logistics.itinerary.document import render_itinerary_pdf
from backoffice.logistics.itinerary.loading import load_itinerary
from backoffice.logistics.timezones import to_local
from backoffice.trail import record_event


def local_time(instant: datetime | None, tz_name: str) -> str:
    """'Tuesday, 8 December 2026, 17:30 +04': an instant at its place's clock, in the page's language, with the
    zone's abbreviation (a flight leaves in Dubai's time and lands in Frankfurt's)."""
    if instant is None:
        return "—"
    local = to_local(instant, tz_name)
    language = page_language()
    return _(
        "%(day)s, %(time)s %(zone)s",
        day=format_date(local.date(), "full", locale=language),
        time=format_time(local, "short", tzinfo=local.tzinfo, locale=language),
        zone=local.tzname(),
    )


def coordinator_phone() -> str:
    """The number the patient calls about the trip: staff accounts carry no phone, so the operator's line
    (OPERATOR_PHONE), which reaches the coordinators."""
    return settings().operator_phone


def itinerary_pdf(case: Case, *, user_id: int) -> tuple[str, bytes]:
    """The patient's itinerary PDF in their preferred language (English when it is not shipped), and its file name;
    the download is audited."""
    itinerary = load_itinerary(case.id)
    language = for_patient(case.patient.preferred_language)
    with force_locale(language):
        pdf = render_itinerary_pdf(itinerary)
    record_event(
        "portal.itinerary_downloaded",
        actor_id=user_id,
        object_type="case",
        object_id=case.id,
        details={"number": case.number, "language": language},
    )
    return f"itinerary-{case.number}.pdf", pdf
