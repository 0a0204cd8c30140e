"""A case one writes from: its patient, the hospital's contact and the physician with addresses on record, a medical
record and a passport copy among its documents."""

from __future__ import annotations

from dataclasses import dataclass
from io import BytesIO

from werkzeug.datastructures import FileStorage

from backoffice.cases import documents
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.messages.models import Message
from backoffice.messages.operations import new_message_id
from tests.factories import make_case, make_hospital, make_patient, make_physician

MRI = b"%PDF-1.7\n% knee MRI of Layla\n" + bytes(range(256)) * 8 + b"\n%%EOF\n"
PASSPORT = b"%PDF-1.7\n% passport\n%%EOF\n"


@dataclass
class WritingCase:
    case: object
    patient: object
    hospital: object
    physician: object
    record: object  # a medical record (health data)
    passport: object  # a passport copy (not health data)


def make_writing_case(coordinator, *, preferred_language: str = "en") -> WritingCase:
    hospital = make_hospital(name="Klinik am Fluss", languages=("de", "en"))
    hospital.contact_name, hospital.contact_email = "Petra Lang", "aufnahme@klinik.example"
    physician = make_physician(hospital, name="Dr. Ilse Brandt", languages=("en", "de"))
    physician.email = "brandt@klinik.example"
    patient = make_patient(name="Layla Haddad", email="layla@mail.example", preferred_language=preferred_language)
    case = make_case(
        patient=patient,
        coordinator=coordinator,
        state="contacted",
        hospital_id=hospital.id,
        physician_id=physician.id,
    )
    record = documents.store_document(case.id, FileStorage(BytesIO(MRI), "knee-mri.pdf"), "Knee MRI", coordinator.id)
    passport = documents.store_document(
        case.id, FileStorage(BytesIO(PASSPORT), "passport.pdf"), "", coordinator.id, document_type="passport_visa"
    )
    db.session.commit()
    return WritingCase(case, patient, hospital, physician, record, passport)


def make_received(case_id: int, *, sender: str = "layla@mail.example", subject: str = "My flight", **fields) -> Message:
    """A reply fetched from the operator's mailbox and filed on the case (as the inbound helper files it)."""
    message = Message(
        case_id=case_id,
        direction="inbound",
        kind="reply",
        language="en",
        counterpart=fields.pop("counterpart", "patient"),
        from_address=sender,
        to_addresses="care@medtravel.example",
        subject=subject,
        body_text=fields.pop("body_text", "I land at 10:40.\n"),
        message_id=fields.pop("message_id", new_message_id().replace("@", "@patient.")),
        state="received",
        received_at=utcnow(),
        matched_by="in_reply_to",
        **fields,
    )
    db.session.add(message)
    db.session.commit()
    return message
