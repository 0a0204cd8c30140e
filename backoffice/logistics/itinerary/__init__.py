"""The itinerary of a case: its bookings as plain items in time order (`items`, `loading`), what is wrong or missing
in it (`findings`), the patient's PDF and calendar (`views`, `calendar`).

Here: the findings of a case as the case page and the travel_booked guard ask for them, and the note left when the
PDF goes out despite open problems.
"""

from __future__ import annotations

from datetime import timedelta

from flask_babel import force_locale

from backoffice.cases.models import Case
from backoffice.cases.operations import record_case_event
from backoffice.config import settings
from backoffice.extensions import db
from backoffice.logistics.itinerary.findings import find_problems
from backoffice.logistics.itinerary.items import Itinerary
from backoffice.logistics.itinerary.loading import load_itinerary, local_today


def pickup_buffer() -> timedelta:
    """How long after a flight lands its pickup may be, at the earliest (ITINERARY_PICKUP_BUFFER_MINUTES)."""
    return timedelta(minutes=settings().itinerary_pickup_buffer_minutes)


def case_findings(case_id: int):
    """The findings of a case's itinerary with the configured pickup buffer (for the case page)."""
    itinerary = load_itinerary(case_id)
    return find_problems(itinerary, pickup_buffer=pickup_buffer(), today=local_today(itinerary))


def record_pdf_despite_problems(itinerary: Itinerary, problems: list, actor_id: int) -> None:
    """The coordinator sends the patient's PDF although the itinerary has open problems: said on the case's timeline
    (who, when, which problems), so nobody later takes it for a checked itinerary. Flushes; the caller commits."""
    case = db.session.get(Case, itinerary.case_id)
    with force_locale("en"):  # the timeline is stored: in English, whatever the language of the page
        problems = [finding for finding in case_findings(itinerary.case_id) if finding.is_problem]
    listed = "; ".join(finding.message for finding in problems)
    record_case_event(
        case,
        "itinerary",
        actor_id,
        note=f"Itinerary PDF downloaded anyway with {len(problems)} open problem(s): {listed}"[:4000],
        audit={"problems": [finding.code for finding in problems]},
    )
    db.session.flush()
