"""How logistics takes part in the case pipeline: its answers to the signals of `cases.signals`.

- a case may move to `travel_booked` only with a confirmed hospital appointment and an itinerary without problems;
- it may move to `in_treatment` from the admission day on (in the hospital's time zone);
- entering `discharged` generates the programme's follow-ups.

What a case's logistics cost (bookings and interpreters) is listed in `logistics.costs`.
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select

from backoffice.cases import signals
from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.logistics.bookings import appointments
from backoffice.logistics.follow_ups import operations as follow_ups
from backoffice.logistics.itinerary import case_findings
from backoffice.logistics.models import HospitalAppointment
from backoffice.logistics.timezones import shown_day, to_local


@signals.entry_guard.connect_via("travel_booked")
def itinerary_without_problems(_state: str, *, case: Case) -> str | None:
    """Travel is booked only once the itinerary checks out (no transfer missing, no night without a bed, ...).

    Checked on the way into travel_booked only: later changes of plan (a flight home moved during treatment) are
    shown as findings but do not stop a discharge.
    """
    if case.state not in ("confirmed", "on_hold"):
        return None
    problems = [finding for finding in case_findings(case.id) if finding.is_problem]
    if not problems:
        return None
    return ngettext(
        "The itinerary shows %(num)d problem (%(first)s); fix it first.",
        "The itinerary shows %(num)d problems (%(first)s); fix them first.",
        len(problems),
        first=problems[0].message.rstrip("."),
    )


@signals.entry_guard.connect_via("in_treatment")
def admission_day_reached(_state: str, *, case: Case) -> str | None:
    """Treatment starts on the admission day of the confirmed appointment, in the hospital's local calendar."""
    appointment = db.session.scalar(
        select(HospitalAppointment).where(
            HospitalAppointment.case_id == case.id, HospitalAppointment.status == "confirmed"
        )
    )
    if appointment is None:
        return None  # the appointment guard of travel_booked says what is missing
    today_there = to_local(utcnow(), appointment.timezone).date()
    if today_there < appointment.admission_on:
        return _(
            "The patient is admitted on %(day)s; the case moves to treatment from that day.",
            day=shown_day(appointment.admission_on),
        )
    return None


signals.appointment_confirmed.connect(appointments.has_confirmed_appointment)


@signals.state_entered.connect_via("discharged")
def plan_follow_ups(_state: str, *, case: Case, actor_id: int) -> None:
    """Discharge plans the programme's follow-ups from today."""
    follow_ups.generate_follow_ups(case, actor_id)
