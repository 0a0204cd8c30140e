"""The access matrix: every route of the app, every method, requested by every kind of visitor with another
patient's records in the URL, against the policy written down in tests/auth/access_table.py.

The world holds two patients, each with a full case (documents, bookings of every kind, an interpreter booking,
follow-ups, a hospital bill with lines, a tariff, invoices issued and draft, a credit note, medicine orders, a portal
invitation, an outbox row). Patient A is the portal patient who signs in; every id, number, token or name in a URL
belongs to patient B or B's case (or, for staff-only records, to a real row), so a 404 "because nothing is there"
cannot hide a missing ownership check.
"""

from __future__ import annotations

import contextlib
import html
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO

import pytest
from flask import Blueprint, Flask, url_for
from rq.exceptions import NoSuchJobError
from rq.job import Job
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from backoffice import create_app
from backoffice.accounting.models import DatevExport
from backoffice.auth.permissions import PUBLIC, audience_of
from backoffice.billing.models import BillLine
from backoffice.cases import document_sharing, documents
from backoffice.cases.history import add_note
from backoffice.cases.models import ScreeningAnswer
from backoffice.dbtypes import utcnow
from backoffice.directory.operations import pause_destination
from backoffice.extensions import db
from backoffice.invoicing.finals import create_final_draft
from backoffice.invoicing.models import Invoice, InvoiceLine
from backoffice.jobs import AppSimpleWorker, get_queue, make_worker, redis_connection
from backoffice.jobs.models import OutboxEntry
from backoffice.logistics.itinerary import calendar
from backoffice.logistics.models import FollowUp
from backoffice.messages.attachments import store_message_file
from backoffice.messages.models import Message, MessageAttachment
from backoffice.notifications.operations import notify
from backoffice.offers.models import Offer
from backoffice.offers.operations import start_offer
from backoffice.portal import invites
from backoffice.receivables.models import PaymentReminder
from backoffice.rights.operations import confirm as confirm_request
from backoffice.rights.operations import erase, request_erasure, request_export
from backoffice.shipments import operations as shipments
from backoffice.storage import archive
from backoffice.suppliers.models import SupplierInvoice
from tests.auth.access_table import DENY, EXPECTED, HIDDEN, LOGIN, OK, OUT, VISITORS
from tests.factories import make_hospital, make_patient, make_physician, make_programme, make_user
from tests.helpers import delete_all_rows, login_as
from tests.invoicing.factories import make_approved_bill, make_invoicing_case
from tests.logistics.factories import (
    local,
    make_appointment,
    make_flight,
    make_hotel,
    make_interpreter,
    make_interpreter_booking,
    make_transfer,
)
from tests.shipments.factories import make_pharmacy, make_prescription, order_input
from tests.tools.evidence import record

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
BOOKING_KINDS = ("appointment", "hotel", "flight", "transfer")
METHODS_NOT_CHECKED = {"HEAD", "OPTIONS"}  # answered by Flask itself for every rule


# ---------------------------------------------------------------------------------------------- the world


@dataclass(frozen=True)
class Person:
    """What one patient's records carry; every string is searched for in pages that must not show it."""

    key: str
    name: str
    email: str
    phone: str
    address: str
    treatment: str
    message: str
    note: str
    next_action: str
    document: str
    document_description: str
    medicine: str
    customs_notes: str
    follow_up_result: str
    booking_note: str
    screening_resolution: str
    invoice: str
    credit_note: str

    @property
    def health_data(self) -> list[str]:
        """What only coordinators and administrators may read (finance pages and the other patient: never)."""
        return [
            self.treatment,
            self.message,
            self.note,
            self.next_action,
            self.document,
            self.document_description,
            self.medicine,
            self.customs_notes,
            self.follow_up_result,
            self.booking_note,
            self.screening_resolution,
        ]


PAULA = Person(
    key="A",
    name="Paula Marchetti",
    email="paula.marchetti@mail.example",
    phone="+971 50 111 2233",
    address="Villa 7, Jumeirah Beach Road",
    treatment="Psoriatic arthritis programme",
    message="My knees swell every morning",
    note="Paula tolerates methotrexate poorly",
    next_action="Ask Paula about the rheumatology letter",
    document="paula-knee-mri.pdf",
    document_description="Knee MRI of Paula, March",
    medicine="Adalimumab Paula-batch",
    customs_notes="Keep Paula's pens cold",
    follow_up_result="Paula's swelling has gone down",
    booking_note="Paula needs a wheelchair at the gate",
    screening_resolution="Paula's infection cleared in April",
    invoice="INV-2026-00101",
    credit_note="CN-2026-00101",
)
PETER = Person(
    key="B",
    name="Peter Okonkwo",
    email="peter.okonkwo@mail.example",
    phone="+971 50 444 5566",
    address="Flat 12, Corniche Street",
    treatment="Multiple sclerosis stem cell therapy",
    message="My left leg has gone numb",
    note="Peter had a relapse in May",
    next_action="Ask Peter for the neurologist's report",
    document="peter-spine-mri.pdf",
    document_description="Spinal MRI of Peter, May",
    medicine="Natalizumab Peter-batch",
    customs_notes="Peter's vials travel chilled",
    follow_up_result="Peter walks unaided again",
    booking_note="Peter needs a seat near the toilets",
    screening_resolution="Peter's hepatitis B is inactive",
    invoice="INV-2026-00201",
    credit_note="CN-2026-00201",
)


@dataclass
class World:
    users: dict
    # route argument values, by name (see ARGUMENTS)
    values: dict[str, object] = field(default_factory=dict)
    case_numbers: dict[str, str] = field(default_factory=dict)
    bill_references: dict[str, str] = field(default_factory=dict)

    def patient_data(self, person: Person) -> list[str]:
        """Everything identifying the person or their case (the health data included)."""
        return [
            person.name,
            person.email,
            person.phone,
            person.address,
            person.invoice,
            person.credit_note,
            self.case_numbers[person.key],
            self.bill_references[person.key],
            *person.health_data,
        ]


