"""An erased patient as the erasure leaves them: the case kept under a pseudonym, and the records the tax law keeps
(an issued invoice and its payment, an offer, a hospital bill, a letter sent with its file) restricted under one
finished erasure request, whose deletion day is the day after the latest of their own last days.

The rows and their files are made through the real operations (issuing, payments, the archive, the message files);
the erased state and the restricted records are written here as the erasure job writes them."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from backoffice.billing.bills.originals import archive_name
from backoffice.cases.models import Case
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice, InvoicePayment
from backoffice.messages.attachments import store_message_file
from backoffice.messages.models import Message, MessageAttachment
from backoffice.offers.models import Offer
from backoffice.patients.models import Patient
from backoffice.rights.models import DataRequest, RestrictedRecord
from backoffice.storage import archive, retention
from backoffice.storage.models import StoredFile
from tests.factories import make_patient, make_user
from tests.invoicing.factories import issued_deposit, make_approved_bill, make_invoicing_case, pay

PDF = b"%PDF-1.4\n% a document of the patient's\n%%EOF\n"
BILL_CSV = b"date;code;description;quantity;price\n2026-10-20;SC-001;Leukocytapheresis;1;4200.00\n"
_numbers = itertools.count(1)


@dataclass(frozen=True)
class Erased:
    """Plain ids and values (the objects go with the session)."""

    patient_id: int
    case_id: int
    request_id: int
    invoice_id: int
    invoice_number: str
    payment_id: int
    offer_id: int
    bill_id: int
    message_id: int
    keys: tuple[str, ...]  # the stored files of the group
    delete_on: date
    pseudonym: str


@dataclass(frozen=True)
class Kept:
    """Another patient's case and invoice of the same period: nothing of the erasure may touch them."""

    patient_id: int
    case_id: int
    invoice_id: int
    key: str


def patient_with_records(name: str) -> tuple[int, int, int, str]:
    """(patient id, case id, invoice id, the invoice's stored key): a confirmed case with an issued deposit invoice."""
    patient = make_patient(name=name)
    case = make_invoicing_case(patient=patient, state="confirmed")
    db.session.commit()
    ids = patient.id, case.id
    invoice = issued_deposit(case, "500.00")
    return *ids, invoice.id, f"archive/{invoice.pdf_filename}"


def another_patient() -> Kept:
    patient_id, case_id, invoice_id, key = patient_with_records("Otto Otherperson")
    return Kept(patient_id, case_id, invoice_id, key)


def erased_patient(*, name: str = "Anna Example") -> Erased:
    """An erased patient and their restricted records, committed; `delete_on` the day after the last one's end."""
    n = next(_numbers)
    patient_id, case_id, invoice_id, invoice_key = patient_with_records(name)
    invoice = db.session.get(Invoice, invoice_id)
    pay(invoice, "500.00")
    invoice = db.session.get(Invoice, invoice_id)
    payment = db.session.scalar(select(InvoicePayment).where(InvoicePayment.invoice_id == invoice_id))
    offer = db.session.scalar(select(Offer).where(Offer.case_id == case_id))
    today = date.today()
    stored_offer = archive.store_pdf(f"OFF-{n}-{case_id}", today.year, PDF, kind="offer")
    offer.pdf_filename, offer.pdf_sha256, offer.pdf_size = stored_offer.filename, stored_offer.sha256, stored_offer.size
    bill = make_approved_bill(db.session.get(Case, case_id))
    original = archive.store_file(
        archive_name("H", bill.reference), bill.received_on.year, BILL_CSV, suffix="csv", kind="bill_original"
    )
    bill.original_format, bill.original_filename = "csv", original.filename
    bill.original_sha256, bill.original_size = original.sha256, original.size
    letter = Message(
        case_id=case_id,
        kind="manual",
        language="en",
        counterpart="hospital",
        to_addresses="billing@clinic.example",
        subject="Your bill: our objections",
        body_text="Please find our letter attached.",
        message_id=f"<letter-{n}-{case_id}@operator.example>",
        state="sent",
        sent_at=utcnow(),
    )
    db.session.add(letter)
    db.session.flush()
    sent = store_message_file(letter.id, "Objection letter.pdf", PDF, health_data=False)
    db.session.add(
        MessageAttachment(
            message_id=letter.id,
            filename="Objection letter.pdf",
            content_type="application/pdf",
            size_bytes=sent.size,
            sha256=sent.sha256,
            stored_key=sent.key,
        )
    )
    db.session.commit()
    records = [
        # kind, table, row, reference, dated, the kind of file whose period it keeps
        ("invoice", "invoices", invoice_id, invoice.number, invoice.issue_date, "invoice"),
        ("payment", "invoice_payments", payment.id, invoice.number, payment.received_on, "invoice"),
        ("offer", "offers", offer.id, f"Offer {offer.version}", today, "offer"),
        ("hospital_bill", "hospital_bills", bill.id, bill.reference, bill.received_on, "bill_original"),
        ("letter", "messages", letter.id, letter.subject, today, "letter"),
    ]
    request_id, delete_on, pseudonym = erase(patient_id, records)
    keys = (invoice_key, f"archive/{offer.pdf_filename}", f"archive/{bill.original_filename}", sent.key)
    return Erased(
        patient_id, case_id, request_id, invoice_id, invoice.number, payment.id, offer.id, bill.id, letter.id,
        keys, delete_on, pseudonym,
    )  # fmt: skip


def erase(patient_id: int, records) -> tuple[int, date, str]:
    """The erasure's end state: the patient pseudonymised, the request erased by two administrators, one restricted
    record per row kept. Returns (request id, deletion day, pseudonym)."""
    n = next(_numbers)
    patient = db.session.get(Patient, patient_id)
    pseudonym = f"P-{n:06X}"
    patient.pseudonym, patient.name, patient.erased_at = pseudonym, f"Erased {pseudonym}", utcnow()
    patient.phone, patient.address = "", ""
    first = make_user("admin", email=f"eraser-{n}@test.example", name="Erasing Admin")
    second = make_user("admin", email=f"confirmer-{n}@test.example", name="Confirming Admin")
    kept = [(*record[:5], retention.end_of_retention(record[5], record[4])) for record in records]
    delete_on = max(until for *_record, until in kept) + timedelta(days=1)
    request = DataRequest(
        patient_id=patient_id,
        kind="erasure",
        status="erased",
        requested_by_id=first.id,
        confirmed_by_id=second.id,
        confirmed_at=utcnow(),
        finished_at=utcnow(),
        delete_on=delete_on,
    )
    db.session.add(request)
    db.session.flush()
    for kind, table, row_id, reference, dated, until in kept:
        db.session.add(
            RestrictedRecord(
                request_id=request.id,
                patient_id=patient_id,
                kind=kind,
                table_name=table,
                row_id=row_id,
                reference=reference,
                dated=dated,
                retain_until=until,
                reason="section 147 AO",
            )
        )
    db.session.commit()
    return request.id, delete_on, pseudonym


def stored(key: str) -> StoredFile:
    db.session.expire_all()
    return db.session.scalar(select(StoredFile).where(StoredFile.key == key))
