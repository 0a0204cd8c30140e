"""Writing from the case: to its people, from templates in their language, with its files; health data only to the
patient, physician or hospital on record; no line break in anything that reaches a header; replies thread."""

from __future__ import annotations

import html
from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.messages.attachments import read_kept
from backoffice.messages.models import Message, MessageAttachment, UndeliverableAddress
from backoffice.trail import AuditEvent
from tests.factories import make_accepted_offer
from tests.logistics.factories import local, make_hotel, make_interpreter, make_interpreter_booking
from tests.messages.conftest import run_send_job
from tests.messages.factories import MRI, PASSPORT, make_received, make_writing_case


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def messages_stored() -> int:
    return db.session.scalar(select(func.count()).select_from(Message))


def send(client, world, **fields):
    data = {"to": "patient", "language": "en", "subject": "Your records", "body": "Attached.\n", **fields}
    return client.post(f"/cases/{world.case.id}/messages/new", data=data)


@pytest.fixture
def world(users):
    return make_writing_case(users["coordinator"])


def test_a_message_with_a_medical_record_reaches_the_patient_with_the_file(as_role, world, smtp):
    client = as_role("coordinator")
    response = send(client, world, attachments=[f"document:{world.record.id}"])
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{world.case.id}#thread")
    message = db.session.scalar(select(Message))
    assert (message.to_addresses, message.counterpart, message.kind) == ("layla@mail.example", "patient", "manual")

    assert run_send_job(message.id)["outcome"] == "sent"

    (mail,) = smtp.inbox.messages()
    assert mail["To"] == "layla@mail.example" and mail["Subject"] == "Your records"
    (part,) = list(mail.iter_attachments())
    assert part.get_filename() == "knee-mri.pdf" and part.get_content() == MRI
    written = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "message.written"))
    assert written.actor_id == world.case.coordinator_id and written.details["to"] == "layla@mail.example"
    assert written.details["attachments"][0] == {
        "filename": "knee-mri.pdf",
        "source": "case_document",
        "document_id": world.record.id,
        "health_data": True,
    }


@pytest.mark.parametrize("to", ["physician", "hospital"])
def test_the_physician_and_the_hospital_on_record_may_receive_medical_records(as_role, world, to):
    response = send(as_role("coordinator"), world, to=to, attachments=[f"document:{world.record.id}"])
    assert response.status_code == 302
    (attachment,) = db.session.scalars(select(MessageAttachment)).all()
    assert attachment.health_data and read_kept(attachment) == MRI


def test_a_medical_record_to_a_typed_address_is_refused_and_nothing_is_queued(as_role, world):
    client = as_role("coordinator")
    response = send(
        client,
        world,
        to="typed",
        typed_address="reception@hotel.example",
        typed_counterpart="hotel",
        attachments=[f"document:{world.record.id}"],
    )
    assert response.status_code == 422
    assert "knee-mri.pdf is health data" in page(response) and "reception@hotel.example" in page(response)
    assert messages_stored() == 0
    # the passport is not health data: it may go to the hotel
    ok = send(
        client,
        world,
        to="typed",
        typed_address="reception@hotel.example",
        typed_counterpart="hotel",
        attachments=[f"document:{world.passport.id}"],
    )
    assert ok.status_code == 302
    message = db.session.scalar(select(Message))
    assert message.counterpart == "hotel" and message.to_addresses == "reception@hotel.example"


def test_a_typed_address_that_is_the_patients_counts_as_the_patient_on_record(as_role, world):
    response = send(
        as_role("coordinator"),
        world,
        to="typed",
        typed_address="Layla@Mail.example",
        attachments=[f"document:{world.record.id}"],
    )
    assert response.status_code == 302
    assert db.session.scalar(select(Message)).counterpart == "patient"