def build_world(app: Flask) -> World:
    """Staff, two portal patients with a full case each, the staff-only records a URL can name; committed."""
    users = {
        "admin": make_user("admin", email="admin@test.example", name="Alice Admin"),
        "coordinator": make_user("coordinator", email="coord@test.example", name="Carl Coordinator"),
        "finance": make_user("finance", email="finance@test.example", name="Frida Finance"),
        "patient": make_user("patient", email="patient@test.example", name="Paula Patient"),
        "patient2": make_user("patient", email="patient2@test.example", name="Peter Patient"),
    }
    world = World(users=users)
    hospital = make_hospital(name="Klinik am Fluss")
    physician = make_physician(hospital, name="Dr. Ilse Brandt")
    programme = make_programme(hospital, name="Autologous stem cell programme")
    interpreter = make_interpreter()
    pharmacy = make_pharmacy()
    paula = _patient_records(world, PAULA, users["patient"], hospital, physician, programme, interpreter, pharmacy)
    peter = _patient_records(world, PETER, users["patient2"], hospital, physician, programme, interpreter, pharmacy)
    _feed, feed_token = calendar.create_feed(users["coordinator"].id, actor_id=users["coordinator"].id)
    pause_destination("TR", reason="Elections", actor_id=users["admin"].id)
    outbox = db.session.scalar(db.select(OutboxEntry).order_by(OutboxEntry.id).limit(1))
    unmatched_mail, unmatched_file = _unmatched_mail("b")
    paula["unmatched_message_id"] = _unmatched_mail("a")[0]  # the parent of NESTED's probe
    db.session.commit()
    world.values = {
        **peter,
        "hospital_id": hospital.id,
        "physician_id": physician.id,
        "programme_id": programme.id,
        "interpreter_id": interpreter.id,
        "pharmacy_id": pharmacy.id,
        "user_id": users["patient2"].id,
        "entry_id": outbox.id,
        "country": "TR",
        "bucket": "1-30",  # issue 19: an ageing bucket (no patient's record in the URL)
        "calendar_token": feed_token,
        "job_id": _failed_rq_job(app),
        # a caught message's file name (the pages answer 404 in the suite's test profile whatever the name)
        "caught_mail": "00000000000000000001.1.0.eml",
        "attachment_index": 0,
        "notification_id": _notification_of(users["admin"], peter["case_id"]),
        "unmatched_message_id": unmatched_mail,
        "unmatched_file_id": unmatched_file,
        "paula": paula,
        "datev_export_id": _datev_export(users["finance"].id),  # issue 19 accounting
        "erased_request_id": _erased_request(users),
    }
    db.session.commit()
    return world


def _erased_request(users: dict) -> int:
    """Issue 20: a finished erasure (its certificate page and PDF) of a patient with nothing open (no case)."""
    patient = make_patient(name="Ernst Erased", email="ernst@test.example")
    request_id = request_erasure(patient.id, actor_id=users["coordinator"].id).id
    confirm_request(request_id, actor_id=users["admin"].id)
    db.session.commit()
    erase(request_id)
    return request_id


def _datev_export(actor_id: int) -> int:
    """A recorded DATEV export with its archived file (the accountant's export pages and download)."""
    stored = archive.store_file("EXTF_Buchungsstapel_world", 2026, b"EXTF\r\n", suffix="csv", kind="datev_export")
    export = DatevExport(
        period_from=date(2026, 11, 1),
        period_to=date(2026, 11, 30),
        chart="SKR03",
        booking_count=0,
        filename=stored.filename,
        sha256=stored.sha256,
        size=stored.size,
        created_by_id=actor_id,
    )
    db.session.add(export)
    db.session.flush()
    return export.id


def _unmatched_mail(key: str) -> tuple[int, int]:
    """A received mail that matched no case, with a file waiting for its case (the unmatched list's pages)."""
    message = Message(
        direction="inbound",
        kind="reply",
        language="en",
        from_address="someone@elsewhere.example",
        to_addresses="care@medtravel.example",
        subject="Scan of my passport",
        body_text="See attached.",
        body_html="<p>See attached.</p>",
        message_id=f"<unmatched-{key}@elsewhere.example>",
        state="received",
        received_at=utcnow(),
    )
    db.session.add(message)
    db.session.flush()
    stored = store_message_file(message.id, "passport.pdf", PDF, health_data=True)
    attachment = MessageAttachment(
        message_id=message.id,
        filename="passport.pdf",
        content_type="application/pdf",
        size_bytes=stored.size,
        sha256=stored.sha256,
        stored_key=stored.key,
        source="received",
    )
    db.session.add(attachment)
    db.session.flush()
    return message.id, attachment.id


