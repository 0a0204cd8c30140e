"""Itinerary problems within 72 hours of travel tell the case's coordinator, once per problem; a trip further away,
a warning, or a trip without problems tells nobody."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.logistics.itinerary import case_findings
from backoffice.logistics.itinerary.alerts import itinerary_alerts
from backoffice.notifications.models import Notification
from tests.logistics.factories import local, make_appointment, make_confirmed_case, make_flight, make_transfer


def day(days: int) -> date:
    return date.today() + timedelta(days=days)


def late_landing(case, in_days: int):
    """Admitted at 09:00 on day `in_days`, landing in Frankfurt at 07:00 the day after (a problem), met at the
    airport."""
    make_appointment(case, admission_on=day(in_days), days=5)
    landing = make_flight(case, departs_at=local(day(in_days + 1), 1), arrives_at=local(day(in_days + 1), 7))
    make_transfer(case, pickup_at=local(day(in_days + 1), 8), flight=landing)
    db.session.commit()


def notifications() -> list[Notification]:
    db.session.expire_all()
    return list(db.session.scalars(select(Notification).order_by(Notification.id)))


def test_a_problem_of_a_trip_starting_within_72_hours_tells_the_coordinator_once(users):
    case = make_confirmed_case(users["coordinator"])
    late_landing(case, in_days=2)
    problems = [finding for finding in case_findings(case.id) if finding.is_problem]
    assert problems

    assert itinerary_alerts()["notifications"] == len(problems)
    itinerary_alerts()  # the next run: nothing new

    told = notifications()
    assert len(told) == len(problems)
    assert {n.user_id for n in told} == {users["coordinator"].id}
    assert {n.kind for n in told} == {"itinerary_problem"}
    assert told[0].link == f"/cases/{case.id}/itinerary"
    assert told[0].text.startswith(f"{case.number}: Itinerary problem within 72 hours of travel (")


def test_a_trip_further_away_than_72_hours_tells_nobody_yet(users):
    case = make_confirmed_case(users["coordinator"])
    late_landing(case, in_days=5)
    assert [finding for finding in case_findings(case.id) if finding.is_problem]

    itinerary_alerts()

    assert notifications() == []


def test_a_cancelled_case_tells_nobody(users):
    case = make_confirmed_case(users["coordinator"])
    late_landing(case, in_days=1)
    case.state = "cancelled"
    db.session.commit()

    assert itinerary_alerts() == {"cases": 0, "notifications": 0}
