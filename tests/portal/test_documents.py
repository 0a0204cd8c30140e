"""The patient's documents in the portal: what the coordinator shared (downloaded as an attachment), what the
coordinator asked for, and the files the patient sends, under the checks of every upload; nothing of anyone else's."""

from io import BytesIO

import pytest
from sqlalchemy import select

from backoffice.cases import document_changes, document_sharing, documents
from backoffice.cases.models import CaseDocument, DocumentRequest
from backoffice.extensions import db
from backoffice.notifications.models import Notification
from backoffice.patients.models import Patient
from backoffice.trail import AuditEvent
from tests.auth.test_access import without_csrf
from tests.cases.test_documents import HTML, PDF, PNG
from tests.factories import make_case, make_patient
from tests.helpers import change_settings

NOT_YOURS = "There is nothing of yours at this address."


@pytest.fixture(autouse=True)
def archive(app, tmp_path, monkeypatch):
    folder = tmp_path / "documents"
    change_settings(monkeypatch, app, case_documents_dir=str(folder))
    return folder


def case_of(user, coordinator=None, *, state="confirmed"):
    patient = make_patient(name=f"{user.name}", email=user.email, preferred_language="en")
    patient.user_id = user.id
    return make_case(patient=patient, state=state, coordinator=coordinator)


def staff_document(case, user, name="discharge-letter.pdf", *, shared=True, document_type="letter"):
    document = documents.store_bytes(case.id, name, PDF, description="", actor_id=user.id, document_type=document_type)
    if shared:
        document_sharing.share_document(case.id, document.id, user.id)
    return document


@pytest.fixture
def world(users):
    coordinator = users["coordinator"]
    paula = case_of(users["patient"], coordinator)
    peter = case_of(users["patient2"], coordinator)
    rows = {
        "paula": paula,
        "peter": peter,
        "shared": staff_document(paula, coordinator),
        "unshared": staff_document(paula, coordinator, "internal-notes.pdf", shared=False),
        "removed": staff_document(paula, coordinator, "withdrawn-offer.pdf"),
        "peters": staff_document(peter, coordinator, "peter-offer.pdf"),
        "request": document_sharing.ask_for_document(paula.id, "Your latest HbA1c results", coordinator.id),
        "peters_request": document_sharing.ask_for_document(peter.id, "Peter's spine MRI", coordinator.id),
    }
    document_changes.remove_document(paula.id, rows["removed"].id, "wrong version", coordinator.id)
    db.session.commit()
    return rows


def patient_client(as_role):
    """Paula signed in, the "signed in" message already shown (so that two answers can be compared byte for byte)."""
    client = as_role("patient")
    client.get("/portal/")
    return client


def send(client, url, content=PDF, filename="hba1c.pdf", description=""):
    return client.post(
        url, data={"file": (BytesIO(content), filename), "description": description}, content_type="multipart/form-data"
    )


def test_the_page_lists_what_was_shared_and_what_is_asked_of_the_patient(as_role, world):
    body = as_role("patient").get("/portal/documents").get_data(as_text=True)
    assert "discharge-letter.pdf" in body and f"/portal/documents/{world['shared'].id}" in body
    assert "Your latest HbA1c results" in body and f"/portal/requests/{world['request'].id}" in body
    for hidden in ("internal-notes.pdf", "withdrawn-offer.pdf", "peter-offer.pdf", "Peter's spine MRI"):
        assert hidden not in body, hidden


def test_a_shared_document_downloads_as_an_attachment_and_the_read_is_audited(as_role, world):
    response = as_role("patient").get(f"/portal/documents/{world['shared'].id}")
    assert response.status_code == 200 and response.data == PDF
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_document_downloaded"))
    assert event.details["document_id"] == world["shared"].id


def test_what_is_not_the_patients_shared_document_is_one_and_the_same_404(as_role, world):
    client = patient_client(as_role)
    nothing = client.get("/portal/documents/999999")
    assert nothing.status_code == 404 and NOT_YOURS in nothing.get_data(as_text=True)
    for key in ("unshared", "removed", "peters"):
        response = client.get(f"/portal/documents/{world[key].id}")
        assert response.status_code == 404, key
        assert without_csrf(response) == without_csrf(nothing), key
    refused = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.record_refused")).all()
    assert len(refused) == 4


def test_a_file_sent_for_a_request_is_filed_on_the_case_and_the_coordinator_is_notified(as_role, users, world):
    response = send(as_role("patient"), f"/portal/requests/{world['request'].id}")
    assert response.status_code == 302
    db.session.expire_all()
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.original_filename == "hba1c.pdf"))
    assert document.case_id == world["paula"].id and document.uploaded_by_id == users["patient"].id
    assert document.request_id == world["request"].id and document.document_type == "medical_record"
    assert document.description == "Your latest HbA1c results" and document.shared_at is None
    assert db.session.get(DocumentRequest, world["request"].id).fulfilled_at is not None
    [notice] = db.session.scalars(select(Notification).where(Notification.kind == "patient_upload")).all()
    assert notice.user_id == users["coordinator"].id and notice.text.endswith("The patient sent a document")
    assert "HbA1c" not in notice.text, "no health data in a notification"
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "case_document").order_by(AuditEvent.id.desc()).limit(1)
    )
    assert event.actor_id == users["patient"].id and event.details["filename"] == "hba1c.pdf"
    body = as_role("patient").get("/portal/documents").get_data(as_text=True)
    assert "Sent by you" in body and "hba1c.pdf" in body