def _patient_records(world, person, user, hospital, physician, programme, interpreter, pharmacy) -> dict:
    coordinator = world.users["coordinator"]
    patient = make_patient(name=person.name, email=person.email)
    case = make_invoicing_case(
        patient=patient,
        hospital=hospital,
        requested_treatment=person.treatment,
        message=person.message,
        programme_id=programme.id,
        physician_id=physician.id,
        coordinator_id=coordinator.id,
        next_action=person.next_action,
        next_action_on=date(2026, 12, 1),
    )
    patient.phone, patient.address, patient.user_id = person.phone, person.address, user.id
    world.case_numbers[person.key] = case.number
    add_note(case.id, body=person.note, actor_id=coordinator.id)
    document = documents.store_document(
        case.id, FileStorage(BytesIO(PDF), person.document), person.document_description, coordinator.id
    )
    # shared with the patient (issue 17): the portal's answer for another patient's document is about whose it is
    document_sharing.share_document(case.id, document.id, coordinator.id)
    document_request = document_sharing.ask_for_document(case.id, person.document_description, coordinator.id)
    admission = utcnow().date() + timedelta(days=10)  # upcoming: the coordinator's calendar feed carries it
    appointment = make_appointment(case, hospital=hospital, admission_on=admission, days=14)
    hotel = make_hotel(case, check_in_on=admission - timedelta(days=2), check_out_on=admission)
    flight = make_flight(
        case, departs_at=local(admission - timedelta(days=2), 3), arrives_at=local(admission - timedelta(days=2), 9)
    )
    transfer = make_transfer(case, pickup_at=local(admission - timedelta(days=2), 10), flight=flight)
    interpreting = make_interpreter_booking(case, interpreter, starts_at=local(admission, 9))
    for booking in (appointment, hotel, flight, transfer, interpreting):
        booking.notes = person.booking_note
    db.session.add(
        ScreeningAnswer(
            case_id=case.id,
            position=1,
            question="Acute stage of an infectious or chronic disease",
            answer="yes",
            resolution=person.screening_resolution,
            resolved_on=date(2026, 4, 30),
        )
    )
    follow_up = FollowUp(case_id=case.id, position=1, due_on=date(2026, 12, 15), label="Check-up after 4 weeks")
    done = FollowUp(
        case_id=case.id,
        position=2,
        due_on=date(2026, 11, 20),
        label="Check-up after 2 weeks",
        status="done",
        result=person.follow_up_result,
        done_on=date(2026, 11, 20),
    )
    db.session.add_all([follow_up, done])
    bill = make_approved_bill(case)
    original = archive.store_file(
        f"bill-{bill.reference}", 2026, b"line,date\n", suffix="csv", kind="bill_original"
    )  # its legal original
    bill.original_format, bill.original_filename, bill.original_sha256 = "csv", original.filename, original.sha256
    world.bill_references[person.key] = bill.reference
    bill_line = db.session.scalar(db.select(BillLine).where(BillLine.bill_id == bill.id).limit(1))
    deposit = _issued_invoice(case, person, person.invoice, "deposit", "5000.00")
    _issued_invoice(case, person, person.credit_note, "credit_note", "-500.00", credited=deposit)
    payment_reminder = _payment_reminder(deposit)  # issue 19: its archived PDF
    draft, _notes = create_final_draft(case.id, actor_id=None)
    prescription = make_prescription(case, uploaded_by=coordinator)
    items = [shipments.ItemInput(person.medicine, "300 mg", "vials", "2")]
    order = shipments.create_order(
        case.id, order_input(pharmacy, prescription, items=items, customs_notes=person.customs_notes), actor_id=None
    )
    submitted = shipments.create_order(
        case.id, order_input(pharmacy, prescription, items=items, customs_notes=person.customs_notes), actor_id=None
    )
    shipments.submit_order(submitted.id, actor_id=None, expected_version=None)
    # the patient signs in already: no invitation, an administrator's reset link (the same /invite/<token> page)
    invite_token = invites.create_reset_link(case.id, actor_id=world.users["admin"].id).token
    message, message_file = _thread_message(case, person, coordinator)
    offer = start_offer(case.id, actor_id=coordinator.id)  # a draft (issue 18): its pages and changes
    db.session.flush()
    data_request = request_export(patient.id, actor_id=world.users["coordinator"].id)
    return {
        "case_id": case.id,
        "patient_id": patient.id,
        "data_request_id": data_request.id,
        "document_id": document.id,
        "request_id": document_request.id,
        "bill_id": bill.id,
        "bill_line_id": bill_line.id,
        "invoice_id": deposit.id,
        "payment_reminder_id": payment_reminder.id,
        "draft_invoice_id": draft.id,
        "draft_line_id": draft.lines[0].id,
        "draft_version": draft.version,
        "number": person.invoice,
        "booking_ids": {"appointment": appointment.id, "hotel": hotel.id, "flight": flight.id, "transfer": transfer.id},
        "interpreter_booking_id": interpreting.id,
        "follow_up_id": follow_up.id,
        "order_id": order.id,
        "invite_token": invite_token,
        "reminder_id": _reminder_of(case),
        "message_id": message.id,
        "message_attachment_id": message_file.id,
        "offer_id": offer.id,
        "offer_item_id": offer.items[0].id,
        "sent_offer_id": _sent_offer(case),
        "supplier_invoice_id": _supplier_invoice(case, person),
    }


def _sent_offer(case) -> int:
    """A sent treatment offer of the case (the version after the draft), its PDF in the archive (a row: the pricing
    is the offers' tests' matter)."""
    version = db.session.scalar(select(func.max(Offer.version)).where(Offer.case_id == case.id)) + 1
    stored = archive.store_pdf(f"{case.number}-offer-v{version}", 2026, PDF, kind="offer")
    offer = Offer(
        case_id=case.id,
        version=version,
        status="sent",
        language="en",
        currency="EUR",
        base_currency="EUR",
        valid_until=utcnow().date() + timedelta(days=30),
        resident_total=Decimal("9000.00"),
        services_total=Decimal(0),
        vat_total=Decimal(0),
        total=Decimal("9000.00"),
        sent_at=utcnow(),
        pdf_filename=stored.filename,
        pdf_sha256=stored.sha256,
        pdf_size=stored.size,
    )
    db.session.add(offer)
    db.session.flush()
    return offer.id


