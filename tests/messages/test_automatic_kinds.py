"""Administrators turn each automatic message on or off; one switched off is not queued, the change that wanted it
still happens, and the person making it is told. A coordinator's new case and the public form confirm the request
the same way (the `case_opened` signal)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.cases.opening import announce_opened
from backoffice.extensions import db
from backoffice.invoicing import deposits, issuing
from backoffice.invoicing.models import Invoice
from backoffice.messages import kinds
from backoffice.messages.models import AutomaticMessageSwitch, Message
from backoffice.trail import AuditEvent
from tests.cases.test_opening import phone_case
from tests.factories import make_case, make_patient
from tests.invoicing.factories import make_invoicing_case
from tests.messages.test_request_received import request_data
from tests.shipments.factories import run_jobs


def messages_of(kind):
    db.session.expire_all()
    return db.session.scalars(select(Message).where(Message.kind == kind)).all()


def test_the_admin_page_lists_every_kind_on_until_switched(as_role, users):
    page = as_role("admin").get("/automatic-messages").get_data(as_text=True)
    for kind in kinds.KINDS.values():
        assert kind.label in page
    assert page.count("Never switched (on)") == len(kinds.KINDS)


def test_an_admin_turns_a_kind_off_and_on_and_the_page_says_who_and_when(as_role, users):
    client = as_role("admin")
    off = client.post("/automatic-messages", data={"kind": "invoice_issued", "enabled": "0"}, follow_redirects=True)
    page = off.get_data(as_text=True)
    assert "“Invoice issued” is off: it is not sent to the patient" in page
    assert f"Turned off by {users['admin'].name}" in page
    assert not kinds.is_on("invoice_issued")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.kind_switched"))
    assert event.actor_id == users["admin"].id
    assert event.details == {"kind": "invoice_issued", "before": "on", "after": "off"}

    again = client.post("/automatic-messages", data={"kind": "invoice_issued", "enabled": "0"})
    assert again.status_code == 409 and "already off" in again.get_data(as_text=True)
    on = client.post("/automatic-messages", data={"kind": "invoice_issued", "enabled": "1"}, follow_redirects=True)
    assert "“Invoice issued” is on again" in on.get_data(as_text=True)
    assert kinds.is_on("invoice_issued")


@pytest.mark.parametrize("kind", ["", "manual", "request_received\r\nX: y"])
def test_an_unknown_kind_is_refused_with_a_message(as_role, users, kind):
    response = as_role("admin").post("/automatic-messages", data={"kind": kind, "enabled": "0"})
    assert response.status_code == 422 and "no such kind" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(AutomaticMessageSwitch)) == 0


def test_a_coordinators_new_case_confirms_the_request_to_the_patient(app, as_role, users, smtp):
    response = as_role("coordinator").post(
        "/cases/new", data=phone_case(preferred_language="de", email="Omar@Example.org"), follow_redirects=True
    )
    assert "The confirmation of the request goes to omar@example.org." in response.get_data(as_text=True)
    run_jobs(app)
    (mail,) = smtp.inbox.messages()
    number = db.session.scalar(select(Case.number))
    assert (
        mail["To"] == "omar@example.org" and mail["Subject"] == f"Wir haben Ihre Behandlungsanfrage {number} erhalten"
    )
    assert "knee" not in mail.get_content().lower(), "no health data"


def test_with_request_received_off_the_case_opens_and_the_coordinator_is_told(as_role, users):
    kinds.switch_kind("request_received", enabled=False, actor_id=users["admin"].id)
    db.session.commit()
    response = as_role("coordinator").post("/cases/new", data=phone_case(), follow_redirects=True)
    assert "No confirmation mail: “Request received” is switched off." in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert messages_of("request_received") == []


def test_a_patient_without_an_email_address_gets_no_confirmation(users):
    patient = make_patient()
    patient.email = ""
    case = make_case(patient=patient)
    assert announce_opened(case, actor_id=users["coordinator"].id) == []
    assert messages_of("request_received") == []


def issued_deposit(users, **patient):
    case = make_invoicing_case(patient=make_patient(name="Amira Haddad", **patient))
    draft = deposits.create_deposit_draft(case.id, actor_id=users["finance"].id, amount="1234.50")
    db.session.commit()
    return draft


def test_an_issued_invoice_and_a_payment_are_mailed_with_number_total_and_portal_link_only(app, as_role, users, smtp):
    draft = issued_deposit(users, email="amira@example.org", preferred_language="de")
    draft_id = draft.id
    client = as_role("finance")
    assert client.post(f"/invoices/{draft.id}/issue", data={"version": "1"}).status_code == 302
    db.session.expire_all()
    invoice = db.session.get(Invoice, draft.id)
    payment = {
        "amount": "1234.50",
        "currency": "EUR",
        "received_on": date.today().isoformat(),
        "method": "bank_transfer",
        "version": str(invoice.version),
    }
    assert client.post(f"/invoices/{invoice.id}/payments", data=payment).status_code == 302
    run_jobs(app)

    issued, paid = smtp.inbox.messages()
    number = db.session.get(Invoice, draft_id).number
    assert issued["Subject"].startswith(f"Ihre Rechnung {number}") and issued["To"] == "amira@example.org"
    assert "1.234,50\xa0€" in issued.get_content() and "http://localhost/portal/invoices" in issued.get_content()
    assert paid["Subject"] == f"Zahlung zur Rechnung {number} erhalten"
    assert "vollständig bezahlt" in paid.get_content()
    for mail in (issued, paid):
        assert "Leukocytapheresis" not in mail.get_content() and "diabetes" not in mail.get_content().lower()


def test_with_invoice_mail_off_the_invoice_is_issued_and_nothing_is_queued(users):
    draft = issued_deposit(users, email="amira@example.org")
    kinds.switch_kind("invoice_issued", enabled=False, actor_id=users["admin"].id)
    invoice = issuing.issue_invoice(draft.id, actor_id=users["finance"].id)
    db.session.commit()
    assert invoice.status == "issued" and messages_of("invoice_issued") == []


def test_with_request_received_off_the_public_form_still_opens_the_case_and_queues_nothing(client, users):
    kinds.switch_kind("request_received", enabled=False, actor_id=users["admin"].id)
    db.session.commit()
    assert client.post("/request", data=request_data()).status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Case)) == 1
    assert messages_of("request_received") == []