def test_a_booked_interpreter_is_a_contact_but_gets_no_health_data(as_role, world):
    interpreter = make_interpreter()
    make_interpreter_booking(world.case, interpreter, starts_at=local(date(2030, 5, 4), 9))
    db.session.commit()
    client = as_role("coordinator")
    assert "Layla Haddad (interpreter)" in page(client.get(f"/cases/{world.case.id}/messages/new"))
    key = f"interpreter:{interpreter.id}"
    refused = send(client, world, to=key, attachments=[f"document:{world.record.id}"])
    assert refused.status_code == 422 and "health data" in page(refused)
    assert send(client, world, to=key).status_code == 302
    message = db.session.scalar(select(Message))
    assert (message.to_addresses, message.counterpart) == ("layla@interpreters.example", "interpreter")


def test_the_itinerary_and_issued_invoices_are_offered_and_attached_as_health_data(as_role, world):
    from tests.invoicing.factories import issued_deposit

    make_hotel(world.case, check_in_on=date(2030, 5, 1), check_out_on=date(2030, 5, 9))
    make_accepted_offer(world.case, "20000.00")
    world.patient.address = "Villa 12, Al Wasl Road\nDubai\nUnited Arab Emirates"
    db.session.commit()
    invoice = issued_deposit(world.case)
    client = as_role("coordinator")
    form = page(client.get(f"/cases/{world.case.id}/messages/new"))
    assert "Itinerary (PDF)" in form and f"Invoice {invoice.number} (PDF)" in form
    response = send(client, world, attachments=["itinerary", f"invoice:{invoice.id}"])
    assert response.status_code == 302, page(response)
    files = db.session.scalars(select(MessageAttachment).order_by(MessageAttachment.id)).all()
    assert [(f.source, f.health_data) for f in files] == [("itinerary", True), ("invoice", True)]
    assert all(read_kept(f).startswith(b"%PDF") for f in files)
    assert files[0].filename == f"itinerary-{world.case.number}.pdf" and files[1].filename == f"{invoice.number}.pdf"


@pytest.mark.parametrize(
    "field",
    ["to", "typed_address", "typed_counterpart", "language", "subject", "template", "reply_to"],
)
def test_a_line_break_in_any_field_that_reaches_a_header_is_refused(as_role, world, field):
    values = {
        "to": "typed",
        "typed_address": "someone@example.org",
        "typed_counterpart": "other",
        "language": "en",
        "subject": "Hello",
        "template": "blank",
        "reply_to": "",
    }
    values[field] = values[field] + "\r\nBcc: spy@evil.example"
    response = send(as_role("coordinator"), world, **values)
    assert response.status_code == 422
    assert messages_stored() == 0


@pytest.mark.parametrize("address", ["a@b.example\nBcc: spy@evil.example", "a@b.example, spy@evil.example", "nope"])
def test_a_typed_address_must_be_one_address(as_role, world, address):
    response = send(as_role("coordinator"), world, to="typed", typed_address=address)
    assert response.status_code == 422 and messages_stored() == 0


def test_a_file_not_of_the_case_is_refused(as_role, users, world):
    other = make_writing_case(users["admin"])
    response = send(as_role("coordinator"), world, attachments=[f"document:{other.record.id}"])
    assert response.status_code == 422 and messages_stored() == 0


def test_templates_are_filled_with_the_case_in_the_recipients_language(as_role, users):
    world = make_writing_case(users["coordinator"], preferred_language="de")
    client = as_role("coordinator")
    german = page(client.get(f"/cases/{world.case.id}/messages/new?to=patient&template=documents_needed"))
    assert f"Benötigte Unterlagen ({world.case.number})" in german and "Guten Tag Layla Haddad" in german
    assert 'value="de" selected' in german or '<option selected value="de">' in german
    english = page(client.get(f"/cases/{world.case.id}/messages/new?to=physician&template=ask_physician"))
    assert f"Request for your assessment: patient of case {world.case.number}" in english
    assert "Dear Dr. Ilse Brandt" in english and "Carl Coordinator" in english
    travel = page(client.get(f"/cases/{world.case.id}/messages/new?to=hospital&template=travel_details"))
    assert "Reisedetails" in travel and "Guten Tag Petra Lang" in travel  # the hospital speaks German first