def _supplier_invoice(case, person: Person) -> int:
    """A hotel's e-invoice received for the case, its original in the archive (issue 19)."""
    original = f"<Invoice><ID>H-{person.key}</ID></Invoice>".encode()
    stored = archive.store_file(
        f"{case.number}-hotel-H-{person.key}", 2026, original, suffix="xml", kind="supplier_invoice"
    )
    invoice = SupplierInvoice(
        case_id=case.id,
        kind="hotel",
        reference=f"H-{person.key}",
        issued_on=date(2026, 11, 20),
        received_on=date(2026, 11, 21),
        seller_name="Hotel Villa Kennedy",
        currency="EUR",
        net_total=Decimal("960.00"),
        tax_total=Decimal("67.20"),
        total=Decimal("1027.20"),
        original_format="ubl",
        original_filename=stored.filename,
        original_sha256=stored.sha256,
        original_size=stored.size,
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice.id


def _notification_of(user, case_id: int) -> int:
    """A notification of `user` about B's case, committed (issue 16: only its owner opens or marks it)."""
    notification = notify("new_request", [user.id], text="Case of B: new request", key="world", case_id=case_id)[0]
    db.session.commit()
    return notification.id


def _thread_message(case, person: Person, coordinator) -> tuple[Message, MessageAttachment]:
    """A sent message on the case's thread, with an HTML body and a medical record attached (rows only: no job)."""
    message = Message(
        case_id=case.id,
        kind="manual",
        language="en",
        counterpart="patient",
        to_addresses=person.email,
        subject=f"Your records, {person.name}",
        body_text=person.message,
        body_html=f"<p>{person.message}</p>",
        message_id=f"<{person.key}@medtravel.example>",
        state="sent",
        created_by_id=coordinator.id,
    )
    db.session.add(message)
    db.session.flush()
    stored = store_message_file(message.id, person.document, PDF, health_data=True)
    attachment = MessageAttachment(
        message_id=message.id,
        filename=person.document,
        content_type="application/pdf",
        size_bytes=stored.size,
        sha256=stored.sha256,
        stored_key=stored.key,
        health_data=True,
        source="case_document",
    )
    db.session.add(attachment)
    db.session.flush()
    return message, attachment


def _reminder_of(case) -> int:
    """The case's own reminder (its next action: tests.factories.make_case made it a reminder row)."""
    from backoffice.cases.reminders import open_reminders

    return open_reminders(case.id)[0].id


def _payment_reminder(invoice: Invoice) -> PaymentReminder:
    """A first payment reminder of the invoice, its PDF in the archive (issue 19)."""
    archived = archive.store_pdf(
        f"{invoice.number}-R1", 2026, f"%PDF-1.7\n% {invoice.number} R1\n%%EOF\n".encode(), kind="payment_reminder"
    )
    reminder = PaymentReminder(
        invoice_id=invoice.id,
        level=1,
        sent_on=date(2026, 4, 1),
        open_amount=Decimal("100.00"),
        currency=invoice.currency,
        due_on=date(2026, 4, 11),
        language="en",
        pdf_filename=archived.filename,
        pdf_sha256=archived.sha256,
        pdf_size=archived.size,
    )
    db.session.add(reminder)
    db.session.flush()
    return reminder


def _issued_invoice(case, person: Person, number: str, kind: str, total: str, *, credited=None) -> Invoice:
    """An issued invoice with one line, billed to the person, its PDF in the archive (written as a draft, then
    issued: an issued invoice is never written again)."""
    amount = Decimal(total)
    invoice = Invoice(
        case_id=case.id,
        patient_id=case.patient_id,
        kind=kind,
        status="draft",
        currency="EUR",
        base_currency="EUR",
        credited_invoice_id=credited.id if credited else None,
        bill_to_name=person.name,
        bill_to_address=person.address,
        total=amount,
    )
    invoice.lines = [
        InvoiceLine(
            position=1,
            kind="deposit",
            description="Deposit towards the treatment",
            quantity=Decimal(1),
            unit_price=amount,
            vat_rate=Decimal(0),
            vat_category="exempt",
            net_amount=amount,
            tax_amount=Decimal(0),
        )
    ]
    db.session.add(invoice)
    db.session.flush()
    archived = archive.store_pdf(number, 2026, f"%PDF-1.7\n% {number}\n%%EOF\n".encode(), kind="invoice")
    invoice.status, invoice.number, invoice.issue_date, invoice.issued_at = "issued", number, date(2026, 3, 2), utcnow()
    invoice.net_total, invoice.tax_total = amount, Decimal(0)
    invoice.pdf_filename, invoice.pdf_sha256, invoice.pdf_size = archived.filename, archived.sha256, archived.size
    db.session.flush()
    return invoice


_FAILED_JOBS: list[str] = []


def _failed_rq_job(app: Flask) -> str:
    """A real failed RQ job (one that was not sent through the outbox)."""
    queue = get_queue()
    job = queue.enqueue("builtins.int", "not a number")
    make_worker(app, worker_class=AppSimpleWorker).work(burst=True, with_scheduler=False, logging_level="CRITICAL")
    assert job.id in queue.failed_job_registry.get_job_ids()
    _FAILED_JOBS.append(job.id)
    return job.id


@pytest.fixture(autouse=True)
def _no_failed_jobs_left_behind():
    """The suite shares one Redis: the failed jobs of the worlds built here go when the test ends."""
    yield
    while _FAILED_JOBS:
        job_id = _FAILED_JOBS.pop()
        with contextlib.suppress(NoSuchJobError):  # (requeued by the admin's request and run meanwhile)
            Job.fetch(job_id, connection=redis_connection()).delete()  # out of its registry or queue too


def clear_world() -> None:
    """Every row gone (as after each test), so that the next visitor finds the world unchanged."""
    db.session.remove()
    delete_all_rows()


# ---------------------------------------------------------------------------------------------- the routes

# Which world value fills each route argument; (endpoint, argument) entries override the argument's default.
# A route argument found in neither fails the test: decide which record it names before the route is tested.
ARGUMENTS: dict[str | tuple[str, str], str] = {
    "case_id": "case_id",
    "document_id": "document_id",
    "bill_id": "bill_id",
    "line_id": "bill_line_id",
    ("invoicing.remove_invoice_line", "line_id"): "draft_line_id",
    "invoice_id": "invoice_id",
    ("invoicing.edit_invoice", "invoice_id"): "draft_invoice_id",
    ("invoicing.add_invoice_line", "invoice_id"): "draft_invoice_id",
    ("invoicing.remove_invoice_line", "invoice_id"): "draft_invoice_id",
    ("invoicing.issue_invoice", "invoice_id"): "draft_invoice_id",
    ("invoicing.delete_invoice", "invoice_id"): "draft_invoice_id",
    "number": "number",
    "kind": "kind",  # each booking kind in turn, with B's booking of that kind
    "booking_id": "booking_ids",
    ("logistics.edit_interpreter_booking", "booking_id"): "interpreter_booking_id",
    ("logistics.confirm_interpreter_booking", "booking_id"): "interpreter_booking_id",
    ("logistics.cancel_interpreter_booking", "booking_id"): "interpreter_booking_id",
    "follow_up_id": "follow_up_id",
    "reminder_id": "reminder_id",
    "supplier_invoice_id": "supplier_invoice_id",
    "order_id": "order_id",
    "hospital_id": "hospital_id",
    "physician_id": "physician_id",
    "programme_id": "programme_id",
    "interpreter_id": "interpreter_id",
    "pharmacy_id": "pharmacy_id",
    "user_id": "user_id",
    "entry_id": "entry_id",
    "job_id": "job_id",
    "country": "country",
    ("logistics.calendar_feed_ics", "token"): "calendar_token",
    ("portal_invites.accept_invite", "token"): "invite_token",
    ("devmail.show_mail", "name"): "caught_mail",
    ("devmail.mail_html", "name"): "caught_mail",
    ("devmail.mail_attachment", "name"): "caught_mail",
    ("devmail.mail_attachment", "index"): "attachment_index",
    "notification_id": "notification_id",  # the administrator's (issue 16)
    ("devmail.reply_to_mail", "name"): "caught_mail",
    # issue 16, inbound mail: a mail on the unmatched list (no case: nobody's patient record is in the URL)
    ("messages.show_unmatched_mail", "message_id"): "unmatched_message_id",
    ("messages.unmatched_mail_html", "message_id"): "unmatched_message_id",
    ("messages.unmatched_mail_file", "message_id"): "unmatched_message_id",
    ("messages.unmatched_mail_file", "attachment_id"): "unmatched_file_id",
    ("messages.assign_unmatched_mail", "message_id"): "unmatched_message_id",
    ("messages.discard_unmatched_mail", "message_id"): "unmatched_message_id",
    ("messages.restore_unmatched_mail", "message_id"): "unmatched_message_id",  # issue 16 rest
    "message_id": "message_id",
    "attachment_id": "message_attachment_id",
    "request_id": "request_id",  # issue 17: a document asked of the patient
    "offer_id": "offer_id",  # issue 18: the case's draft offer (its staff pages and changes)
    ("offers.remove_offer_item", "item_id"): "offer_item_id",
    # issue 19: a payment reminder's archived PDF (not a case's reminder), an ageing bucket
    ("receivables.download_reminder", "reminder_id"): "payment_reminder_id",
    ("receivables.ageing_bucket", "bucket"): "bucket",
    "patient_id": "patient_id",  # issue 20: a patient's data rights page
    "data_request_id": "data_request_id",  # issue 20: a request for a copy of the patient's data
    ("rights.erasure_certificate", "data_request_id"): "erased_request_id",  # issue 20: a finished erasure
    ("rights.erasure_certificate_pdf", "data_request_id"): "erased_request_id",
    "export_id": "datev_export_id",  # issue 19: a recorded DATEV export (no patient's record in the URL)
    # issue 18: the patient's pages of the case's sent offer
    **{
        (f"portal.{name}", "offer_id"): "sent_offer_id"
        for name in ("show_offer", "download_offer", "accept_offer", "decline_offer")
    },
}

# Requests that end what the next ones need (the session, the draft) go last, in this order.
LAST = (
    "portal_invites.invite_patient",
    "portal_invites.create_reset_link",  # revokes the world's link, as a new invitation does
    "invoicing.delete_invoice",
    "users.deactivate_user",
    "auth.logout",
)


@dataclass(frozen=True)
class Call:
    endpoint: str
    method: str
    url: str


def unmapped_arguments(app: Flask) -> list[str]:
    return sorted(
        f"{rule.endpoint}: <{argument}>"
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for argument in rule.arguments
        if (rule.endpoint, argument) not in ARGUMENTS and argument not in ARGUMENTS
    )


def calls(app: Flask, values: dict) -> list[Call]:
    """Every (endpoint, method) of the url map as requests with B's records, GETs first, LAST at the end."""
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        keys = {
            argument: ARGUMENTS.get((rule.endpoint, argument), ARGUMENTS.get(argument)) for argument in rule.arguments
        }
        for kind in BOOKING_KINDS if "kind" in keys else (None,):
            arguments = {}
            for argument, key in keys.items():
                value = kind if key == "kind" else values[key]
                arguments[argument] = value[kind] if isinstance(value, dict) else value
            url = rule.build(arguments, append_unknown=False)[1]
            for method in sorted(rule.methods - METHODS_NOT_CHECKED):
                found.append(Call(rule.endpoint, method, url))
    return sorted(found, key=lambda c: (c.method != "GET", LAST.index(c.endpoint) if c.endpoint in LAST else -1))


def send(client, call: Call):
    if call.method == "POST":
        return client.post(call.url, data={})
    return client.open(call.url, method=call.method)


def goes_to_login(response) -> bool:
    return response.status_code == 302 and response.headers.get("Location", "").startswith("/login")


def matches(expected: str, response) -> bool:
    status = response.status_code
    if expected in (LOGIN, OUT):
        return goes_to_login(response)
    if expected == DENY:
        return status == 403
    if expected == HIDDEN:
        return status == 404
    return status < 500 and status not in (403, 404) and not goes_to_login(response)


def is_text(response) -> bool:
    return response.mimetype.startswith("text/") or response.mimetype == "application/json"


def body_of(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def without_csrf(response) -> str:
    """The page without its CSRF tokens (signed with the time, so they differ from one second to the next)."""
    return re.sub(r'(name="csrf_token"[^>]*value=")[^"]*"', r"\1", response.get_data(as_text=True))


def _controls(visitor: str, client, world: World) -> set[str]:
    """Proof that the world is what the URLs name: staff see B's case with the data their role may read, and
    patient A sees A's own invoice (the checks above would pass vacuously on empty pages otherwise)."""
    if visitor == "anonymous":
        feed = client.get(f"/calendar/{world.values['calendar_token']}.ics").get_data(as_text=True)
        assert "BEGIN:VEVENT" in feed and world.case_numbers["B"] in feed
        return {visitor}
    if visitor == "patient":
        client = app_client(client.application, world.users["patient"])
        assert PAULA.invoice in body_of(client.get("/portal/invoices"))
        return {visitor}
    if visitor in ("coordinator", "finance", "admin"):
        client = app_client(client.application, world.users[visitor])
        page = body_of(client.get(f"/cases/{world.values['case_id']}"))
        assert PETER.name in page and PETER.email in page and PETER.invoice in page
        assert (PETER.treatment in page and PETER.note in page) == (visitor != "finance")
        return {visitor}
    return set()


def app_client(app: Flask, user):
    """A client signed in as `user`, the "signed in" message already shown (so that two pages can be compared)."""
    client = app.test_client()
    login_as(client, user)
    client.get("/no-such-page")
    return client


# ---------------------------------------------------------------------------------------------- the tests


def test_every_route_is_in_the_table_and_every_table_entry_is_a_route(app):
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods - METHODS_NOT_CHECKED
    }
    table = {(endpoint, method) for endpoint, methods in EXPECTED.items() for method in methods}
    assert sorted(routes - table) == [], "routes nobody decided about: add them to tests/auth/access_table.py"
    assert sorted(table - routes) == [], "table entries that are no longer routes"
    assert unmapped_arguments(app) == [], "route arguments without a record: add them to ARGUMENTS"


def test_every_route_answers_each_visitor_as_the_table_says(app):
    """The matrix: each visitor requests every route with patient B's records; the answers match the table, no
    refused visitor gets content, error pages carry no patient data, finance pages no health data, and patient A's
    pages nothing of patient B."""
    requests = unauthorised = 0
    wrong: list[str] = []
    leaks: list[str] = []
    seen: set[str] = set()
    answers = {LOGIN: 0, OUT: 0, DENY: 0, HIDDEN: 0, OK: 0}
    for visitor in VISITORS:
        clear_world()
        world = build_world(app)
        a, b = world.patient_data(PAULA), world.patient_data(PETER)
        client = app.test_client()
        if visitor != "anonymous":
            login_as(client, world.users[visitor])
        for call in calls(app, world.values):
            expected = EXPECTED[call.endpoint][call.method][VISITORS.index(visitor)]
            response = send(client, call)
            requests += 1
            answers[expected] += 1
            where = f"{visitor} {call.method} {call.url} ({call.endpoint})"
            if not matches(expected, response):
                wrong.append(f"{where}: expected {expected}, got {response.status_code}")
                if expected not in (OK, OUT) and (
                    response.status_code < 300 or (response.status_code < 400 and not goes_to_login(response))
                ):
                    unauthorised += 1
            if not is_text(response):
                continue
            body = body_of(response)
            if response.status_code in (403, 404):
                leaks += [f"{where}: {response.status_code} page shows {s!r}" for s in a + b if s in body]
            elif visitor == "finance":
                health = PAULA.health_data + PETER.health_data
                leaks += [f"{where}: finance sees health data {s!r}" for s in health if s in body]
            elif visitor == "anonymous" or EXPECTED[call.endpoint][call.method][0] == OK:
                # public pages: the calendar feed is fetched by outside services with nothing but its URL, an
                # invitation link names the patient's first name only
                private = [s for p in (PAULA, PETER) for s in (p.name, p.email, p.phone, p.address, *p.health_data)]
                leaks += [f"{where}: a public page shows {s!r}" for s in private if s in body]
            elif visitor == "patient":
                leaks += [f"{where}: patient A sees {s!r} of patient B" for s in b if s in body]
        seen.update(_controls(visitor, client, world))
    summary = {
        "routes": len(EXPECTED),
        "route_methods": sum(len(methods) for methods in EXPECTED.values()),
        "visitors": len(VISITORS),
        "requests": requests,
        "expected_answers": dict(answers),
        "unauthorised_2xx": unauthorised,
        "answers_not_as_table": len(wrong),
        "patient_data_leaks": len(leaks),
    }
    summary["database"] = db.engine.dialect.name
    record("access-matrix", summary, command="make test", database=summary["database"])
    print(
        f"\naccess matrix ({summary['database']}): {requests} requests over {summary['route_methods']} route methods "
        f"x {len(VISITORS)} visitors, {unauthorised} unauthorised 2xx, {len(wrong)} answers not as the table says, "
        f"{len(leaks)} patient-data leaks"
    )
    assert seen == set(VISITORS), "the controls did not see the world"
    assert unauthorised == 0
    assert wrong == [], "\n".join(wrong)
    assert leaks == [], "\n".join(leaks)


def test_patient_a_asking_for_patient_bs_records_gets_the_answer_for_records_that_do_not_exist(app):
    """No enumeration through the portal: another patient's issued invoice or credit note is answered exactly like
    a number nobody was ever given, while the patient's own invoice downloads."""
    world = build_world(app)
    client = app_client(app, world.users["patient"])
    portal_routes = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.arguments and rule.endpoint != "static"
        for row in [EXPECTED[rule.endpoint].get("GET", (None, None))]
        if row[0] == LOGIN and row[1] in (OK, HIDDEN)
    )
    assert portal_routes == [
        "/portal/cases/<int:case_id>/documents",
        "/portal/cases/<int:case_id>/itinerary.pdf",
        "/portal/cases/<int:case_id>/trip",
        "/portal/documents/<int:document_id>",
        "/portal/invoices/<number>.pdf",
        "/portal/messages/<int:case_id>",
        "/portal/offers/<int:offer_id>",
        "/portal/offers/<int:offer_id>.pdf",
    ], "a new portal route with a record in its URL: prove its 404 below"
    own = client.get(f"/portal/invoices/{PAULA.invoice}.pdf")
    assert own.status_code == 200 and own.mimetype == "application/pdf"
    nobodys = client.get("/portal/invoices/INV-2026-99999.pdf")
    assert nobodys.status_code == 404
    for number in (PETER.invoice, PETER.credit_note, PETER.invoice.lower()):
        response = client.get(f"/portal/invoices/{number}.pdf")
        assert response.status_code == 404, number
        assert without_csrf(response) == without_csrf(nobodys), f"{number}: the answer differs from a made-up number's"
        assert not any(s in body_of(response) for s in world.patient_data(PETER)), number


