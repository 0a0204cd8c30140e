"""A coordinator sends the itinerary to the patient ("ready" the first time, "changed" after), with the PDF only when
they tick it; a medicine order that ships tells the patient the carrier and tracking number, nothing of its contents."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.messages import kinds
from backoffice.messages.models import Message, MessageAttachment
from backoffice.patients.models import Patient
from tests.factories import make_case, make_patient
from tests.logistics.factories import local, make_appointment, make_flight, make_hotel, make_transfer
from tests.logistics.test_case_rules import confirmed_case  # noqa: F401  (fixture)
from tests.shipments.factories import run_jobs, submitted_order


@pytest.fixture
def booked(confirmed_case):  # noqa: F811
    """A case whose itinerary shows no problem: flight, pickup, hotel and the ride to the hospital."""
    case, _ = confirmed_case
    admission = date.today() + timedelta(days=30)
    make_appointment(case, admission_on=admission)
    flight = make_flight(
        case,
        departs_at=local(admission - timedelta(days=1), 8, 0, "Asia/Dubai"),
        arrives_at=local(admission - timedelta(days=1), 12, 20),
    )
    make_transfer(case, pickup_at=local(admission - timedelta(days=1), 13, 30), flight=flight)
    make_hotel(case, check_in_on=admission - timedelta(days=1), check_out_on=admission)
    make_transfer(
        case, pickup_at=local(admission, 8, 0), from_kind="hotel", from_place="Hotel am Main", to_kind="hospital"
    )
    patient = db.session.get(Patient, case.patient_id)
    patient.email, patient.preferred_language = "amal@example.org", "de"
    db.session.commit()
    return case


def test_the_itinerary_goes_to_the_patient_ready_then_changed_with_the_pdf_only_when_ticked(
    app, as_role, users, booked, smtp
):
    number = booked.number
    client = as_role("admin")
    first = client.post(f"/cases/{booked.id}/itinerary/send", data={}, follow_redirects=True)
    assert "“Itinerary ready” is on its way to amal@example.org." in first.get_data(as_text=True)
    second = client.post(f"/cases/{booked.id}/itinerary/send", data={"attach_pdf": "y"}, follow_redirects=True)
    assert "“Itinerary changed” is on its way to amal@example.org with the PDF attached" in second.get_data(
        as_text=True
    )
    run_jobs(app)

    ready, changed = smtp.inbox.messages()

    assert ready["Subject"] == f"Ihr Reiseplan zum Fall {number} ist fertig"
    assert not list(ready.iter_attachments()) and "http://localhost/portal/" in ready.get_content()
    assert changed["Subject"] == f"Ihr Reiseplan zum Fall {number} hat sich geändert"
    (pdf,) = changed.iter_attachments()
    assert pdf.get_filename() == f"itinerary-{number}.pdf" and pdf.get_content().startswith(b"%PDF")
    stored = db.session.scalar(select(MessageAttachment))
    assert (stored.source, stored.health_data) == ("itinerary", True)
    for mail in (ready, changed):
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert "Hotel am Main" not in body and "EK" not in body, "no details of the journey in the text"


def test_an_itinerary_with_open_problems_is_not_sent(as_role, users, confirmed_case):  # noqa: F811
    case, _ = confirmed_case
    admission = date.today() + timedelta(days=30)
    make_appointment(case, admission_on=admission)
    make_flight(  # nobody picks the patient up at the airport
        case,
        departs_at=local(admission - timedelta(days=1), 8, 0, "Asia/Dubai"),
        arrives_at=local(admission - timedelta(days=1), 12, 20),
    )
    db.session.commit()
    response = as_role("admin").post(f"/cases/{case.id}/itinerary/send", data={"attach_pdf": "y"})
    assert response.status_code == 422 and "open problem" in response.get_data(as_text=True)
    assert db.session.scalars(select(Message)).all() == []


def test_with_itinerary_mail_off_the_coordinator_is_told_nothing_went(as_role, users, booked):
    kinds.switch_kind("itinerary_ready", enabled=False, actor_id=users["admin"].id)
    db.session.commit()
    response = as_role("admin").post(f"/cases/{booked.id}/itinerary/send", data={}, follow_redirects=True)
    assert "Nothing was sent: the “Itinerary ready” mail is switched off" in response.get_data(as_text=True)
    assert db.session.scalars(select(Message)).all() == []


def test_a_shipped_order_tells_the_patient_the_carrier_and_tracking_number_only(app, smtp):
    patient = make_patient(preferred_language="en")
    order_id = submitted_order(case=make_case(state="discharged", patient=patient)).id
    run_jobs(app)

    (mail,) = [m for m in smtp.inbox.messages() if m["Subject"] == "Your parcel is on its way"]
    from backoffice.shipments.models import MedicineOrder

    order = db.session.get(MedicineOrder, order_id)
    assert order.tracking_number and order.tracking_number in mail.get_content()
    assert order.carrier in mail.get_content()
    text = mail.as_string().lower()
    assert "insulin" not in text and "tacrolimus" not in text and "medicine" not in text
