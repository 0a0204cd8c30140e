"""Medicine order pages: coordinators write, submit, cancel and watch orders run; finance reads them (costs, not
medicines); patients see nothing. Bad input gets a message and a 4xx, and nothing is stored."""

from __future__ import annotations

import html
import re

import pytest
from flask import render_template
from flask_login import login_user
from rq.job import Job, JobStatus
from sqlalchemy import func, select

from backoffice.cases.operations import get_case
from backoffice.extensions import db
from backoffice.jobs import get_queue, redis_connection
from backoffice.jobs.models import OutboxEntry
from backoffice.shipments import operations
from backoffice.shipments.models import MedicineOrder, OrderItem, OrderStep, SandboxCall
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_patient
from tests.helpers import change_settings, login_as
from tests.shipments.factories import make_pharmacy, make_prescription, order_input, run_jobs

TIMES = "\N{MULTIPLICATION SIGN}"
PROGRESS = "Purchase at the pharmacy: waiting for the provider (attempt 1)"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def stored() -> dict[str, int]:
    """What a refused request must leave as it was."""

    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    db.session.expire_all()
    return {
        "orders": count(MedicineOrder),
        "items": count(OrderItem),
        "steps": count(OrderStep),
        "jobs": count(OutboxEntry, OutboxEntry.job.like("shipments.%")),
        "audit": count(AuditEvent, AuditEvent.action.like("medicine_order.%")),
        "submitted": count(MedicineOrder, MedicineOrder.status != "draft"),
    }


def fresh(order_id: int) -> MedicineOrder:
    db.session.expire_all()
    return operations.get_order(order_id)


@pytest.fixture(autouse=True)
def _empty_queue(app):
    """Jobs sent to RQ by one test must not run in another (rows are deleted between tests, the queue is not)."""
    get_queue().empty()
    yield
    get_queue().empty()


@pytest.fixture
def case(users):
    patient = make_patient(name="Amira Haddad", country="AE")
    patient.address = "Villa 12, Al Wasl Road, Dubai"
    case = make_case(patient=patient, state="discharged", coordinator=users["coordinator"])
    db.session.commit()
    return case


@pytest.fixture
def pharmacy():
    pharmacy = make_pharmacy(name="Apotheke am Römer")
    db.session.commit()
    return pharmacy


@pytest.fixture
def prescription(case, users):
    document = make_prescription(case, uploaded_by=users["coordinator"])
    db.session.commit()
    return document


def form(pharmacy, prescription=None, *, items=None, action="draft", **fields) -> dict:
    """The order form as a browser sends it: five item rows, the empty ones blank."""
    rows = items if items is not None else [("Insulin glargine", "100 IU/ml", "pre-filled pens", "10")]
    data = {
        "pharmacy_id": str(pharmacy.id) if pharmacy else "",
        "prescription_id": str(prescription.id) if prescription else "",
        "delivery_name": "",
        "delivery_address": "",
        "delivery_country": "",
        "cold_chain": "y",
        "customs_notes": "Prescription medicine for personal use",
        "sandbox_behaviour": "normal",
        "action": action,
    }
    for index in range(max(5, len(rows))):
        medicine, strength, kind, quantity = rows[index] if index < len(rows) else ("", "", "", "")
        data.update(
            {
                f"items-{index}-medicine": medicine,
                f"items-{index}-strength": strength,
                f"items-{index}-form": kind,
                f"items-{index}-quantity": quantity,
            }
        )
    data.update(fields)
    return {key: value for key, value in data.items() if value is not None}


def new_order(client, case, data):
    return client.post(f"/cases/{case.id}/medicine-orders/new", data=data)


def draft(case, pharmacy, prescription=None, **fields) -> MedicineOrder:
    order = operations.create_order(case.id, order_input(pharmacy, prescription, **fields), actor_id=None)
    db.session.commit()
    return order