def test_patient_a_gets_the_portals_one_404_for_an_offer_not_theirs(app):
    """Issue 18 offers portal: B's offer (the page, its PDF, accepting, declining) is answered exactly as an offer
    nobody was ever given, while A's own offer and its PDF answer."""
    world = build_world(app)
    paula, peter = world.values["paula"], world.values
    client = app_client(app, world.users["patient"])
    assert client.get(f"/portal/offers/{paula['sent_offer_id']}").status_code == 200
    assert client.get(f"/portal/offers/{paula['sent_offer_id']}.pdf").status_code == 200
    nobody = 2**31 - 1
    for pattern, method in (
        ("/portal/offers/{}", "GET"),
        ("/portal/offers/{}.pdf", "GET"),
        ("/portal/offers/{}/accept", "POST"),
        ("/portal/offers/{}/decline", "POST"),
    ):
        data = {"name": PAULA.name, "agree": "y", "reason": "x"}
        answers = [
            client.post(pattern.format(i), data=data) if method == "POST" else client.get(pattern.format(i))
            for i in (peter["sent_offer_id"], nobody)
        ]
        assert [a.status_code for a in answers] == [404, 404], pattern
        assert without_csrf(answers[0]) == without_csrf(answers[1]), pattern
        assert not any(s in body_of(answers[0]) for s in world.patient_data(PETER)), pattern


