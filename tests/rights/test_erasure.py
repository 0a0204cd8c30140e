"""A patient's erasure (GDPR Art. 17): asked by an administrator, confirmed by a second, refused with its reasons while
a case runs or money is open; then medical records, messages, bookings, notes and the portal account are deleted,
the patient becomes a pseudonym, what the tax law keeps is restricted and scheduled for deletion, job payloads are
purged, and a certificate says what happened. A job of steps: stopped half-way, it resumes to the end."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import func, select

from backoffice.auth.models import User
from backoffice.cases import documents
from backoffice.cases.models import Case, CaseDocument
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice, InvoicePayment
from backoffice.jobs.models import OutboxEntry
from backoffice.jobs.runner import TransientJobError
from backoffice.logistics.models import HotelStay
from backoffice.messages.models import Message
from backoffice.patients.models import Patient
from backoffice.rights import erasing, exporting, operations
from backoffice.rights.certificate import certificate_pdf
from backoffice.rights.models import DataRequest, RestrictedRecord
from backoffice.storage import files
from backoffice.storage.models import StoredFile
from backoffice.trail import AuditEvent
from tests.factories import make_patient, make_user
from tests.helpers import change_settings, login_as, page_text
from tests.invoicing.factories import issued_deposit, make_invoicing_case, pay
from tests.logistics.factories import make_hotel
from tests.messages.factories import make_received
from tests.shipments.factories import run_jobs
from tests.test_pdf_scripts import pdf_text

RECORD = b"%PDF-1.4\n% Anna's MRI report\n%%EOF\n"


@dataclass(frozen=True)
class World:
    anna_id: int
    case_id: int
    case_number: str
    invoice_id: int
    invoice_number: str
    document_key: str
    message_id: int
    user_id: int
    otto_id: int
    otto_invoice_id: int


def make_world(*, close: bool = True, paid: bool = True) -> World:
    anna = make_patient(name="Anna Example", email="anna@example.test", preferred_language="ru")
    otto = make_patient(name="Otto Otherperson", email="otto@example.test")
    account = make_user("patient", email="anna@example.test", name="Anna Example")
    anna.user_id = account.id
    case = make_invoicing_case(patient=anna, state="discharged", requested_treatment="Type 1 diabetes, stem cells")
    other_case = make_invoicing_case(patient=otto, state="discharged", requested_treatment="Otto's knee")
    document = documents.store_bytes(case.id, "MRI report.pdf", RECORD, description="From Anna's clinic", actor_id=None)
    make_hotel(case, check_in_on=date(2026, 11, 1), check_out_on=date(2026, 11, 20))
    message = make_received(case.id, sender="anna@example.test", subject="My results")
    db.session.commit()
    invoice = issued_deposit(case, "500.00")
    otto_invoice = issued_deposit(other_case, "700.00")
    if paid:
        pay(invoice, "500.00")
    case = db.session.get(Case, case.id)
    if close:
        case.state = "closed"
    db.session.add(
        OutboxEntry(job="messages.send", args={"message_id": message.id}, key=f"message:{message.id}", state="done")
    )
    db.session.add(OutboxEntry(job="messages.send", args={"message_id": 999999}, key="message:999999", state="done"))
    db.session.commit()
    return World(
        anna.id, case.id, case.number, invoice.id, invoice.number, f"documents/{document.stored_name}", message.id,
        account.id, otto.id, otto_invoice.id,
    )  # fmt: skip


def admins():
    first = make_user("admin", email="first-admin@test.example", name="First Admin")
    second = make_user("admin", email="second-admin@test.example", name="Second Admin")
    db.session.commit()
    return first.id, second.id


def confirmed_erasure(patient_id: int) -> int:
    first, second = admins()
    request_id = operations.request_erasure(patient_id, actor_id=first).id
    db.session.commit()
    operations.confirm(request_id, actor_id=second)
    db.session.commit()
    return request_id


def test_an_erasure_is_refused_with_every_reason_while_a_case_runs_or_money_is_open(app, local_storage, client):
    world = make_world(close=False, paid=False)
    first, _second = admins()

    with pytest.raises(operations.RequestRefused) as refused:
        operations.request_erasure(world.anna_id, actor_id=first)
    db.session.rollback()
    login_as(client, db.session.get(User, first))
    page = client.get(f"/patients/{world.anna_id}/data").get_data(as_text=True)

    assert world.case_number in str(refused.value) and "Discharged" in str(refused.value)
    assert "500.00" in str(refused.value)
    assert "close or cancel it first" in page and "open on its invoices" in page
    assert "Ask to erase the data" not in page
    assert db.session.scalar(select(func.count()).select_from(DataRequest)) == 0


def test_the_administrator_who_asked_for_an_erasure_cannot_confirm_it(app, local_storage):
    world = make_world()
    first, second = admins()
    request_id = operations.request_erasure(world.anna_id, actor_id=first).id
    db.session.commit()

    with pytest.raises(Exception, match="second administrator"):
        operations.confirm(request_id, actor_id=first)
    db.session.rollback()

    assert db.session.scalar(select(OutboxEntry).where(OutboxEntry.job == "rights.erase")) is None
    operations.confirm(request_id, actor_id=second)
    db.session.commit()
    assert db.session.scalar(select(OutboxEntry).where(OutboxEntry.job == "rights.erase")) is not None


def test_an_erasure_deletes_the_records_pseudonymises_the_patient_and_restricts_what_the_tax_law_keeps(
    app, storage, smtp
):
    world = make_world()
    run_jobs(app)  # the invoices' mails go out first
    messages = db.session.scalar(select(func.count()).select_from(Message).where(Message.case_id == world.case_id))
    otto_before = exporting.collect(world.otto_id).rows
    request_id = confirmed_erasure(world.anna_id)

    run_jobs(app)

    request = db.session.get(DataRequest, request_id)
    anna = db.session.get(Patient, world.anna_id)
    assert request.status == "erased", request.error
    assert anna.name == anna.pseudonym and anna.pseudonym.startswith("Erased P-") and anna.erased_at is not None
    assert (anna.email, anna.phone, anna.address, anna.date_of_birth, anna.user_id) == ("", "", "", None, None)
    case = db.session.get(Case, world.case_id)
    assert case.requested_treatment == "" and case.number == world.case_number
    assert "anna" not in case.search_key.lower()
    assert db.session.scalar(select(func.count()).select_from(CaseDocument).where(CaseDocument.case_id == case.id)) == 0
    assert not files.exists(world.document_key)
    assert db.session.scalar(select(StoredFile).where(StoredFile.key == world.document_key)).deleted_at is not None
    assert db.session.get(Message, world.message_id) is None
    assert db.session.scalar(select(func.count()).select_from(HotelStay).where(HotelStay.case_id == case.id)) == 0
    account = db.session.get(User, world.user_id)
    assert not account.active and account.email.endswith("@erased.invalid") and account.name == anna.pseudonym
    # the invoice and its payment stay, restricted until 8 years after the end of their year
    invoice = db.session.get(Invoice, world.invoice_id)
    assert invoice.number == world.invoice_number and files.exists(f"archive/{invoice.pdf_filename}")
    restricted = db.session.scalars(select(RestrictedRecord).where(RestrictedRecord.request_id == request_id)).all()
    assert {(r.kind, r.table_name) for r in restricted} == {
        ("invoice", "invoices"), ("payment", "invoice_payments"), ("offer", "offers")
    }  # fmt: skip
    year = invoice.issue_date.year
    until = {r.kind: r.retain_until for r in restricted}
    assert until["invoice"] == until["payment"] == date(year + 8, 12, 31)
    assert until["offer"].month == 12 and until["offer"] < until["invoice"]  # a business letter: 6 years
    assert request.delete_on == date(year + 9, 1, 1)
    assert db.session.scalar(select(func.count()).select_from(InvoicePayment)) == 1
    # job payloads naming the patient's message are gone; others stay
    assert db.session.scalar(select(OutboxEntry).where(OutboxEntry.key == f"message:{world.message_id}")) is None
    assert db.session.scalar(select(OutboxEntry).where(OutboxEntry.key == "message:999999")) is not None
    # nothing of Otto's changed
    assert exporting.collect(world.otto_id).rows == otto_before
    # the trail has every step; the certificate says what happened
    steps = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "data_request.erasure_step").order_by(AuditEvent.id)
    ).all()
    assert [s["step"] for s in steps] == [name for name, _work in erasing.STEPS]
    certificate = request.certificate
    assert certificate["pseudonym"] == anna.pseudonym and certificate["cases"] == [world.case_number]
    assert certificate["erased"]["documents"] == 1 and certificate["erased"]["messages"] == messages >= 2
    assert certificate["erased"]["bookings"] == 1 and certificate["erased"]["portal"] == 1
    assert certificate["erased"]["files"] == 1
    assert {item["kind"]: item["count"] for item in certificate["restricted"]} == {
        "invoice": 1,
        "payment": 1,
        "offer": 1,
    }
    assert "Anna" not in str(certificate) and "anna@" not in str(certificate)


def test_an_erasure_stopped_by_a_store_outage_resumes_at_its_step_and_finishes(app, s3_storage, s3, monkeypatch):
    world = make_world()
    request_id = confirmed_erasure(world.anna_id)
    with socket.socket() as closed:  # a port nobody listens on: the store is unreachable
        closed.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{closed.getsockname()[1]}"
    endpoint = s3.endpoint
    change_settings(monkeypatch, app, s3_endpoint_url=dead, storage_timeout_seconds=1)

    with pytest.raises(TransientJobError, match="files_deleted"):
        operations.erase(request_id)
    request = db.session.get(DataRequest, request_id)
    anna = db.session.get(Patient, world.anna_id)

    assert request.status == "erasing" and request.step == "restricted"
    assert set(request.certificate["steps"]) == {"checked", "restricted"}
    assert anna.name == "Anna Example" and db.session.get(Message, world.message_id) is not None
    change_settings(monkeypatch, app, s3_endpoint_url=endpoint, storage_timeout_seconds=5)
    operations.erase(request_id)
    request = db.session.get(DataRequest, request_id)
    assert request.status == "erased" and request.step == erasing.STEPS[-1][0]
    assert db.session.get(Patient, world.anna_id).name.startswith("Erased P-")
    assert not files.exists(world.document_key)
    assert db.session.scalar(select(func.count()).select_from(RestrictedRecord)) == 3  # made once, not twice


def test_an_erasure_that_gave_up_records_where_it_stopped_and_resumes_when_an_administrator_says_so(
    app, local_storage, smtp, client
):
    world = make_world()
    request_id = confirmed_erasure(world.anna_id)
    case = db.session.get(Case, world.case_id)
    case.state = "aftercare"  # the case was reopened between the confirmation and the job
    db.session.commit()

    run_jobs(app)
    request = db.session.get(DataRequest, request_id)
    assert request.status == "failed" and request.step == "" and world.case_number in request.error
    assert db.session.get(Patient, world.anna_id).name == "Anna Example"

    db.session.get(Case, world.case_id).state = "closed"
    db.session.commit()
    login_as(client, db.session.get(User, request.requested_by_id))
    assert client.post(f"/data-requests/{request_id}/resume").status_code == 302
    run_jobs(app)
    assert db.session.get(DataRequest, request_id).status == "erased"


def test_every_table_that_can_hold_a_patients_data_has_an_erasure_rule(app):
    ruled = erasing.ERASED | set(erasing.RESTRICTED) | erasing.PSEUDONYMISED | erasing.KEPT
    reached, frontier = {"patients"}, {"patients"}
    while frontier:
        found = {
            table.name
            for table in db.metadata.tables.values()
            if table.name not in exporting.NOT_WALKED
            and any(key.column.table.name in frontier for key in table.foreign_keys)
        } - reached
        reached |= found
        frontier = found
    assert reached - ruled == set(), "give these tables a rule in rights/erasing.py"
    assert not (erasing.ERASED & set(erasing.RESTRICTED)), "a table is erased or restricted, not both"


@pytest.mark.parametrize("language", ["en", "de", "ru", "ar"])
def test_the_certificate_reads_in_the_patients_language_and_names_only_the_pseudonym(
    app, local_storage, smtp, language
):
    world = make_world()
    db.session.get(Patient, world.anna_id).preferred_language = language
    db.session.commit()
    request_id = confirmed_erasure(world.anna_id)
    run_jobs(app)
    request = db.session.get(DataRequest, request_id)

    text = pdf_text(certificate_pdf(request))

    assert request.certificate["pseudonym"] in text and world.case_number in text
    assert "Anna" not in text and "anna@example.test" not in text
    titles = {
        "en": "Certificate of erasure",
        "de": "Löschbestätigung",
        "ru": "Справка об удалении",  # noqa: RUF001
        "ar": "شهادة المحو",
    }
    title = titles[language]
    assert title in text


def test_the_certificate_page_and_pdf_are_for_administrators_once_the_erasure_is_done(app, local_storage, smtp, client):
    world = make_world()
    request_id = confirmed_erasure(world.anna_id)
    admin = db.session.get(DataRequest, request_id).requested_by
    login_as(client, admin)
    assert client.get(f"/data-requests/{request_id}/certificate").status_code == 404  # not erased yet

    run_jobs(app)
    page = client.get(f"/data-requests/{request_id}/certificate")
    pdf = client.get(f"/data-requests/{request_id}/certificate.pdf")

    assert page.status_code == 200 and "Certificate of erasure" in page.get_data(as_text=True)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    listing = client.get(f"/patients/{world.anna_id}/data").get_data(as_text=True)
    assert "Ask to erase the data" not in listing and "Ask for a copy" not in listing


def test_the_requests_list_words_each_result_in_the_readers_language(app, local_storage, smtp, client):
    world = make_world()
    request_id = confirmed_erasure(world.anna_id)
    run_jobs(app)
    admin = db.session.get(DataRequest, request_id).requested_by
    admin.language = "de"
    db.session.commit()
    login_as(client, admin)

    listing = page_text(client.get("/data-requests"))

    assert "Einträge gelöscht" in listing and "3 für das Steuerrecht aufbewahrt bis" in listing
    assert " erased," not in listing