def submitted(case, pharmacy, prescription, **fields) -> MedicineOrder:
    order = draft(case, pharmacy, prescription, **fields)
    operations.submit_order(order.id, actor_id=None, expected_version=None)
    db.session.commit()
    return order


# ---------------------------------------------------------------------------------------------- the coordinator


def test_a_coordinator_drafts_edits_submits_and_sees_the_order_delivered(app, as_role, case, pharmacy, prescription):
    client = as_role("coordinator")
    page = text(client.get(f"/cases/{case.id}/medicine-orders/new"))
    assert "New medicine order" in page and "Amira Haddad" in page
    assert "Villa 12, Al Wasl Road, Dubai" in page  # the patient's address is the default
    assert "Apotheke am Römer, Frankfurt am Main (DE) · cold chain (sandbox)" in page
    assert "prescription.pdf" in page and "Sandbox behaviour" in page
    assert page.count('name="items-4-medicine"') == 1 and 'name="items-5-medicine"' not in page

    response = new_order(client, case, form(pharmacy, prescription))
    assert response.status_code == 302
    order_id = db.session.scalar(select(MedicineOrder.id))
    page = text(client.get(response.headers["Location"]))
    assert f"Medicine order #{order_id} saved as a draft." in page
    assert "Draft" in page and "Insulin glargine" in page and "Edit" in page and ">Submit<" in page
    order = fresh(order_id)
    assert (order.delivery_name, order.delivery_country) == ("Amira Haddad", "AE")
    assert order.cold_chain and stored()["jobs"] == 0

    edit = text(client.get(f"/medicine-orders/{order_id}/edit"))
    assert 'value="Insulin glargine"' in edit and 'name="version"' in edit
    rows = [("Insulin glargine", "100 IU/ml", "pre-filled pens", "12"), ("Tacrolimus", "1 mg", "capsules", "60")]
    response = client.post(
        f"/medicine-orders/{order_id}/edit", data=form(pharmacy, prescription, items=rows, version="1")
    )
    assert response.status_code == 302
    order = fresh(order_id)
    assert [(item.medicine, item.quantity) for item in order.items] == [("Insulin glargine", 12), ("Tacrolimus", 60)]

    response = client.post(f"/medicine-orders/{order_id}/submit", data={"version": str(order.version)})
    assert response.status_code == 302
    assert "submitted to Apotheke am Römer: the purchase starts now" in text(client.get(response.headers["Location"]))
    assert fresh(order_id).status == "submitted"

    run_jobs(app)
    order = fresh(order_id)
    assert order.status == "delivered", order.failure_reason
    page = text(client.get(f"/medicine-orders/{order_id}"))
    assert "Delivered" in page and order.tracking_number in page and order.purchase_reference in page
    assert order.parcel_reference in page and "Sandbox Express Cold Chain" in page
    assert f"€{order.cost_amount:,}" in page
    assert "data-progress-url" not in page and "medicine-order.js" not in page  # finished: no more polling
    progress = client.get(f"/medicine-orders/{order_id}/progress.json").get_json()
    assert progress["status"] == "delivered" and progress["finished"] is True
    assert [(step["step"], step["state"], step["attempts"]) for step in progress["steps"]] == [
        ("purchase", "done", 1),
        ("pack", "done", 1),
        ("ship", "done", 1),
        ("track", "done", 1),
    ]


def test_save_and_submit_stores_the_order_and_sends_its_first_job_at_once(as_role, case, pharmacy, prescription):
    response = new_order(as_role("coordinator"), case, form(pharmacy, prescription, action="submit"))
    assert response.status_code == 302
    order = db.session.scalar(select(MedicineOrder))
    assert order.status == "submitted"
    entry = db.session.scalar(select(OutboxEntry))
    assert (entry.job, entry.args, entry.state) == ("shipments.purchase", {"order_id": order.id}, "enqueued")
    assert get_queue().job_ids == [entry.rq_job_id]  # sent after the commit, without waiting for the dispatcher