def test_patient_a_gets_the_portals_one_404_for_every_trip_or_document_record_not_theirs(app):
    """Issue 17 trip+documents: B's case (trip, itinerary, documents, sending a file), B's shared document, A's own
    document that is not shared, B's document request: each answered exactly as a record nobody was
    ever given, while A's own trip, itinerary and shared document answer."""
    world = build_world(app)
    paula, peter = world.values["paula"], world.values
    coordinator = world.users["coordinator"]
    unshared = documents.store_document(
        paula["case_id"], FileStorage(BytesIO(PDF), "paula-private.pdf"), "", coordinator.id
    )
    db.session.commit()
    client = app_client(app, world.users["patient"])
    for own in (
        f"/portal/cases/{paula['case_id']}/trip",
        f"/portal/cases/{paula['case_id']}/documents",
        f"/portal/documents/{paula['document_id']}",
        f"/portal/cases/{paula['case_id']}/itinerary.pdf",
    ):
        assert client.get(own).status_code == 200, own
    nobody = 2**31 - 1
    not_theirs = {
        "/portal/cases/{}/trip": [peter["case_id"]],
        "/portal/cases/{}/itinerary.pdf": [peter["case_id"]],
        "/portal/cases/{}/documents": [peter["case_id"]],
        "/portal/documents/{}": [peter["document_id"], unshared.id],
    }
    for pattern, ids in not_theirs.items():
        made_up = client.get(pattern.format(nobody))
        assert made_up.status_code == 404, pattern
        for record_id in ids:
            response = client.get(pattern.format(record_id))
            assert response.status_code == 404, (pattern, record_id)
            assert without_csrf(response) == without_csrf(made_up), (pattern, record_id)
            assert not any(s in body_of(response) for s in world.patient_data(PETER)), (pattern, record_id)
    for pattern, record_id in (
        ("/portal/requests/{}", peter["request_id"]),
        ("/portal/cases/{}/documents", peter["case_id"]),
    ):
        answers = [client.post(pattern.format(i), data={"file": (BytesIO(PDF), "x.pdf")}) for i in (record_id, nobody)]
        assert [a.status_code for a in answers] == [404, 404], pattern
        assert without_csrf(answers[0]) == without_csrf(answers[1]), pattern