@pytest.mark.parametrize(
    ("language", "subject", "greeting"),
    [
        ("ru", "Необходимые документы", "Здравствуйте, Layla Haddad!"),
        ("ar", "المستندات المطلوبة", "السيد/السيدة Layla Haddad المحترم/ة،"),
        ("tr", "Documents we need", "Dear Layla Haddad,"),
    ],
)
def test_a_template_to_the_patient_is_in_their_language_or_english(as_role, users, smtp, language, subject, greeting):
    world = make_writing_case(users["coordinator"], preferred_language=language)
    client = as_role("coordinator")
    draft = page(client.get(f"/cases/{world.case.id}/messages/new?to=patient&template=documents_needed"))
    assert f"{subject} ({world.case.number})" in draft and greeting in draft
    used = language if language != "tr" else "en"
    assert f'<option selected value="{used}">' in draft or f'value="{used}" selected' in draft

    response = send(client, world, language=used, subject=f"{subject} ({world.case.number})", body=f"{greeting}\n")
    assert response.status_code == 302
    run_send_job(db.session.scalar(select(Message.id)))
    (mail,) = smtp.inbox.messages()
    assert mail["Content-Language"] == used and greeting in mail.get_content()


def test_a_reply_threads_with_in_reply_to_and_references(as_role, world, smtp):
    received = make_received(
        world.case.id, subject="My flight", message_id="<r1@mail.example>", thread_references="<q1@medtravel.example>"
    )
    client = as_role("coordinator")
    form = page(client.get(f"/cases/{world.case.id}/messages/new?reply_to={received.id}"))
    assert 'value="Re: My flight"' in form and "> I land at 10:40." in form
    response = send(client, world, subject="Re: My flight", reply_to=str(received.id), body="Thank you.\n")
    assert response.status_code == 302
    reply = db.session.scalar(select(Message).where(Message.direction == "outbound"))
    assert reply.kind == "reply" and reply.in_reply_to == "<r1@mail.example>"
    assert reply.thread_references == "<q1@medtravel.example> <r1@mail.example>"
    run_send_job(reply.id)
    (mail,) = smtp.inbox.messages()
    assert mail["In-Reply-To"] == "<r1@mail.example>"
    assert mail["References"] == "<q1@medtravel.example> <r1@mail.example>"


def test_writing_again_after_our_own_message_goes_to_its_recipient_in_the_same_thread(as_role, world):
    client = as_role("coordinator")
    send(client, world, to="physician", subject="Records")
    first = db.session.scalar(select(Message))
    form = page(client.get(f"/cases/{world.case.id}/messages/new?reply_to={first.id}"))
    assert 'value="Re: Records"' in form and '<option selected value="physician">' in form


def test_a_reply_to_another_cases_message_is_not_found(as_role, users, world):
    other = make_writing_case(users["admin"])
    foreign = make_received(other.case.id)
    assert send(as_role("coordinator"), world, reply_to=str(foreign.id)).status_code == 404
    assert messages_stored() == 1


def test_an_address_reported_undeliverable_is_warned_on_the_form(as_role, world):
    db.session.add(UndeliverableAddress(address="layla@mail.example", reason="550 mailbox unavailable"))
    db.session.commit()
    form = page(as_role("coordinator").get(f"/cases/{world.case.id}/messages/new?to=patient"))
    assert "layla@mail.example</strong> was reported undeliverable (550 mailbox unavailable)" in form


@pytest.mark.parametrize("role", ["finance", "patient"])
def test_finance_and_patients_may_not_write(as_role, world, role):
    client = as_role(role)
    assert client.get(f"/cases/{world.case.id}/messages/new").status_code == 403
    assert send(client, world).status_code == 403
    assert messages_stored() == 0


def test_the_passport_is_attached_as_it_is_stored(as_role, world):
    assert send(as_role("coordinator"), world, attachments=[f"document:{world.passport.id}"]).status_code == 302
    (attachment,) = db.session.scalars(select(MessageAttachment)).all()
    assert read_kept(attachment) == PASSPORT and not attachment.health_data
    assert attachment.document_id == world.passport.id
