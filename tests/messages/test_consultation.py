"""Asking the physician in advance: the patient's consent to share the selected records is recorded first; the
request carries exactly those records to the physician, and nothing no consent covers."""

from __future__ import annotations

import html
from io import BytesIO

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from backoffice.cases import documents
from backoffice.extensions import db
from backoffice.messages import consultation
from backoffice.messages.models import Message, MessageAttachment, SharingConsent, UndeliverableAddress
from backoffice.trail import AuditEvent
from tests.factories import make_hospital, make_physician
from tests.messages.conftest import run_send_job
from tests.messages.factories import MRI, make_writing_case

LAB = b"%PDF-1.7\n% blood panel\n%%EOF\n"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def world(users):
    world = make_writing_case(users["coordinator"])
    world.lab = documents.store_document(
        world.case.id, FileStorage(BytesIO(LAB), "blood-panel.pdf"), "", users["coordinator"].id, document_type="other"
    )
    db.session.commit()
    return world


def consent(client, world, *document_ids, physician=None, given_as="written", note=""):
    return client.post(
        f"/cases/{world.case.id}/consultation/consent",
        data={
            "physician_id": str((physician or world.physician).id),
            "document_ids": [str(i) for i in document_ids],
            "given_as": given_as,
            "note": note,
        },
    )


def ask(client, world, *document_ids, physician=None, subject="Your assessment, please"):
    return client.post(
        f"/cases/{world.case.id}/consultation",
        data={
            "physician_id": str((physician or world.physician).id),
            "document_ids": [str(i) for i in document_ids],
            "language": "en",
            "subject": subject,
            "body": "Please see the attached records.\n",
        },
    )


def test_a_request_without_the_patients_consent_is_refused_and_nothing_is_queued(as_role, world):
    response = ask(as_role("coordinator"), world, world.record.id)
    assert response.status_code == 422
    assert "Record the patient's consent to share every selected record with this physician first" in page(response)
    assert count(Message) == 0


def test_consent_first_then_the_request_brings_the_records_to_the_physician(as_role, users, world, smtp):
    client = as_role("coordinator")
    assert consent(client, world, world.record.id, world.lab.id, note="Signed form of 3 May").status_code == 302
    stored = db.session.scalar(select(SharingConsent))
    assert stored.document_ids == [world.record.id, world.lab.id] and stored.given_as == "written"
    assert stored.recorded_by_id == users["coordinator"].id and stored.message_id is None

    response = ask(client, world, world.record.id, world.lab.id)
    assert response.status_code == 302, page(response)
    message = db.session.scalar(select(Message))
    assert (message.kind, message.counterpart, message.to_addresses) == (
        "consultation_request",
        "physician",
        "brandt@klinik.example",
    )
    files = db.session.scalars(select(MessageAttachment).order_by(MessageAttachment.id)).all()
    assert [(f.document_id, f.health_data) for f in files] == [(world.record.id, True), (world.lab.id, True)]
    db.session.expire_all()
    assert db.session.get(SharingConsent, stored.id).message_id == message.id
    requested = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "consultation.requested"))
    assert requested.details["consent_ids"] == [stored.id]

    run_send_job(message.id)
    (mail,) = smtp.inbox.messages()
    assert mail["To"] == "brandt@klinik.example"
    assert {part.get_filename(): part.get_content() for part in mail.iter_attachments()} == {
        "knee-mri.pdf": MRI,
        "blood-panel.pdf": LAB,
    }


def test_a_consent_covers_only_the_records_it_names(as_role, world):
    client = as_role("coordinator")
    consent(client, world, world.record.id)
    response = ask(client, world, world.record.id, world.lab.id)
    assert response.status_code == 422 and "1 of the selected records is not covered" in page(response)
    assert count(Message) == 0
    consent(client, world, world.lab.id, given_as="portal")  # two consents together cover both
    assert ask(client, world, world.record.id, world.lab.id).status_code == 302


