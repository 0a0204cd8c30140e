"""A failed medicine order reminds the case's coordinator with a reminder of its own, beside theirs; a retried order
that succeeds closes that reminder and nobody else's."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest

from backoffice.cases import reminders
from backoffice.cases.models import Case, Reminder
from backoffice.cases.operations import get_case
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.jobs import get_queue, runner
from backoffice.shipments import operations
from backoffice.shipments.models import MedicineOrder
from tests.factories import make_case, make_patient
from tests.shipments.factories import (
    fresh,
    make_pharmacy,
    make_prescription,
    order_input,
    purchase_job,
    run_jobs,
    submitted_order,
)

OWN_REMINDER = "Ask for the weekly examination results"


@pytest.fixture(autouse=True)
def _empty_queue(app):
    """Jobs sent to RQ by one test must not run in another (rows are deleted between tests, the queue is not)."""
    get_queue().empty()
    yield
    get_queue().empty()


def test_a_failed_order_tells_the_coordinator_with_a_reminder_of_its_own_beside_theirs(app, users, as_role):
    patient = make_patient(name="Minh Tran", country="VN")
    patient.address = "12 Nguyen Hue, District 1, Ho Chi Minh City"
    case = make_case(
        patient=patient,
        state="aftercare",
        coordinator=users["coordinator"],
        next_action=OWN_REMINDER,  # the coordinator's own reminder: a failing order leaves it as it is
        next_action_on=date.today() + timedelta(days=3),
    )
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
    assert "The coordinator has been told: the case has a reminder about this order" in page
    texts = [reminder.text for reminder in reminders.open_reminders(case_id)]
    assert texts[1] == OWN_REMINDER and texts[0].startswith(f"Medicine order #{order_id} failed")
    case_page = html.unescape(client.get(f"/cases/{case_id}").get_data(as_text=True))
    assert OWN_REMINDER in case_page and f"System (medicine order #{order_id})" in case_page


def test_a_failed_order_whose_reminder_was_marked_done_says_nobody_is_reminded(app, users, as_role):
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
    reminder_id = reminders.open_reminder_about("medicine_order", order_id).id
    assert client.post(f"/cases/{case_id}/reminders/{reminder_id}/done", data={}).status_code == 302
    assert get_case(case_id).next_action == ""

    page = html.unescape(client.get(f"/medicine-orders/{order_id}").get_data(as_text=True))
    assert "This order failed:" in page and "has been told" not in page
    assert "no open reminder is about this order any more" in page


def test_a_retried_order_that_succeeds_closes_the_reminder_its_failure_made_and_nobody_elses(app, users):
    case = make_case(state="discharged", coordinator=users["coordinator"])
    own = reminders.add_reminder(
        case.id, due_on=utcnow().date() + timedelta(days=2), text="Call the GP", actor_id=users["coordinator"].id
    )
    db.session.commit()
    case_id, own_id = case.id, own.id
    order_id = submitted_order(behaviour="refused", case=case).id
    run_jobs(app)
    assert fresh(order_id).status == "failed"
    failure_id = reminders.open_reminder_about("medicine_order", order_id).id

    runner.requeue(purchase_job(order_id))
    db.session.get(MedicineOrder, order_id).sandbox_behaviour = "normal"  # the pharmacy accepts it now
    db.session.commit()
    # Requeued is not yet succeeded: the reminder stays until the retried step goes through.
    assert db.session.get(Reminder, failure_id).state == "open"
    run_jobs(app)
    db.session.expire_all()
    assert fresh(order_id).status == "delivered"
    assert db.session.get(Reminder, failure_id).state == "done"
    assert db.session.get(Reminder, own_id).state == "open"
    assert db.session.get(Case, case_id).next_action == "Call the GP"
