"""A treatment request through /request sends the patient a confirmation with the case number, in German for a
German speaker (the other languages: test_mail_languages.py), with no health data in it; it is queued with the case
or not at all."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.messages.models import Message
from backoffice.patients.models import Patient
from tests.shipments.factories import run_jobs

NUMBER = re.compile(r"C-\d{4}-\d{5}")


def request_data(**changes):
    data = {
        "name": "Layla Haddad",
        "email": "Layla.Haddad@example.org",
        "phone": "+971 50 123 4567",
        "country": "AE",
        "preferred_language": "ar",
        "requested_treatment": "Type 1 diabetes, stem cell therapy",
        "destination_country": "",
        "message": "Diagnosed in 2019, insulin since then.",
        "consent": "y",
        "website": "",
    }
    data.update(changes)
    return data


def case_number() -> str:
    return db.session.scalar(select(Case.number))


def test_a_request_through_the_form_sends_the_patient_a_confirmation_with_the_case_number(app, client, smtp):
    response = client.post("/request", data=request_data(preferred_language="en"))
    assert response.status_code == 302
    run_jobs(app)

    (mail,) = smtp.inbox.messages()
    number = case_number()
    assert mail["To"] == "layla.haddad@example.org"
    assert number in mail["Subject"] and mail["Subject"].startswith("We have received your treatment request")
    body = mail.get_content()
    assert number in body and "Dear Layla Haddad" in body and "within 24 hours" in body
    assert mail["Content-Language"] == "en"
    assert mail["Message-ID"] == db.session.scalar(select(Message.message_id))


def test_a_german_speaking_patient_gets_the_confirmation_in_german(app, client, smtp):
    client.post("/request", data=request_data(preferred_language="de", name="Jürgen Weiß"))
    run_jobs(app)

    (mail,) = smtp.inbox.messages()
    number = case_number()
    assert mail["Subject"] == f"Wir haben Ihre Behandlungsanfrage {number} erhalten"
    body = mail.get_content()
    assert "Guten Tag Jürgen Weiß" in body and "innerhalb von 24 Stunden" in body and number in body
    assert mail["Content-Language"] == "de"


def test_the_confirmation_carries_no_health_data(app, client, smtp):
    client.post("/request", data=request_data())
    run_jobs(app)
    (mail,) = smtp.inbox.messages()
    text = mail.as_string()
    for health_data in ("diabetes", "stem cell", "insulin", "2019"):
        assert health_data not in text.lower()


def test_a_refused_request_queues_no_confirmation(client, smtp):
    response = client.post("/request", data=request_data(email="not-an-address"))
    assert response.status_code == 422
    response = client.post("/request", data=request_data(consent=""))
    assert response.status_code == 422
    assert db.session.scalar(select(func.count()).select_from(Message)) == 0
    assert db.session.scalar(select(func.count()).select_from(Case)) == 0


def test_a_line_break_in_the_name_stays_in_the_body_and_out_of_the_headers(app, client, smtp):
    client.post("/request", data=request_data(name="Layla\r\nBcc: everyone@example.org"))
    run_jobs(app)
    (mail,) = smtp.inbox.messages()
    assert mail["Bcc"] is None and set(mail.keys()) >= {"To", "Subject", "Message-ID"}
    assert smtp.inbox.received and len(smtp.inbox.received) == 1


@pytest.mark.parametrize(
    "name",
    ["Фатима Алиева", "ليلى حداد", "王小明", "Zoë O'Brien & <Söhne>", "\u202eLayla\u202c Haddad", "Ana\u200fMaría"],
)
def test_the_patient_name_in_every_script_reaches_the_mail_as_typed(app, client, smtp, name):
    client.post("/request", data=request_data(name=name, preferred_language="en"))
    run_jobs(app)
    (mail,) = smtp.inbox.messages()
    stored = db.session.scalar(select(Patient.name))
    assert f"Dear {stored}," in mail.get_content()  # the text as stored, not HTML-escaped