def test_a_consent_for_another_physician_does_not_count(as_role, world):
    other = make_physician(world.hospital, name="Dr. Otto Keller")
    other.email = "keller@klinik.example"
    db.session.commit()
    client = as_role("coordinator")
    consent(client, world, world.record.id, physician=other)
    assert ask(client, world, world.record.id).status_code == 422
    assert ask(client, world, world.record.id, physician=other).status_code == 302


def test_a_physician_picked_from_the_directory_may_be_asked_with_the_consent_naming_them(as_role, world):
    elsewhere = make_physician(make_hospital(name="Uniklinik"), name="Prof. Ana Ruiz", languages=("de",))
    elsewhere.email = "ruiz@uniklinik.example"
    db.session.commit()
    client = as_role("coordinator")
    form = page(client.get(f"/cases/{world.case.id}/consultation?physician_id={elsewhere.id}"))
    assert "Prof. Ana Ruiz" in form and "Bitte um Ihre Einschätzung" in form  # in the physician's language
    consent(client, world, world.record.id, physician=elsewhere, given_as="verbal", note="By phone to Carl, 4 May")
    assert ask(client, world, world.record.id, physician=elsewhere).status_code == 302
    assert db.session.scalar(select(Message)).to_addresses == "ruiz@uniklinik.example"


def test_a_verbal_consent_needs_a_note_and_a_consent_needs_records(as_role, world):
    client = as_role("coordinator")
    assert consent(client, world, world.record.id, given_as="verbal").status_code == 422
    assert consent(client, world).status_code == 422
    assert consent(client, world, world.record.id, given_as="by pigeon").status_code == 422
    assert count(SharingConsent) == 0


def test_a_passport_is_no_medical_record_to_share(as_role, world):
    client = as_role("coordinator")
    form = page(client.get(f"/cases/{world.case.id}/consultation"))
    assert "knee-mri.pdf" in form and "passport.pdf" not in form
    assert consent(client, world, world.passport.id).status_code == 422
    with pytest.raises(consultation.ConsultationRefused, match=r"not \(or no longer\) a medical record"):
        consultation.record_consent(
            world.case.id,
            physician_id=world.physician.id,
            document_ids=[world.passport.id],
            given_as="written",
            note="",
            actor_id=world.case.coordinator_id,
        )


def test_a_physician_without_an_email_address_cannot_be_asked(world, users):
    world.physician.email = ""
    db.session.commit()
    consultation.record_consent(
        world.case.id,
        physician_id=world.physician.id,
        document_ids=[world.record.id],
        given_as="written",
        note="",
        actor_id=users["coordinator"].id,
    )
    with pytest.raises(consultation.ConsultationRefused, match="no email address"):
        consultation.request_consultation(
            world.case.id,
            physician_id=world.physician.id,
            document_ids=[world.record.id],
            subject="S",
            body="B",
            language="en",
            actor_id=users["coordinator"].id,
        )


def test_a_physicians_address_reported_undeliverable_is_warned_before_asking(as_role, world):
    db.session.add(UndeliverableAddress(address="brandt@klinik.example", reason="550 no such user"))
    db.session.commit()
    form = page(as_role("coordinator").get(f"/cases/{world.case.id}/consultation"))
    assert "brandt@klinik.example</strong> was reported undeliverable (550 no such user)" in form


def test_a_line_break_in_the_subject_is_refused(as_role, world):
    client = as_role("coordinator")
    consent(client, world, world.record.id)
    assert ask(client, world, world.record.id, subject="Hello\r\nBcc: spy@evil.example").status_code == 422
    assert count(Message) == 0


@pytest.mark.parametrize("role", ["finance", "patient"])
def test_only_care_coordinators_ask_physicians(as_role, world, role):
    client = as_role(role)
    assert client.get(f"/cases/{world.case.id}/consultation").status_code == 403
    assert consent(client, world, world.record.id).status_code == 403
    assert ask(client, world, world.record.id).status_code == 403
    assert count(SharingConsent) == count(Message) == 0