def test_a_refusal_does_not_tell_whether_the_record_exists(app):
    """Where the table refuses a visitor (login, 403), a made-up id gets the very same answer as patient B's real
    record: the role is checked before anything is looked up, so refusals cannot be used to probe for records."""
    world = build_world(app)
    made_up = {
        key: dict.fromkeys(BOOKING_KINDS, 2**31 - 1) if isinstance(value, dict) else made_up_value(value)
        for key, value in world.values.items()
        if key != "paula"
    }
    checked = 0
    for visitor in VISITORS:
        client = app.test_client() if visitor == "anonymous" else app_client(app, world.users[visitor])
        real, fake = calls(app, world.values), calls(app, made_up)
        for call, probe in zip(real, fake, strict=True):
            expected = EXPECTED[call.endpoint][call.method][VISITORS.index(visitor)]
            if expected not in (LOGIN, DENY) or call.url == probe.url or call.endpoint == "auth.logout":
                continue
            answers = [send(client, c) for c in (call, probe)]
            assert [matches(expected, a) for a in answers] == [True, True], (visitor, call, probe)
            if expected == DENY:  # (a login redirect names the page asked for, nothing more)
                assert without_csrf(answers[0]) == without_csrf(answers[1]), (visitor, call.endpoint, call.method)
            checked += 1
    assert checked > 300


def made_up_value(value):
    """A value of the same shape as `value` that names no record."""
    if isinstance(value, int):
        return 2**31 - 1
    if value in (PETER.invoice, PAULA.invoice):
        return "INV-2026-99999"
    return "ZZ" if len(str(value)) == 2 else "nothing-by-this-name"