def test_a_general_upload_goes_to_the_patients_case(as_role, users, world):
    response = send(as_role("patient"), f"/portal/cases/{world['paula'].id}/documents", PNG, "rash.png", "My rash")
    assert response.status_code == 302
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.original_filename == "rash.png"))
    assert (document.case_id, document.request_id, document.description) == (world["paula"].id, None, "My rash")


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (HTML, "scan.pdf", "its content is not a PDF, JPEG or PNG file"),
        (HTML, "page.html", "only PDF, JPEG and PNG files are accepted"),
        (PNG, "scan.pdf", "looks like a PNG image but is named .pdf"),
        (b"", "empty.pdf", "is empty"),
    ],
)
def test_a_file_sent_by_the_patient_passes_the_checks_of_every_upload(as_role, world, archive, content, filename, says):
    before = db.session.scalar(select(db.func.count()).select_from(CaseDocument))
    response = send(as_role("patient"), f"/portal/requests/{world['request'].id}", content, filename)
    assert response.status_code == 422 and says in response.get_data(as_text=True)
    assert db.session.scalar(select(db.func.count()).select_from(CaseDocument)) == before
    assert db.session.get(DocumentRequest, world["request"].id).is_open
    stored = {d.stored_name for d in db.session.scalars(select(CaseDocument))}
    assert {path.name for path in archive.iterdir()} == stored, "no file of the refused upload is left"
    assert not any(path.name.startswith(".upload-") for path in archive.iterdir())


def test_a_file_above_the_size_cap_is_refused(as_role, app, world, monkeypatch):
    change_settings(monkeypatch, app, max_document_mb=1)
    response = send(as_role("patient"), f"/portal/requests/{world['request'].id}", PDF + b"0" * 1024 * 1024)
    assert response.status_code == 413 and "larger than the limit" in response.get_data(as_text=True)


def test_an_answered_or_withdrawn_request_takes_no_more_files(as_role, users, world):
    document_sharing.withdraw_request(world["paula"].id, world["request"].id, users["coordinator"].id)
    db.session.commit()
    response = send(as_role("patient"), f"/portal/requests/{world['request'].id}")
    assert response.status_code == 422 and "no longer open" in response.get_data(as_text=True)


def test_another_patients_case_or_request_is_the_same_404_and_nothing_is_stored(as_role, world):
    client = patient_client(as_role)
    nothing = without_csrf(client.get("/portal/documents/999999"))
    before = db.session.scalar(select(db.func.count()).select_from(CaseDocument))
    for url in (
        f"/portal/requests/{world['peters_request'].id}",
        f"/portal/cases/{world['peter'].id}/documents",
        "/portal/requests/999999",
    ):
        response = send(client, url)
        assert response.status_code == 404 and without_csrf(response) == nothing, url
    page = client.get(f"/portal/cases/{world['peter'].id}/documents")
    assert page.status_code == 404 and without_csrf(page) == without_csrf(client.get("/portal/cases/999999/documents"))
    assert db.session.scalar(select(db.func.count()).select_from(CaseDocument)) == before
    db.session.expire_all()
    assert db.session.get(DocumentRequest, world["peters_request"].id).is_open


def test_a_closed_case_takes_no_files_from_the_patient(as_role, users, world):
    world["paula"].state = "closed"
    db.session.commit()
    body = as_role("patient").get("/portal/documents").get_data(as_text=True)
    assert "Send another document" not in body
    response = send(as_role("patient"), f"/portal/cases/{world['paula'].id}/documents")
    assert response.status_code == 422 and "no more documents can be added" in response.get_data(as_text=True)


def test_the_documents_page_runs_a_fixed_number_of_statements(as_role, users, world, count_queries):
    client = as_role("patient")
    client.get("/portal/documents")
    with count_queries() as few:
        client.get("/portal/documents")
    for n in range(4):
        staff_document(world["paula"], users["coordinator"], f"letter-{n}.pdf")
        document_sharing.ask_for_document(world["paula"].id, f"Record {n}", users["coordinator"].id)
        documents.store_bytes(world["paula"].id, f"sent-{n}.pdf", PDF, description="", actor_id=users["patient"].id)
    db.session.commit()
    with count_queries() as many:
        assert client.get("/portal/documents").status_code == 200
    assert len(many) == len(few)


def test_an_account_without_a_case_sees_no_documents(as_role):
    body = as_role("patient").get("/portal/documents").get_data(as_text=True)
    assert "You have no case with us yet." in body


def test_the_patient_of_the_upload_is_the_account_holder(as_role, users, world):
    send(as_role("patient"), f"/portal/cases/{world['paula'].id}/documents")
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.original_filename == "hba1c.pdf"))
    patient = db.session.scalar(select(Patient).where(Patient.user_id == users["patient"].id))
    assert document.case_id == world["paula"].id and world["paula"].patient_id == patient.id
