"""The 15-minute check of new requests against their first-contact deadline: due within two hours, then overdue,
each told once per case, to the case's coordinator or, while nobody has taken it, to every active coordinator."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.notifications.checks import first_contact_checks
from backoffice.notifications.models import Notification
from tests.factories import make_case, make_user


def told() -> list[tuple[int, str, int]]:
    db.session.expire_all()
    rows = db.session.execute(select(Notification.user_id, Notification.kind, Notification.case_id)).all()
    return sorted(tuple(row) for row in rows)


def case_due_in(delta: timedelta, **fields):
    case = make_case(**fields)
    case.first_response_due_at = utcnow() + delta
    db.session.commit()
    return case


def test_a_request_due_within_two_hours_tells_every_coordinator_while_nobody_has_taken_it(users):
    second = make_user("coordinator", email="second@test.example", name="Second Coordinator")
    case = case_due_in(timedelta(minutes=90))
    case_due_in(timedelta(hours=3))  # not yet

    assert first_contact_checks() == {"due": 1, "overdue": 0}

    assert told() == sorted(
        [(users["coordinator"].id, "first_contact_due", case.id), (second.id, "first_contact_due", case.id)]
    )


def test_an_overdue_request_tells_its_own_coordinator_only(users):
    case = case_due_in(-timedelta(minutes=5), coordinator=users["coordinator"])
    make_user("coordinator", email="second@test.example", name="Second Coordinator")
    db.session.commit()

    assert first_contact_checks() == {"due": 0, "overdue": 1}

    assert told() == [(users["coordinator"].id, "first_contact_overdue", case.id)]


def test_each_case_is_told_once_of_each_however_often_the_check_runs(users):
    case = case_due_in(timedelta(minutes=30), coordinator=users["coordinator"])
    first_contact_checks()
    assert first_contact_checks() == {"due": 0, "overdue": 0}

    case = db.session.get(type(case), case.id)
    case.first_response_due_at = utcnow() - timedelta(minutes=1)  # time passes: now it is overdue
    db.session.commit()
    assert first_contact_checks() == {"due": 0, "overdue": 1}
    first_contact_checks()

    assert [kind for _user, kind, _case in told()] == ["first_contact_due", "first_contact_overdue"]


def test_a_request_answered_or_moved_on_is_not_chased(users):
    answered = case_due_in(-timedelta(hours=1), coordinator=users["coordinator"])
    answered.first_response_at = utcnow()
    case_due_in(-timedelta(hours=1), coordinator=users["coordinator"], state="contacted")
    db.session.commit()

    assert first_contact_checks() == {"due": 0, "overdue": 0}
    assert told() == []


def test_the_text_is_the_case_number_and_the_kind_only(users):
    case = case_due_in(-timedelta(minutes=5), coordinator=users["coordinator"], requested_treatment="Liver cirrhosis")
    first_contact_checks()
    notification = db.session.scalar(select(Notification))
    assert notification.text == f"{case.number}: First contact overdue"
    assert notification.link == f"/cases/{case.id}"
