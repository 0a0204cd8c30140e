"""A coordinator's work lists hold no erased patient's case: the due follow-ups and the dashboard's overdue ones
leave them out, should any be left (`patients.restriction`)."""

from __future__ import annotations

from datetime import timedelta

from backoffice.extensions import db
from backoffice.logistics.follow_ups import lists as follow_up_lists
from backoffice.logistics.follow_ups import operations as follow_up_operations
from tests.factories import make_patient
from tests.logistics.test_follow_ups import stem_cell_case, today
from tests.patients.factories import erase


def test_the_due_follow_ups_leave_an_erased_patients_case_out(users):
    carl = users["coordinator"]
    kept = stem_cell_case(state="discharged", coordinator=carl, patient=make_patient(name="Kept Patient"))
    patient = make_patient(name="Gone Patient")
    gone = stem_cell_case(state="discharged", coordinator=carl, patient=patient)
    for case in (kept, gone):
        follow_up_operations.generate_follow_ups(case, carl.id, discharged_on=today() - timedelta(days=33))
    db.session.commit()
    erase(patient)
    page = follow_up_lists.due_follow_ups(None, until=today() + timedelta(days=7))
    assert {item.case.id for item in page.items} == {kept.id} and page.total == 5
    assert follow_up_lists.overdue_count(carl.id) == 4
    assert {item.case.id for item in follow_up_lists.overdue_follow_ups(None)} == {kept.id}