# Routes naming a record and the record it belongs to: the parent (the first) is patient A's, the child (and its own
# children) patient B's.
NESTED = {
    "cases.download_document": ("GET", {"case_id": "case_id", "document_id": "document_id"}),
    "cases.preview_document": ("GET", {"case_id": "case_id", "document_id": "document_id"}),
    "cases.inline_document": ("GET", {"case_id": "case_id", "document_id": "document_id"}),
    "cases.change_document_type": ("POST", {"case_id": "case_id", "document_id": "document_id"}),
    "cases.remove_document": ("POST", {"case_id": "case_id", "document_id": "document_id"}),
    "logistics.edit_booking": ("GET", {"case_id": "case_id", "booking_id": "booking_ids"}),
    "logistics.confirm_booking": ("POST", {"case_id": "case_id", "booking_id": "booking_ids"}),
    "logistics.cancel_booking": ("POST", {"case_id": "case_id", "booking_id": "booking_ids"}),
    "logistics.edit_interpreter_booking": ("GET", {"case_id": "case_id", "booking_id": "interpreter_booking_id"}),
    "logistics.confirm_interpreter_booking": ("POST", {"case_id": "case_id", "booking_id": "interpreter_booking_id"}),
    "logistics.cancel_interpreter_booking": ("POST", {"case_id": "case_id", "booking_id": "interpreter_booking_id"}),
    "billing.decide_bill_line": ("POST", {"bill_id": "bill_id", "line_id": "bill_line_id"}),
    "invoicing.remove_invoice_line": ("POST", {"invoice_id": "draft_invoice_id", "line_id": "draft_line_id"}),
    "cases.complete_reminder": ("POST", {"case_id": "case_id", "reminder_id": "reminder_id"}),
    "messages.unmatched_mail_file": (
        "GET",
        {"message_id": "unmatched_message_id", "attachment_id": "unmatched_file_id"},
    ),
    "messages.show_message": ("GET", {"case_id": "case_id", "message_id": "message_id"}),
    "messages.message_html": ("GET", {"case_id": "case_id", "message_id": "message_id"}),
    # (the file is B's too: the message and its file belong together, and neither to A's case)
    "messages.download_message_file": (
        "GET",
        {"case_id": "case_id", "message_id": "message_id", "attachment_id": "message_attachment_id"},
    ),
    # issue 17 trip+documents: sharing with and asking of the patient
    "cases.share_document": ("POST", {"case_id": "case_id", "document_id": "document_id"}),
    "cases.stop_sharing_document": ("POST", {"case_id": "case_id", "document_id": "document_id"}),
    "cases.withdraw_document_request": ("POST", {"case_id": "case_id", "request_id": "request_id"}),
    # issue 18, offers staff pages: an offer is its case's
    **{
        f"offers.{name}": (method, {"case_id": "case_id", "offer_id": "offer_id"})
        for name, method in (
            ("show_offer", "GET"),
            ("download_offer_pdf", "GET"),
            ("change_offer_terms", "POST"),
            ("save_offer_item", "POST"),
            ("add_booked_services", "POST"),
            ("set_offer_schedule", "POST"),
            ("send_offer", "POST"),
            ("record_offer_acceptance", "POST"),
            ("decline_offer", "POST"),
        )
    },
    "offers.remove_offer_item": ("POST", {"case_id": "case_id", "offer_id": "offer_id", "item_id": "offer_item_id"}),
}
# Form fields a view checks before it looks the records up: (endpoint, field) -> the parent's value in the world.
NESTED_FORMS = {("invoicing.remove_invoice_line", "version"): "draft_version"}


def test_a_record_named_under_another_case_is_not_found(app):
    """/cases/<A's case>/documents/<B's document> and the like: the child must belong to the parent in the URL,
    or an id taken from the request would reach another patient's record through a case the user may open."""
    world = build_world(app)
    client = app_client(app, world.users["admin"])
    nested = {
        rule.endpoint for rule in app.url_map.iter_rules() if len([a for a in rule.arguments if a.endswith("_id")]) > 1
    }
    assert nested == set(NESTED), "a route with two record ids: add it to NESTED"
    paula, peter = world.values["paula"], world.values
    for endpoint, (method, arguments) in NESTED.items():
        [rule] = app.url_map.iter_rules(endpoint)
        for kind in BOOKING_KINDS if "kind" in rule.arguments else (None,):
            parent, *children = arguments
            values = {parent: paula[arguments[parent]], **{child: peter[arguments[child]] for child in children}}
            values = {name: value[kind] if isinstance(value, dict) else value for name, value in values.items()}
            if kind:
                values["kind"] = kind
            with app.test_request_context():
                url = url_for(endpoint, **values)
            form = {name: paula[key] for (where, name), key in NESTED_FORMS.items() if where == endpoint}
            response = client.post(url, data=form) if method == "POST" else client.get(url)
            assert response.status_code == 404, f"{method} {url} ({endpoint}): {response.status_code}"
            assert not any(s in body_of(response) for s in world.patient_data(PETER)), url


def test_every_endpoint_declares_who_may_use_it(app):
    undeclared = [
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and audience_of(rule.endpoint) is None
    ]
    assert undeclared == []


def test_the_public_endpoints_are_exactly_those_the_table_opens_to_the_anonymous(app):
    open_to_all = {endpoint for endpoint, methods in EXPECTED.items() if all(r[0] == OK for r in methods.values())}
    public = {rule.endpoint for rule in app.url_map.iter_rules() if audience_of(rule.endpoint) == PUBLIC}
    assert public == open_to_all


def test_an_endpoint_without_declared_audience_is_refused(app_config):
    app = create_app(app_config)
    forgotten = Blueprint("forgotten", __name__)
    forgotten.add_url_rule("/forgotten", "page", lambda: "secret")
    app.register_blueprint(forgotten)
    assert app.test_client().get("/forgotten").status_code == 403


def test_unknown_route_gives_a_404_page_in_the_layout_without_data(client, users):
    login_as(client, users["admin"])
    response = client.get("/cases/99999/secret")
    body = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in body and "Traceback" not in body and "<title>" in body


def test_patient_a_asking_for_patient_bs_message_thread_gets_the_answer_for_a_case_that_does_not_exist(app):
    """Issue 17: the portal's secure thread. Patient B's case, read or written to, is answered exactly like a case id
    nobody has, and nothing is stored; patient A's own thread opens."""
    world = build_world(app)
    client = app_client(app, world.users["patient"])
    own = client.get(f"/portal/messages/{world.values['paula']['case_id']}")
    assert own.status_code == 200 and world.case_numbers["A"] in body_of(own)
    nobodys = client.get(f"/portal/messages/{2**31 - 1}")
    peters = client.get(f"/portal/messages/{world.values['case_id']}")
    assert nobodys.status_code == peters.status_code == 404
    assert without_csrf(peters) == without_csrf(nobodys)
    written = client.post(f"/portal/messages/{world.values['case_id']}", data={"text": "Hello, is this Peter's?"})
    assert written.status_code == 404 and without_csrf(written) == without_csrf(nobodys)
    assert not any(s in body_of(peters) + body_of(written) for s in world.patient_data(PETER))
    db.session.expire_all()
    assert db.session.scalar(db.select(db.func.count(Message.id)).where(Message.channel == "portal")) == 0
