"""Redis going down while a coordinator submits a medicine order through the web form, and coming back.

tests/shipments/test_faults.py covers the outage with real worker and dispatcher processes, orders submitted through
the operations; tests/shipments/test_views.py covers the form answering while Redis is down. This is the whole story
through the pages: Redis up when the form is opened, down when it is sent; the submission is stored, its job waits in
the outbox, the order's page still shows; once Redis is back the dispatcher sends the job and the order is delivered,
with the pharmacy and the carrier asked once each.
"""

from __future__ import annotations

import html
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import select

from backoffice import embedded_redis
from backoffice.extensions import db
from backoffice.jobs.models import OutboxEntry
from backoffice.shipments.models import MedicineOrder, SandboxCall
from tests.factories import make_case, make_patient
from tests.helpers import change_settings
from tests.shipments.factories import make_pharmacy, make_prescription, run_jobs


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def order_form(pharmacy, prescription) -> dict:
    data = {
        "pharmacy_id": str(pharmacy.id),
        "prescription_id": str(prescription.id),
        "delivery_name": "",
        "delivery_address": "",
        "delivery_country": "",
        "cold_chain": "y",
        "customs_notes": "Prescription medicine for personal use",
        "sandbox_behaviour": "normal",
        "action": "submit",
    }
    rows = [("Insulin glargine", "100 IU/ml", "pre-filled pens", "10")] + [("", "", "", "")] * 4
    for index, (medicine, strength, kind, quantity) in enumerate(rows):
        data.update(
            {
                f"items-{index}-medicine": medicine,
                f"items-{index}-strength": strength,
                f"items-{index}-form": kind,
                f"items-{index}-quantity": quantity,
            }
        )
    return data


def test_an_order_submitted_through_the_form_while_redis_is_down_is_delivered_once_when_it_is_back(
    app, as_role, users, monkeypatch
):
    patient = make_patient(name="Amira Haddad", country="AE")
    patient.address = "Villa 12, Al Wasl Road, Dubai"
    case = make_case(patient=patient, state="discharged", coordinator=users["coordinator"])
    pharmacy = make_pharmacy(name="Apotheke am Römer")
    prescription = make_prescription(case, uploaded_by=users["coordinator"])
    db.session.commit()
    client = as_role("coordinator")
    # A Redis of this test's own on a short socket path (unix socket paths are limited in length).
    directory = Path(tempfile.mkdtemp(prefix="backoffice-redis-"))
    server, url = embedded_redis.start(directory)
    change_settings(monkeypatch, app, redis_url=url)
    try:
        form = client.get(f"/cases/{case.id}/medicine-orders/new")
        assert form.status_code == 200

        embedded_redis.stop(server)  # Redis goes away while the coordinator fills in the form
        server = None
        response = client.post(f"/cases/{case.id}/medicine-orders/new", data=order_form(pharmacy, prescription))

        assert response.status_code == 302, text(response)[:2000]
        page = client.get(response.headers["Location"])
        assert page.status_code == 200 and "the purchase starts now" in text(page)
        db.session.expire_all()
        order = db.session.scalar(select(MedicineOrder))
        order_id = order.id
        assert order.status == "submitted"
        outbox = db.session.execute(select(OutboxEntry.job, OutboxEntry.state, OutboxEntry.enqueued_at)).all()
        assert [tuple(row) for row in outbox] == [("shipments.purchase", "pending", None)]  # waits, not lost
        shown = client.get(f"/medicine-orders/{order_id}")  # the order's page still shows, without live progress
        assert shown.status_code == 200 and "Insulin glargine" in text(shown)
        assert client.get(f"/medicine-orders/{order_id}/progress.json").status_code == 200
        db.session.rollback()

        server, _url = embedded_redis.start(directory)  # Redis is back, on the same socket
        run_jobs(app)

        db.session.expire_all()
        order = db.session.get(MedicineOrder, order_id)
        assert order.status == "delivered", order.failure_reason
        calls = db.session.execute(select(SandboxCall.kind, SandboxCall.attempts).order_by(SandboxCall.id)).all()
        assert [tuple(call) for call in calls] == [("purchase", 1), ("pack", 1), ("ship", 1)]  # each asked once
        states = db.session.scalars(select(OutboxEntry.state).where(OutboxEntry.job.like("shipments.%"))).all()
        assert set(states) == {"done"}
        assert "Delivered" in text(client.get(f"/medicine-orders/{order_id}"))
    finally:
        if server is not None:
            embedded_redis.stop(server)
        shutil.rmtree(directory, ignore_errors=True)
