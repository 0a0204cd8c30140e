"""Regressions found by the browser suite's admin path (tests/e2e/test_admin_path.py)."""

from __future__ import annotations

import html

import pytest

from backoffice.cases.operations import get_case
from backoffice.extensions import db
from backoffice.jobs import get_queue
from backoffice.shipments import operations
from tests.factories import make_case, make_patient
from tests.shipments.factories import make_pharmacy, make_prescription, order_input, run_jobs

OWN_REMINDER = "Ask for the weekly examination results"


@pytest.fixture(autouse=True)
def _empty_queue(app):
    """Jobs sent to RQ by one test must not run in another (rows are deleted between tests, the queue is not)."""
    get_queue().empty()
    yield
    get_queue().empty()


def test_a_failed_order_does_not_claim_the_coordinator_was_told_when_the_case_kept_its_own_next_action(
    app, users, as_role
):
    patient = make_patient(name="Minh Tran", country="VN")
    patient.address = "12 Nguyen Hue, District 1, Ho Chi Minh City"
    case = make_case(patient=patient, state="aftercare", coordinator=users["coordinator"])
    case.next_action = OWN_REMINDER  # the coordinator's own reminder: a failing order leaves it as it is
    pharmacy = make_pharmacy(name="Marien-Apotheke")
    prescription = make_prescription(case, uploaded_by=users["coordinator"])
    db.session.commit()
    order = operations.create_order(case.id, order_input(pharmacy, prescription, behaviour="refused"), actor_id=None)
    operations.submit_order(order.id, actor_id=None, expected_version=None)
    db.session.commit()
    case_id, order_id = case.id, order.id
    client = as_role("coordinator")  # signed in before the jobs run (run_jobs ends the test's session)
    run_jobs(app)

    page = html.unescape(client.get(f"/medicine-orders/{order_id}").get_data(as_text=True))
    assert "This order failed:" in page and "prescription not accepted (forced refusal)" in page
    assert get_case(case_id).next_action == OWN_REMINDER
    assert "The coordinator was told" not in page and "has been told" not in page
    assert "The failure is on the case's timeline" in page
    assert "the case's next action is about something else" in page


def test_a_failed_order_whose_reminder_was_cleared_says_nobody_is_reminded(app, users, as_role):
    case = make_case(state="aftercare", coordinator=users["coordinator"])
    pharmacy = make_pharmacy(name="Marien-Apotheke")
    prescription = make_prescription(case, uploaded_by=users["coordinator"])
    db.session.commit()
    order = operations.create_order(case.id, order_input(pharmacy, prescription, behaviour="refused"), actor_id=None)
    operations.submit_order(order.id, actor_id=None, expected_version=None)
    db.session.commit()
    case_id, order_id = case.id, order.id
    client = as_role("coordinator")
    run_jobs(app)
    case = get_case(case_id)
    case.next_action, case.next_action_on = "", None  # the coordinator cleared the failure reminder
    db.session.commit()

    page = html.unescape(client.get(f"/medicine-orders/{order_id}").get_data(as_text=True))
    assert "This order failed:" in page and "has been told" not in page
    assert "the case has no next action reminding anyone of it" in page
    assert "the coordinator's own reminder was kept" not in page
