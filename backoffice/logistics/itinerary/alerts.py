"""The periodic look at itineraries about to be travelled: a case with a booking in the next 72 hours whose
itinerary has a problem (the findings the case page shows, warnings aside) tells its coordinator, once per problem."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select, union

from backoffice.cases.models import OPEN_STATES, Case
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs.periodic import BATCH, every
from backoffice.logistics.itinerary import pickup_buffer
from backoffice.logistics.itinerary.finding import Finding
from backoffice.logistics.itinerary.findings import find_problems
from backoffice.logistics.itinerary.loading import load_itinerary, local_today
from backoffice.logistics.models import Flight, HospitalAppointment, HotelStay, InterpreterBooking, Transfer
from backoffice.notifications.operations import notify_case, path_for

AHEAD = timedelta(hours=72)


@every(timedelta(minutes=30), "logistics.itinerary_alerts")
def itinerary_alerts() -> dict:
    """Each problem of an itinerary travelled within AHEAD, told once to the case's coordinator (a problem that
    goes and comes back is not told again; the case page shows it either way)."""
    now = utcnow()
    case_ids = travelling_soon(now)
    told = 0
    for case in db.session.scalars(select(Case).where(Case.id.in_(case_ids)).order_by(Case.id)):
        itinerary = load_itinerary(case.id)
        problems = [
            finding
            for finding in find_problems(itinerary, pickup_buffer=pickup_buffer(), today=local_today(itinerary))
            if finding.is_problem
        ]
        for finding in problems:
            told += len(
                notify_case(
                    "itinerary_problem",
                    case,
                    key=problem_key(case.id, finding),
                    note=finding.code.replace("_", " "),
                    link=path_for("logistics.show_itinerary", case_id=case.id),
                )
            )
    db.session.commit()
    return {"cases": len(case_ids), "notifications": told}


def travelling_soon(now) -> list[int]:
    """Open cases with a booking (not cancelled) that starts between now and AHEAD from now."""
    until = now + AHEAD
    starts = union(
        *(
            select(model.case_id).where(model.status != "cancelled", column >= now, column <= until)
            for model, column in (
                (Flight, Flight.departs_at),
                (Transfer, Transfer.pickup_at),
                (HospitalAppointment, HospitalAppointment.starts_at),
                (InterpreterBooking, InterpreterBooking.starts_at),
            )
        ),
        select(HotelStay.case_id).where(
            HotelStay.status != "cancelled", HotelStay.check_in_on >= now.date(), HotelStay.check_in_on <= until.date()
        ),
    ).subquery()
    return list(
        db.session.scalars(
            select(Case.id).where(Case.id.in_(select(starts.c.case_id)), Case.state.in_(OPEN_STATES)).limit(BATCH)
        )
    )


def problem_key(case_id: int, finding: Finding) -> str:
    """One key per case, rule and the bookings it is about (a second flight without a pickup is a new problem)."""
    items = hashlib.sha256(",".join(finding.item_uids).encode()).hexdigest()[:12]
    return f"case:{case_id}:{finding.code}:{items}"
