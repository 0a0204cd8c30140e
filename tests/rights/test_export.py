"""A copy of a patient's data (GDPR Art. 15 and 20): asked for by an administrator or the patient, confirmed by a
second administrator, prepared by a job with every record and file of the patient and nothing of another's,
downloaded once, every step in the audit trail."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from backoffice.cases import documents
from backoffice.errors import PermissionDenied
from backoffice.extensions import db
from backoffice.invoicing import deposits, issuing
from backoffice.jobs.models import OutboxEntry
from backoffice.patients.models import Patient
from backoffice.rights import operations
from backoffice.rights.models import DataRequest
from backoffice.storage.models import StoredFile
from backoffice.trail import AuditEvent
from tests.factories import make_patient, make_user
from tests.helpers import login_as, page_text
from tests.invoicing.factories import make_invoicing_case
from tests.shipments.factories import run_jobs

RECORD = b"%PDF-1.4\n% Anna's MRI report\n%%EOF\n"


@dataclass(frozen=True)
class Patients:
    anna_id: int
    case_id: int
    case_number: str
    invoice_number: str


@pytest.fixture
def two_patients(app):
    anna = make_patient(name="Anna Example", email="anna@example.test")
    other = make_patient(name="Otto Otherperson", email="otto@example.test")
    case = make_invoicing_case(patient=anna, state="confirmed")
    make_invoicing_case(patient=other, state="confirmed", requested_treatment="Otto's knee operation")
    documents.store_bytes(case.id, "MRI report.pdf", RECORD, description="From Anna's clinic", actor_id=None)
    draft = deposits.create_deposit_draft(case.id, actor_id=None, amount="500.00")
    db.session.commit()
    invoice = issuing.issue_invoice(draft.id, actor_id=None)
    db.session.commit()
    # plain values: the job's worker ends the session, and with it the objects
    return Patients(anna.id, case.id, case.number, invoice.number)


def admins():
    first = make_user("admin", email="first-admin@test.example", name="First Admin")
    second = make_user("admin", email="second-admin@test.example", name="Second Admin")
    db.session.commit()
    return first, second


def prepared(app, patient_id: int) -> DataRequest:
    first, second = admins()
    request = operations.request_export(patient_id, actor_id=first.id)
    db.session.commit()
    request_id = request.id
    operations.confirm(request_id, actor_id=second.id)
    db.session.commit()
    run_jobs(app)
    return db.session.get(DataRequest, request_id)


def test_the_administrator_who_asked_cannot_confirm_and_the_refusal_is_recorded(app, two_patients, client):
    first, second = admins()
    request = operations.request_export(two_patients.anna_id, actor_id=first.id)
    db.session.commit()

    with pytest.raises(PermissionDenied, match="second administrator"):
        operations.confirm(request.id, actor_id=first.id)
    db.session.rollback()
    login_as(client, first)
    refused = client.post(f"/data-requests/{request.id}/confirm")

    assert refused.status_code == 302 and db.session.get(DataRequest, request.id).status == "requested"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "data_request.confirmation_refused"))
    assert db.session.scalar(select(OutboxEntry).where(OutboxEntry.job == "rights.export")) is None
    operations.confirm(request.id, actor_id=second.id)
    db.session.commit()
    assert db.session.scalar(select(OutboxEntry).where(OutboxEntry.job == "rights.export")) is not None


def test_one_open_request_per_patient(app, two_patients):
    first, _second = admins()
    operations.request_export(two_patients.anna_id, actor_id=first.id)
    with pytest.raises(operations.RequestRefused):
        operations.request_export(two_patients.anna_id, actor_id=first.id)


def test_the_copy_holds_every_record_and_file_of_the_patient_and_nothing_of_another(app, storage, two_patients):
    request = prepared(app, two_patients.anna_id)

    assert request.status == "ready", request.error
    data, _request = operations.download_once(request.id, actor_id=request.confirmed_by_id)
    db.session.commit()
    archive = zipfile.ZipFile(io.BytesIO(data))
    content = json.loads(archive.read("data.json"))
    everything = b"".join(archive.read(name) for name in archive.namelist())

    assert content["tables"]["patients"][0]["name"] == "Anna Example"
    assert [row["number"] for row in content["tables"]["cases"]] == [two_patients.case_number]
    assert [row["number"] for row in content["tables"]["invoices"]] == [two_patients.invoice_number]
    assert {"case_documents", "case_events", "invoice_lines"} <= set(content["tables"])
    files = {entry["table"]: entry for entry in content["files"]}
    assert not files["case_documents"].get("missing") and not files["invoices"].get("missing")
    assert archive.read(files["case_documents"]["path"]) == RECORD
    assert archive.read(files["invoices"]["path"]).startswith(b"%PDF")
    assert any(entry["action"] == "invoice.issued" or entry["object"] == f"case:{two_patients.case_id}" for entry in
               content["audit_entries"])  # fmt: skip
    assert {"kind": "hospital"}.items() <= next(r for r in content["recipients"] if r["kind"] == "hospital").items()
    assert b"Otto" not in everything and b"otto@example.test" not in everything
    assert b"password_hash" not in everything


def test_the_copy_is_downloaded_once_and_then_deleted_from_the_store(app, two_patients, client):
    request = prepared(app, two_patients.anna_id)
    login_as(client, db.session.get(type(request.confirmed_by), request.confirmed_by_id))

    first = client.post(f"/data-requests/{request.id}/download")
    second = client.post(f"/data-requests/{request.id}/download", follow_redirects=True)

    assert first.status_code == 200 and first.mimetype == "application/zip"
    assert zipfile.ZipFile(io.BytesIO(first.data)).read("data.json")
    assert "already downloaded" in second.get_data(as_text=True)
    stored = db.session.scalar(select(StoredFile).where(StoredFile.kind == "export"))
    assert stored.deleted_at is not None
    actions = set(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("data_request.%"))))
    assert actions == {
        "data_request.requested",
        "data_request.confirmed",
        "data_request.prepared",
        "data_request.downloaded",
    }


def test_the_patient_asks_for_a_copy_in_the_portal_and_an_administrator_confirms(app, two_patients, client):
    user = make_user("patient", email="anna@example.test", name="Anna Example")
    anna = db.session.get(Patient, two_patients.anna_id)
    anna.user_id, anna.preferred_language = user.id, "en"
    db.session.commit()
    login_as(client, user)

    asked = client.post("/portal/account/data-copy", follow_redirects=True)
    again = client.get("/portal/account")

    assert asked.status_code == 200 and "Your request is recorded" in asked.get_data(as_text=True)
    assert "Ask for a copy of my data" not in again.get_data(as_text=True)  # one open request at a time
    request = db.session.scalar(select(DataRequest))
    assert request.via_portal and request.requested_by_id == user.id and request.status == "requested"
    first, _second = admins()
    request_id = request.id
    operations.confirm(request_id, actor_id=first.id)  # the patient asked: any administrator is the second person
    db.session.commit()
    run_jobs(app)
    assert db.session.get(DataRequest, request_id).status == "ready"


def test_the_requests_list_words_what_a_copy_held_in_the_readers_language(app, storage, two_patients, client):
    request = prepared(app, two_patients.anna_id)
    reader = request.confirmed_by
    reader.language = "de"
    db.session.commit()
    login_as(client, reader)

    listing = page_text(client.get("/data-requests"))

    archive = request.certificate["archive"]
    assert archive["files"] >= 2
    assert f"{archive['tables']} Tabellen, {archive['rows']} Zeilen, {archive['files']} Dateien" in listing
    assert " tables, " not in listing
