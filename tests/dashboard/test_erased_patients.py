"""The dashboard counts and lists no erased patient's case or bill: their records are in no list, whoever looks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from backoffice.dashboard import operations
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from tests.factories import make_case, make_patient
from tests.helpers import page_text
from tests.invoicing.factories import make_approved_bill, make_invoicing_case
from tests.patients.factories import PSEUDONYM, erase


@pytest.fixture
def erased_work(users):
    """What would be on the dashboard: an overdue request in the queue, a case of the coordinator's with something
    due today, a bill to review; each of a patient erased since, beside one request of a patient on record."""
    now = utcnow()
    kept = make_case(patient=make_patient(name="Kept Patient"), requested_at=now - timedelta(hours=30))
    patient = make_patient(name="Gone Patient")
    queued = make_case(patient=patient, requested_at=now - timedelta(hours=40))
    mine = make_case(
        patient=patient,
        state="contacted",
        coordinator=users["coordinator"],
        next_action_on=now.date(),
        next_action="Call",
    )
    billed = make_invoicing_case(patient=patient)
    make_approved_bill(billed, status="received")
    db.session.commit()
    erase(patient)
    return {"now": now, "kept": kept, "queued": queued, "mine": mine}


def test_the_coordinators_panels_leave_erased_patients_cases_out(users, erased_work):
    now, carl = erased_work["now"], users["coordinator"].id
    assert operations.open_cases_by_state(carl) == {}
    assert operations.queue_size() == 1
    overdue = operations.overdue_requests(now)
    assert (overdue.total, [case.id for case in overdue.oldest]) == (1, [erased_work["kept"].id])
    due = {case.id for case in operations.due_today(carl, now)}
    assert erased_work["mine"].id not in due and erased_work["queued"].id not in due
    assert {load.name: load.open_cases for load in operations.workload()} == {"Carl Coordinator": 0}


@pytest.mark.parametrize("role", ["coordinator", "finance", "admin"])
def test_no_dashboard_shows_an_erased_patients_case_or_bill(as_role, erased_work, role):
    text = page_text(as_role(role).get("/dashboard"))
    assert PSEUDONYM not in text and "Gone Patient" not in text
    assert f"/cases/{erased_work['queued'].id}" not in text and f"/cases/{erased_work['mine'].id}" not in text
    assert "/bills/" not in text  # the bill to review is the erased patient's