def test_with_redis_down_the_submission_is_stored_and_its_job_waits_in_the_outbox(
    app, monkeypatch, as_role, case, pharmacy, prescription
):
    client = as_role("coordinator")
    change_settings(monkeypatch, app, redis_url="redis://127.0.0.1:1/0")
    response = new_order(client, case, form(pharmacy, prescription, action="submit"))
    assert response.status_code == 302
    assert "the purchase starts now" in text(client.get(response.headers["Location"]))
    assert db.session.scalar(select(OutboxEntry.state)) == "pending"
    assert stored()["submitted"] == 1


def test_a_running_step_shows_what_its_job_is_doing_now(app, monkeypatch, as_role, case, pharmacy, prescription):
    order = submitted(case, pharmacy, prescription)
    step = db.session.scalar(select(OrderStep).where(OrderStep.order_id == order.id, OrderStep.step == "purchase"))
    step.state, step.attempts, step.job_id = "running", 1, "medicine-order-progress-test"
    db.session.commit()
    job = Job.create(
        "backoffice.jobs.runner.run_entry", args=(1,), id="medicine-order-progress-test", connection=redis_connection()
    )
    job.meta["progress"] = PROGRESS  # as runner.progress() writes it
    job.set_status(JobStatus.STARTED, pipeline=None)
    job.save()
    client = as_role("coordinator")
    page = text(client.get(f"/medicine-orders/{order.id}"))
    assert "waiting for the provider (attempt 1)" in page and "Running" in page
    assert f'data-progress-url="/medicine-orders/{order.id}/progress.json"' in page and "js/medicine-order.js" in page
    steps = client.get(f"/medicine-orders/{order.id}/progress.json").get_json()["steps"]
    assert steps[0]["progress"] == "waiting for the provider (attempt 1)" and steps[0]["state_label"] == "Running"

    job.set_status(JobStatus.FINISHED, pipeline=None)  # a finished run's last word is not news of an open step
    assert client.get(f"/medicine-orders/{order.id}/progress.json").get_json()["steps"][0]["progress"] == ""
    job.delete()  # the job is gone: the page shows the step without it
    page = text(client.get(f"/medicine-orders/{order.id}"))
    assert "waiting for the provider" not in page and "Running" in page
    change_settings(monkeypatch, app, redis_url="redis://127.0.0.1:1/0")  # Redis down: the same
    response = client.get(f"/medicine-orders/{order.id}")
    assert response.status_code == 200 and "Running" in text(response)
    assert client.get(f"/medicine-orders/{order.id}/progress.json").get_json()["steps"][0]["progress"] == ""


def test_between_two_tracking_checks_the_carriers_last_answer_is_shown(as_role, case, pharmacy, prescription):
    order = submitted(case, pharmacy, prescription)
    for step in db.session.scalars(select(OrderStep).where(OrderStep.order_id == order.id)):
        step.state = "running" if step.step == "track" else "done"
        if step.step == "track":
            step.attempts, step.result = 2, {"polls": 2, "status": "in_transit", "detail": "In transit"}
    db.session.get(MedicineOrder, order.id).status = "shipped"
    db.session.commit()
    page = text(as_role("coordinator").get(f"/medicine-orders/{order.id}"))
    assert "Carrier: In transit (check 2)" in page


def test_a_failed_order_shows_the_reason_and_that_the_coordinator_was_told(app, as_role, case, pharmacy, prescription):
    client = as_role("coordinator")  # signed in before the jobs run (run_jobs ends the test's session)
    order_id = submitted(case, pharmacy, prescription, behaviour="refused").id
    run_jobs(app)
    page = text(client.get(f"/medicine-orders/{order_id}"))
    assert "This order failed:" in page and "prescription not accepted (forced refusal)" in page
    assert "The coordinator has been told: the case has a reminder about this order" in page
    assert "Carl Coordinator" in page


def test_a_sandbox_order_is_labelled_as_test_mode(as_role, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    page = text(as_role("coordinator").get(f"/medicine-orders/{order.id}"))
    assert "SANDBOX — test mode, no real purchase" in page


class RealPharmacy:
    """A provider that is not the sandbox (never called in these tests)."""

    label = "Acme wholesale link"
    sandbox = False


def test_the_sandbox_behaviour_is_said_to_apply_to_sandbox_pharmacies_only(
    app, monkeypatch, as_role, case, pharmacy, prescription
):
    providers = {"sandbox": "backoffice.shipments.sandbox:SandboxPharmacy", "acme": f"{__name__}:RealPharmacy"}
    change_settings(monkeypatch, app, pharmacy_providers=providers)
    real = make_pharmacy(name="Farmacia Real", provider="acme")
    db.session.commit()
    client = as_role("coordinator")
    page = text(client.get(f"/cases/{case.id}/medicine-orders/new"))
    assert "Applies to sandbox pharmacies only" in page
    assert "Farmacia Real, Frankfurt am Main (DE) · cold chain<" in page  # no "(sandbox)"
    response = new_order(client, case, form(real, prescription, sandbox_behaviour="refused"))
    assert response.status_code == 302
    order = db.session.scalar(select(MedicineOrder))
    assert order.sandbox_behaviour == "normal"  # a real pharmacy ignores it
    page = text(client.get(f"/medicine-orders/{order.id}"))
    assert "SANDBOX" not in page and "Acme wholesale link" in page


# ---------------------------------------------------------------------------------------------- bad input

BAD_ORDERS = {
    "no items": ({"items": []}, "An order needs at least one medicine with its quantity."),
    "quantity 0": ({"items": [("Insulin", "", "", "0")]}, "the quantity is between 1 and 10,000"),
    "quantity -1": ({"items": [("Insulin", "", "", "-1")]}, "the quantity is a whole number such as 3"),
    "quantity 2.5": ({"items": [("Insulin", "", "", "2.5")]}, "the quantity is a whole number such as 3"),
    "quantity abc": ({"items": [("Insulin", "", "", "abc")]}, "the quantity is a whole number such as 3"),
    "quantity 10**12": ({"items": [("Insulin", "", "", str(10**12))]}, "the quantity is between 1 and 10,000"),
    "quantity ²": ({"items": [("Insulin", "", "", "²")]}, "the quantity is a whole number such as 3"),
    "no quantity": ({"items": [("Insulin", "", "", "")]}, "the quantity is a whole number such as 3"),
    "quantity without medicine": ({"items": [("", "", "", "3")]}, "Item 1: name the medicine"),
    "huge medicine name": ({"items": [("x" * 10_000, "", "", "1")]}, "name the medicine (at most 200 characters)"),
    "long strength": ({"items": [("Insulin", "9" * 61, "", "1")]}, "strength and form have at most 60 characters"),
    "31 items": ({"items": [(f"Medicine {n}", "", "", "1") for n in range(31)]}, "at most 30 items; split it"),
    "unknown pharmacy": ({"pharmacy_id": "999999"}, "Choose a pharmacy from the directory."),
    "pharmacy not a number": ({"pharmacy_id": "abc"}, "Choose a pharmacy from the directory."),
    "huge pharmacy id": ({"pharmacy_id": str(10**30)}, "Choose a pharmacy from the directory."),
    "no pharmacy": ({"pharmacy_id": ""}, "Choose a pharmacy from the directory."),
    "prescription not a number": ({"prescription_id": "abc"}, "The prescription must be a document of this case"),
    "bad country": ({"delivery_country": "XX"}, "Choose the delivery country from the list."),
    "country of three letters": ({"delivery_country": "DEU"}, "Choose the delivery country from the list."),
    "unknown sandbox behaviour": ({"sandbox_behaviour": "explode"}, "Choose how the sandbox should behave."),
    "huge address": ({"delivery_address": "a" * 5000}, "Delivery address: Field cannot be longer than 1000"),
    "submitted without a prescription": (
        {"prescription_id": "", "action": "submit"},
        "Attach the prescription (a document of the case) before submitting.",
    ),
}


@pytest.mark.parametrize("changes, message", BAD_ORDERS.values(), ids=BAD_ORDERS.keys())
def test_a_bad_order_is_refused_with_a_message_and_nothing_stored(
    as_role, case, pharmacy, prescription, changes, message
):
    changes = dict(changes)
    items = changes.pop("items", None)
    before = stored()
    response = new_order(as_role("coordinator"), case, form(pharmacy, prescription, items=items, **changes))
    assert response.status_code == 422
    page = text(response)
    assert message in page
    assert "New medicine order" in page  # the form again, with what was typed
    assert stored() == before == dict.fromkeys(before, 0)


def test_a_prescription_of_another_case_is_refused(as_role, case, pharmacy, users):
    other = make_case(state="discharged")
    foreign = make_prescription(other, uploaded_by=users["coordinator"])
    db.session.commit()
    response = new_order(as_role("coordinator"), case, form(pharmacy, foreign))
    assert response.status_code == 422
    assert "The prescription must be a document of this case; upload it to the case first." in text(response)
    assert stored()["orders"] == 0


def test_a_deactivated_pharmacy_is_not_offered_and_is_refused(as_role, case, prescription):
    closed = make_pharmacy(name="Closed Pharmacy", active=False)
    db.session.commit()
    client = as_role("coordinator")
    assert "Closed Pharmacy" not in text(client.get(f"/cases/{case.id}/medicine-orders/new"))
    response = new_order(client, case, form(closed, prescription))
    assert response.status_code == 422 and "Choose a pharmacy from the directory." in text(response)
    assert stored()["orders"] == 0


def test_cold_chain_at_a_pharmacy_without_it_is_refused(as_role, case, prescription):
    ambient = make_pharmacy(name="Ambient Apotheke", cold_chain=False)
    db.session.commit()
    response = new_order(as_role("coordinator"), case, form(ambient, prescription))
    assert response.status_code == 422
    assert "Ambient Apotheke cannot ship refrigerated" in text(response)
    assert stored()["orders"] == 0


def test_a_crafted_row_number_is_ignored_not_a_crash(as_role, case, pharmacy, prescription):
    data = form(pharmacy, prescription, items=[])
    data.update({"items-²-medicine": "Insulin", "items-²-quantity": "3"})
    response = new_order(as_role("coordinator"), case, data)
    assert response.status_code == 422
    assert "An order needs at least one medicine" in text(response)


def test_an_order_for_an_unknown_case_or_an_unknown_order_is_not_found(as_role, pharmacy):
    client = as_role("coordinator")
    assert client.get("/cases/999999/medicine-orders/new").status_code == 404
    assert client.get("/medicine-orders/999999").status_code == 404
    assert client.get("/medicine-orders/999999/progress.json").status_code == 404
    assert client.post("/medicine-orders/999999/submit", data={"version": "1"}).status_code == 404
    assert client.post("/medicine-orders/999999/cancel", data={"version": "1", "reason": "x"}).status_code == 404
    assert client.get("/medicine-orders/99999999999/edit").status_code == 404


def test_a_post_without_its_security_token_is_refused(as_role, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    response = as_role("coordinator").post(f"/medicine-orders/{order.id}/submit", data={"version": "1"}, csrf=False)
    assert response.status_code == 400
    assert fresh(order.id).status == "draft"


# ---------------------------------------------------------------------------------------------- edit and submit


def test_a_submitted_order_cannot_be_edited(as_role, case, pharmacy, prescription):
    order = submitted(case, pharmacy, prescription)
    client = as_role("coordinator")
    response = client.get(f"/medicine-orders/{order.id}/edit")
    assert response.status_code == 422
    assert f"Order #{order.id} is submitted: only a draft is changed." in text(response)
    before = stored()
    rows = [("Morphine", "", "", "99")]
    response = client.post(
        f"/medicine-orders/{order.id}/edit", data=form(pharmacy, prescription, items=rows, version=str(order.version))
    )
    assert response.status_code == 422 and "only a draft is changed" in text(response)
    assert stored() == before
    assert [item.medicine for item in fresh(order.id).items] == ["Insulin glargine", "Tacrolimus"]


def test_an_edit_from_a_stale_page_is_refused_and_changes_nothing(as_role, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    operations.update_order(order.id, order_input(pharmacy, prescription), actor_id=None, expected_version=1)
    db.session.commit()  # someone else saved the draft meanwhile: version 2
    response = as_role("coordinator").post(
        f"/medicine-orders/{order.id}/edit",
        data=form(pharmacy, prescription, items=[("Aspirin", "", "", "1")], version="1"),
    )
    assert response.status_code == 409
    assert f"Order #{order.id} was changed meanwhile" in text(response)
    assert "Aspirin" not in [item.medicine for item in fresh(order.id).items]


def test_an_edit_without_the_version_is_refused(as_role, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    response = as_role("coordinator").post(f"/medicine-orders/{order.id}/edit", data=form(pharmacy, prescription))
    assert response.status_code == 422 and "The page was incomplete" in text(response)
    assert fresh(order.id).version == 1


def test_a_bad_edit_keeps_the_draft_as_it_was(as_role, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    response = as_role("coordinator").post(
        f"/medicine-orders/{order.id}/edit",
        data=form(pharmacy, prescription, items=[("Insulin", "", "", "0")], version="1"),
    )
    assert response.status_code == 422 and "the quantity is between 1 and 10,000" in text(response)
    assert [(item.medicine, item.quantity) for item in fresh(order.id).items] == [
        ("Insulin glargine", 10),
        ("Tacrolimus", 60),
    ]


def test_submitting_twice_submits_once(as_role, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    client = as_role("coordinator")
    assert client.post(f"/medicine-orders/{order.id}/submit", data={"version": "1"}).status_code == 302
    after_first = stored()
    # The same button pressed again, from the same page or a reloaded one: submitted already.
    for version in ("1", str(fresh(order.id).version)):
        again = client.post(f"/medicine-orders/{order.id}/submit", data={"version": version})
        assert again.status_code == 409
        assert f"Order #{order.id} was submitted already (submitted); it is sent once." in text(again)
    assert stored() == after_first and after_first["steps"] == 4 and after_first["jobs"] == 1


def test_a_draft_without_prescription_cannot_be_submitted(as_role, case, pharmacy):
    order = draft(case, pharmacy)
    response = as_role("coordinator").post(f"/medicine-orders/{order.id}/submit", data={"version": "1"})
    assert response.status_code == 422
    assert "Attach the prescription (a document of the case) before submitting." in text(response)
    assert fresh(order.id).status == "draft" and stored()["jobs"] == 0


def test_a_submit_without_a_version_is_refused(as_role, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    for data in ({}, {"version": "abc"}, {"version": "0"}):
        response = as_role("coordinator").post(f"/medicine-orders/{order.id}/submit", data=data)
        assert response.status_code == 422 and "Nothing was changed" in text(response)
    assert fresh(order.id).status == "draft"


# ---------------------------------------------------------------------------------------------- cancel


def test_an_order_is_cancelled_before_the_purchase_and_nothing_is_bought(app, as_role, case, pharmacy, prescription):
    order = submitted(case, pharmacy, prescription)
    order_id, version = order.id, order.version
    client = as_role("coordinator")
    page = text(client.get(f"/medicine-orders/{order_id}"))
    assert "Cancel order" in page
    response = client.post(
        f"/medicine-orders/{order_id}/cancel", data={"version": str(version), "reason": "Patient changed plans"}
    )
    assert response.status_code == 302
    assert f"Medicine order #{order_id} cancelled: nothing will be bought." in text(
        client.get(response.headers["Location"])
    )
    run_jobs(app)
    stored_order = fresh(order_id)
    assert (stored_order.status, stored_order.failure_reason) == ("cancelled", "Patient changed plans")
    assert db.session.scalar(select(func.count()).select_from(SandboxCall)) == 0


def test_a_cancellation_needs_a_reason(as_role, case, pharmacy, prescription):
    order = submitted(case, pharmacy, prescription)
    response = as_role("coordinator").post(
        f"/medicine-orders/{order.id}/cancel", data={"version": str(order.version), "reason": "  "}
    )
    assert response.status_code == 422 and "Say why the order is cancelled." in text(response)
    assert fresh(order.id).status == "submitted"


def test_a_shipped_order_cannot_be_cancelled(app, as_role, case, pharmacy, prescription):
    client = as_role("coordinator")
    order_id = submitted(case, pharmacy, prescription).id
    run_jobs(app)
    delivered = fresh(order_id)
    assert "Cancel order" not in text(client.get(f"/medicine-orders/{order_id}"))
    response = client.post(
        f"/medicine-orders/{order_id}/cancel", data={"version": str(delivered.version), "reason": "Too late"}
    )
    assert response.status_code == 422
    assert f"Order #{order_id} is delivered: it can only be cancelled before the purchase." in text(response)
    assert fresh(order_id).status == "delivered"


def test_an_order_whose_purchase_started_cannot_be_cancelled(as_role, case, pharmacy, prescription):
    order = submitted(case, pharmacy, prescription)
    step = db.session.scalar(select(OrderStep).where(OrderStep.order_id == order.id, OrderStep.step == "purchase"))
    step.state = "running"
    db.session.commit()
    client = as_role("coordinator")
    assert "Cancel order" not in text(client.get(f"/medicine-orders/{order.id}"))
    version = fresh(order.id).version
    response = client.post(f"/medicine-orders/{order.id}/cancel", data={"version": str(version), "reason": "Oops"})
    assert response.status_code == 422 and "the purchase has started" in text(response)
    assert fresh(order.id).status == "submitted"


def test_a_cancellation_from_a_stale_page_is_refused(as_role, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    response = as_role("coordinator").post(
        f"/medicine-orders/{order.id}/cancel", data={"version": "7", "reason": "Not needed"}
    )
    assert response.status_code == 409 and "was changed meanwhile" in text(response)
    assert fresh(order.id).status == "draft"


# ---------------------------------------------------------------------------------------------- who sees what


def test_finance_reads_the_order_and_its_cost_but_not_the_medicines(app, as_role, case, pharmacy, prescription):
    client = as_role("finance")
    order_id = submitted(case, pharmacy, prescription).id
    run_jobs(app)
    response = client.get(f"/medicine-orders/{order_id}")
    assert response.status_code == 200
    page = text(response)
    assert "Delivered" in page and f"€{fresh(order_id).cost_amount:,}" in page
    assert "Insulin" not in page and "Tacrolimus" not in page and "prescription.pdf" not in page
    assert "2 items" in page and "Cancel order" not in page and ">Submit<" not in page
    assert client.get(f"/medicine-orders/{order_id}/progress.json").status_code == 200


def test_finance_changes_nothing(as_role, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    client = as_role("finance")
    before = stored()
    assert client.get(f"/cases/{case.id}/medicine-orders/new").status_code == 403
    assert client.get(f"/medicine-orders/{order.id}/edit").status_code == 403
    posts = [
        (f"/cases/{case.id}/medicine-orders/new", form(pharmacy, prescription, action="submit")),
        (f"/medicine-orders/{order.id}/edit", form(pharmacy, prescription, version="1")),
        (f"/medicine-orders/{order.id}/submit", {"version": "1"}),
        (f"/medicine-orders/{order.id}/cancel", {"version": "1", "reason": "Finance says no"}),
    ]
    for url, data in posts:
        assert client.post(url, data=data).status_code == 403, url
    assert stored() == before


def test_patients_reach_no_order_page(client, users, case, pharmacy, prescription):
    order = draft(case, pharmacy, prescription)
    login_as(client, users["patient"])
    for url in (
        f"/cases/{case.id}/medicine-orders/new",
        f"/medicine-orders/{order.id}",
        f"/medicine-orders/{order.id}/progress.json",
        f"/medicine-orders/{order.id}/edit",
    ):
        assert client.get(url).status_code == 403, url
    for url in (f"/medicine-orders/{order.id}/submit", f"/medicine-orders/{order.id}/cancel"):
        assert client.post(url, data={"version": "1", "reason": "x"}).status_code == 403, url
    assert fresh(order.id).status == "draft"


def test_the_order_page_runs_a_fixed_number_of_statements(app, as_role, case, pharmacy, prescription, count_queries):
    client = as_role("coordinator")
    few = submitted(case, pharmacy, prescription)
    with count_queries() as statements_few:
        assert client.get(f"/medicine-orders/{few.id}").status_code == 200
    rows = [operations.ItemInput(f"Medicine {n}", "1 mg", "tablets", "2") for n in range(25)]
    many = submitted(case, pharmacy, prescription, items=rows)
    with count_queries() as statements_many:
        page = text(client.get(f"/medicine-orders/{many.id}"))
    assert "Medicine 24" in page
    assert len(statements_many) == len(statements_few)


def test_the_case_partial_lists_the_orders_with_what_each_role_may_read(app, users, case, pharmacy, prescription):
    order = submitted(case, pharmacy, prescription)
    for role, sees_medicines in (("coordinator", True), ("finance", False)):
        with app.test_request_context():
            login_user(users[role])
            page = html.unescape(
                render_template(
                    "shipments/_case_orders.html",
                    case=get_case(case.id),
                    medicine_orders=operations.orders_of_case(case.id),
                )
            )
        assert f"/medicine-orders/{order.id}" in page and "Apotheke am Römer" in page and "Submitted" in page
        summary = f"10 {TIMES} Insulin glargine 100 IU/ml, 60 {TIMES} Tacrolimus 1 mg"
        assert (summary in page) is sees_medicines
        assert ("New medicine order" in page) is sees_medicines
        assert ("2 items" in page) is not sees_medicines


def test_the_same_order_form_sent_twice_makes_one_order(as_role, case, pharmacy, prescription):
    client = as_role("coordinator")
    page = client.get(f"/cases/{case.id}/medicine-orders/new")
    token = re.search(r'name="client_token"[^>]*value="([0-9a-f]+)"', page.get_data(as_text=True))
    assert token, "the form carries a one-time token"
    form = {
        "client_token": token.group(1),
        "pharmacy_id": str(pharmacy.id),
        "prescription_id": str(prescription.id),
        "items-0-medicine": "Insulin glargine",
        "items-0-quantity": "3",
        "action": "submit",
    }
    first = client.post(f"/cases/{case.id}/medicine-orders/new", data=form)
    assert first.status_code == 302
    second = client.post(f"/cases/{case.id}/medicine-orders/new", data=form)
    assert second.status_code in (302, 409)
    assert stored()["orders"] == 1 and stored()["jobs"] == 1


def test_a_cancellation_reason_is_health_data_that_no_finance_answer_carries(app, users, case, pharmacy, prescription):
    order = submitted(case, pharmacy, prescription)
    reason = "Patient is pregnant; tacrolimus stopped by her nephrologist"
    operations.cancel_order(order.id, reason=reason, actor_id=None, expected_version=order.version)
    db.session.commit()
    order_id = order.id
    finance, coordinator = app.test_client(), app.test_client()
    login_as(finance, users["finance"])
    login_as(coordinator, users["coordinator"])

    for url in (f"/medicine-orders/{order_id}", f"/medicine-orders/{order_id}/progress.json"):
        answer = finance.get(url)
        assert answer.status_code == 200, url
        assert "pregnant" not in text(answer), url
        assert "pregnant" in text(coordinator.get(url)), url
    assert finance.get(f"/medicine-orders/{order_id}/progress.json").get_json()["failure_reason"] == ""
    assert "pregnant" not in text(finance.get(f"/cases/{case.id}"))
