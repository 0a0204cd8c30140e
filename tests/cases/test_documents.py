"""Medical records on a case: only real PDF, JPEG and PNG files go in, under a server-chosen name outside anything
served; only coordinators and administrators get them out again, and every download is in the audit log."""

import hashlib
import os
from io import BytesIO
from pathlib import Path

import pytest
from flask import render_template
from flask_login import login_user
from sqlalchemy import func, select, update
from werkzeug.datastructures import FileStorage

from backoffice.cases import document_sharing, documents
from backoffice.cases.document_forms import (
    DocumentRemoveForm,
    DocumentRequestForm,
    DocumentTypeForm,
    DocumentUploadForm,
)
from backoffice.cases.models import DOCUMENT_TYPES, CaseDocument, CaseEvent
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.forms import ConfirmForm
from backoffice.storage.models import StoredFile
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_user
from tests.helpers import change_settings, login_as

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + bytes(range(256)) + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00" + b"\x00" * 40
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100 + b"This program cannot be run"


@pytest.fixture(autouse=True)
def archive(app, tmp_path, monkeypatch):
    """Each test gets its own empty document archive."""
    folder = tmp_path / "documents"
    change_settings(monkeypatch, app, case_documents_dir=str(folder))
    return folder


def stored_files(folder: Path) -> list[Path]:
    return sorted(folder.iterdir()) if folder.exists() else []


def count_documents() -> int:
    return db.session.scalar(select(func.count()).select_from(CaseDocument))


def upload(client, case_id, content: bytes, filename: str, description: str = ""):
    return client.post(
        f"/cases/{case_id}/documents",
        data={"file": (BytesIO(content), filename), "description": description},
        content_type="multipart/form-data",
    )


def committed_case(**fields):
    case = make_case(**fields)
    db.session.commit()
    return case


# ---------------------------------------------------------------------------------------------- accepted uploads


@pytest.mark.parametrize(
    ("content", "filename", "content_type"),
    [(PDF, "blood test.pdf", "application/pdf"), (JPEG, "MRI scan.JPG", "image/jpeg"), (PNG, "x-ray.png", "image/png")],
)
def test_pdf_jpeg_and_png_records_are_stored_under_a_random_name_outside_static(
    app, as_role, archive, content, filename, content_type
):
    case = committed_case()
    client = as_role("coordinator")

    response = upload(client, case.id, content, filename, description="From the patient's clinic")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/cases/{case.id}#documents"
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.case_id == case.id))
    assert document.original_filename == filename
    assert document.content_type == content_type
    assert document.size_bytes == len(content)
    assert document.description == "From the patient's clinic"
    assert len(document.stored_name) == 32 and int(document.stored_name, 16) >= 0
    assert filename not in document.stored_name
    assert stored_files(archive) == [archive / document.stored_name]
    assert (archive / document.stored_name).read_bytes() == content
    assert not (archive / document.stored_name).is_relative_to(Path(app.static_folder))


def test_a_downloaded_record_is_identical_and_sent_as_an_attachment(as_role):
    case = committed_case()
    client = as_role("coordinator")
    upload(client, case.id, PDF, "discharge letter.pdf")
    document = db.session.scalar(select(CaseDocument))

    response = client.get(f"/cases/{case.id}/documents/{document.id}")

    assert response.status_code == 200
    assert response.data == PDF
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert "discharge letter.pdf" in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"] == "no-store"
    assert "sandbox" in response.headers["Content-Security-Policy"]


def test_the_stored_hash_is_the_sha256_of_the_content(as_role):
    import hashlib

    case = committed_case()
    upload(as_role("admin"), case.id, PNG, "scan.png")
    assert db.session.scalar(select(CaseDocument.sha256)) == hashlib.sha256(PNG).hexdigest()


def test_an_upload_writes_a_case_event_and_an_audit_row(as_role, users):
    case = committed_case()
    upload(as_role("coordinator"), case.id, PDF, "biopsy.pdf")

    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "document"))
    assert event.note == "Uploaded biopsy.pdf (medical record)" and event.actor_id == users["coordinator"].id
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_document"))
    assert audit.actor_id == users["coordinator"].id
    assert audit.object_type == "case" and audit.object_id == str(case.id)
    assert audit.details["filename"] == "biopsy.pdf" and audit.details["size_bytes"] == len(PDF)


# ---------------------------------------------------------------------------------------------- refused uploads


@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (HTML, "report.pdf", "is not a PDF document"),
        (EXE, "report.pdf", "is not a PDF document"),
        (EXE, "photo.jpg", "is not a JPEG image"),
        (PNG, "report.pdf", "looks like a PNG image but is named .pdf"),
        (PDF, "scan.png", "looks like a PDF document but is named .png"),
        (JPEG, "scan.png", "looks like a JPEG image but is named .png"),
        (PDF, "report.html", "only PDF, JPEG and PNG files are accepted"),
        (PDF, "report.pdf.exe", "only PDF, JPEG and PNG files are accepted"),
        (PDF, "report", "only PDF, JPEG and PNG files are accepted"),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused_and_nothing_is_stored(
    as_role, archive, content, filename, says
):
    case = committed_case()
    response = upload(as_role("coordinator"), case.id, content, filename)

    assert response.status_code == 422
    assert says in response.get_data(as_text=True)
    assert count_documents() == 0
    assert stored_files(archive) == []
    assert db.session.scalar(select(func.count()).where(CaseEvent.kind == "document")) == 0


def test_a_file_above_the_size_limit_is_refused_with_413_naming_the_limit(app, as_role, archive, monkeypatch):
    change_settings(monkeypatch, app, max_document_mb=1)
    case = committed_case()
    client = as_role("coordinator")

    too_big = upload(client, case.id, PDF + b"0" * (1024 * 1024), "large scan.pdf")

    assert too_big.status_code == 413
    assert "larger than the limit of 1 MB" in too_big.get_data(as_text=True)
    assert count_documents() == 0 and stored_files(archive) == []
    just_fits = upload(client, case.id, PDF + b"0" * (1024 * 1024 - len(PDF)), "large scan.pdf")
    assert just_fits.status_code == 302


def test_a_request_above_the_apps_upload_limit_is_refused_with_413(app, as_role, archive, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    case = committed_case()
    response = upload(as_role("coordinator"), case.id, PDF + b"0" * (128 * 1024), "scan.pdf")
    assert response.status_code == 413
    assert count_documents() == 0 and stored_files(archive) == []


def test_an_empty_file_is_refused(as_role, archive):
    case = committed_case()
    response = upload(as_role("coordinator"), case.id, b"", "empty.pdf")
    assert response.status_code == 422
    assert "“empty.pdf” is empty" in response.get_data(as_text=True)
    assert count_documents() == 0 and stored_files(archive) == []


def test_an_upload_without_a_file_asks_for_one(as_role):
    case = committed_case()
    response = as_role("coordinator").post(f"/cases/{case.id}/documents", data={"description": "x"})
    assert response.status_code == 422
    assert "Choose a file to upload" in response.get_data(as_text=True)


def test_a_description_above_300_characters_is_refused(as_role, archive):
    case = committed_case()
    response = upload(as_role("coordinator"), case.id, PDF, "a.pdf", description="x" * 301)
    assert response.status_code == 422
    assert "under 300 characters" in response.get_data(as_text=True)
    assert count_documents() == 0 and stored_files(archive) == []


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_closed_and_cancelled_cases_take_no_more_records(as_role, archive, state):
    case = committed_case(state=state)
    response = upload(as_role("coordinator"), case.id, PDF, "late.pdf")
    assert response.status_code == 422
    assert "no more documents can be added" in response.get_data(as_text=True)
    assert count_documents() == 0 and stored_files(archive) == []


def test_uploading_to_an_unknown_case_is_a_404(as_role, archive):
    assert upload(as_role("coordinator"), 99999, PDF, "a.pdf").status_code == 404
    assert stored_files(archive) == []


def test_an_upload_without_csrf_token_is_refused(as_role, archive):
    case = committed_case()
    response = as_role("coordinator").post(
        f"/cases/{case.id}/documents", data={"file": (BytesIO(PDF), "a.pdf")}, csrf=False
    )
    assert response.status_code == 400
    assert count_documents() == 0 and stored_files(archive) == []


# ---------------------------------------------------------------------------------------------- file names


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("/var/www/static/../../../tmp/x.pdf", "x.pdf"),
        ("report\u202egpj.pdf", "reportgpj.pdf"),
        ("tab\tname.pdf", "tabname.pdf"),
        ("  spaced   out .pdf", "spaced out .pdf"),
        ("ﺗﻘﺮﻳﺮ ﻃﺒﻲ.pdf", "ﺗﻘﺮﻳﺮ ﻃﺒﻲ.pdf"),
    ],
)
def test_the_uploaded_file_name_is_kept_only_as_a_safe_display_name(as_role, archive, tmp_path, sent, shown):
    case = committed_case()
    response = upload(as_role("coordinator"), case.id, PDF, sent)

    assert response.status_code == 302
    document = db.session.scalar(select(CaseDocument))
    assert document.original_filename == shown
    assert stored_files(archive) == [archive / document.stored_name]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["documents"]


@pytest.mark.parametrize(
    ("sent", "shown"),
    [
        ("C:\\Users\\amal\\Desktop\\scan.pdf", "scan.pdf"),
        ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
        ("bad\r\nname\x00\x1b.pdf", "badname.pdf"),
        ("..", ""),
        ("", ""),
        (None, ""),
    ],
)
def test_display_names_lose_windows_paths_and_control_characters(sent, shown):
    assert documents.display_name(sent) == shown


def test_a_very_long_file_name_is_cut_to_255_characters_keeping_its_extension():
    name = documents.display_name("a" * 400 + ".pdf")
    assert len(name) == 255 and name.endswith("a.pdf")


def test_a_name_of_only_a_path_is_refused(as_role, archive):
    case = committed_case()
    response = upload(as_role("coordinator"), case.id, PDF, "../../")
    assert response.status_code == 422
    assert count_documents() == 0 and stored_files(archive) == []


# ---------------------------------------------------------------------------------------------- who may do it


@pytest.mark.parametrize("role", ["finance", "patient"])
def test_finance_and_patients_may_neither_upload_nor_download_medical_records(as_role, archive, role):
    case = committed_case()
    stored = documents.store_document(case.id, FileStorage(BytesIO(PDF), "a.pdf"), "", make_user("admin").id)
    db.session.commit()
    client = as_role(role)

    assert upload(client, case.id, PDF, "b.pdf").status_code == 403
    assert client.get(f"/cases/{case.id}/documents/{stored.id}").status_code == 403
    assert count_documents() == 1
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "case_document_downloaded")) == 0


def test_the_anonymous_are_sent_to_the_login_page(client, archive):
    case = committed_case()
    stored = documents.store_document(case.id, FileStorage(BytesIO(PDF), "a.pdf"), "", make_user("admin").id)
    db.session.commit()

    for response in (
        upload(client, case.id, PDF, "b.pdf"),
        client.get(f"/cases/{case.id}/documents/{stored.id}"),
    ):
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login")
    assert count_documents() == 1


# ---------------------------------------------------------------------------------------------- downloads


def test_a_document_asked_for_under_another_case_is_not_found(as_role):
    case, other = committed_case(), committed_case()
    actor = make_user("coordinator")
    stored = documents.store_document(case.id, FileStorage(BytesIO(PDF), "a.pdf"), "", actor.id)
    db.session.commit()
    client = as_role("coordinator")

    assert client.get(f"/cases/{other.id}/documents/{stored.id}").status_code == 404
    assert client.get(f"/cases/{case.id}/documents/99999").status_code == 404
    assert client.get(f"/cases/{case.id}/documents/{stored.id}").status_code == 200


def test_a_document_whose_file_is_missing_is_not_found(as_role, archive):
    case = committed_case()
    stored = documents.store_document(case.id, FileStorage(BytesIO(PDF), "a.pdf"), "", make_user("admin").id)
    db.session.commit()
    (archive / stored.stored_name).unlink()

    response = as_role("coordinator").get(f"/cases/{case.id}/documents/{stored.id}")

    assert response.status_code == 404
    assert "missing from the archive" in response.get_data(as_text=True)


def test_every_download_is_written_to_the_audit_log(as_role, users):
    case = committed_case()
    stored = documents.store_document(case.id, FileStorage(BytesIO(JPEG), "scan.jpg"), "", users["admin"].id)
    db.session.commit()
    client = as_role("coordinator")

    client.get(f"/cases/{case.id}/documents/{stored.id}")
    client.get(f"/cases/{case.id}/documents/{stored.id}")

    downloads = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case_document_downloaded")).all()
    assert len(downloads) == 2
    assert {d.actor_id for d in downloads} == {users["coordinator"].id}
    assert downloads[0].object_id == str(case.id) and downloads[0].details["document_id"] == stored.id


# ---------------------------------------------------------------------------------------------- operations


def test_the_written_file_is_removed_when_the_database_refuses_the_row(archive, monkeypatch):
    case = committed_case()
    actor = make_user("coordinator")

    def refuse(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(documents, "record_case_event", refuse)
    with pytest.raises(RuntimeError):
        documents.store_document(case.id, FileStorage(BytesIO(PDF), "a.pdf"), "", actor.id)
    assert stored_files(archive) == []


def test_the_archive_may_not_lie_inside_the_static_folder(app, monkeypatch):
    case = committed_case()
    change_settings(monkeypatch, app, case_documents_dir=str(Path(app.static_folder) / "documents"))
    with pytest.raises(RuntimeError, match="static"):
        documents.store_document(case.id, FileStorage(BytesIO(PDF), "a.pdf"), "", make_user().id)
    assert not (Path(app.static_folder) / "documents").exists()


def test_refusals_are_domain_errors_with_a_message_for_people():
    case = committed_case()
    with pytest.raises(DomainError, match=r"looks like a JPEG image but is named \.pdf") as refused:
        documents.store_document(case.id, FileStorage(BytesIO(JPEG), "scan.pdf"), "", make_user().id)
    assert refused.value.status_code == 422


def test_listing_a_cases_documents_is_one_statement_with_the_uploaders(count_queries):
    case = committed_case()
    uploaders = [make_user("coordinator") for _ in range(5)]
    for n, uploader in enumerate(uploaders):
        documents.store_document(case.id, FileStorage(BytesIO(PDF), f"record {n}.pdf"), "", uploader.id)
    case_id, uploader_names = case.id, {u.name for u in uploaders}
    db.session.commit()
    db.session.expunge_all()

    with count_queries() as statements:
        listed = documents.list_documents(case_id)
        names = {document.uploaded_by.name for document in listed}

    assert len(statements) == 1
    assert len(listed) == 5 and names == uploader_names
    assert listed[0].original_filename == "record 4.pdf"


# ---------------------------------------------------------------------------------------------- the panel


def render_panel(app, user, case):
    with app.test_request_context():
        login_user(user)
        return render_template(
            "cases/_documents.html",
            case=case,
            documents=documents.list_documents(case.id),
            upload_form=DocumentUploadForm(),
            type_form=DocumentTypeForm(),
            remove_form=DocumentRemoveForm(),
            share_form=ConfirmForm(),
            request_form=DocumentRequestForm(),
            document_requests=document_sharing.open_requests([case.id]),
            document_types=DOCUMENT_TYPES,
        )


def test_the_documents_panel_lists_records_with_download_links_and_an_upload_form(app, users):
    case = committed_case()
    stored = documents.store_document(
        case.id, FileStorage(BytesIO(PDF + b"0" * 3000), "lab <results>.pdf"), "Haematology", users["admin"].id
    )
    db.session.commit()

    html = render_panel(app, users["coordinator"], case)

    assert f'href="/cases/{case.id}/documents/{stored.id}"' in html
    assert "lab &lt;results&gt;.pdf" in html and "<results>" not in html
    assert "Haematology" in html and "Alice Admin" in html and "4 KB" in html
    assert 'enctype="multipart/form-data"' in html and 'name="csrf_token"' in html
    assert 'accept=".pdf,.jpg,.jpeg,.png"' in html and 'name="description"' in html
    assert "style=" not in html and "<script" not in html


def test_the_documents_panel_shows_finance_no_record_names(app, users):
    case = committed_case()
    documents.store_document(case.id, FileStorage(BytesIO(PDF), "hiv test.pdf"), "", users["admin"].id)
    db.session.commit()

    html = render_panel(app, users["finance"], case)

    assert "hiv test.pdf" not in html and "<form" not in html


def test_the_documents_panel_of_a_closed_case_has_no_upload_form(app, users):
    html = render_panel(app, users["coordinator"], committed_case(state="closed"))
    assert "<form" not in html and "no more records can be added" in html


def test_after_an_upload_the_case_page_lists_the_record_with_its_download_link(as_role):
    case = committed_case()
    client = as_role("coordinator")

    page = client.get(upload(client, case.id, PDF, "echocardiogram.pdf").headers["Location"])

    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "added to the case" in body and "echocardiogram.pdf" in body
    assert f"/cases/{case.id}/documents/" in body


def test_finance_does_not_see_the_names_of_medical_records_on_the_case_page(as_role, users):
    case = committed_case()
    documents.store_document(case.id, FileStorage(BytesIO(PDF), "hiv test.pdf"), "", users["admin"].id)
    db.session.commit()

    page = as_role("finance").get(f"/cases/{case.id}")

    assert page.status_code == 200
    assert "hiv test.pdf" not in page.get_data(as_text=True)


def test_a_record_named_in_any_script_downloads_under_its_name(as_role):
    case = committed_case()
    client = as_role("coordinator")
    upload(client, case.id, PDF, "تقرير الخروج Выписка.pdf")
    document = db.session.scalar(select(CaseDocument))
    document.original_filename = "Ann\r\nLee \u202eevil.pdf"  # as an older upload may have stored it
    db.session.commit()
    response = client.get(f"/cases/{case.id}/documents/{document.id}")
    assert response.status_code == 200 and response.data == PDF
    header = response.headers["Content-Disposition"]
    header.encode("ascii")
    assert header == 'attachment; filename="Ann Lee evil.pdf"'  # plain ASCII once cleaned: no second form needed
    assert response.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"


# ---------------------------------------------------------------------------------------------- types, preview, removal


def upload_typed(client, case_id, content: bytes, filename: str, document_type: str):
    return client.post(
        f"/cases/{case_id}/documents",
        data={"file": (BytesIO(content), filename), "description": "", "document_type": document_type},
        content_type="multipart/form-data",
    )


def test_a_document_is_uploaded_with_its_type_and_existing_ones_are_medical_records(as_role):
    case = committed_case()
    client = as_role("coordinator")

    assert upload_typed(client, case.id, PDF, "rx.pdf", "prescription").status_code == 302
    assert upload(client, case.id, PDF, "mri.pdf").status_code == 302  # no type sent: a medical record
    response = upload_typed(client, case.id, PDF, "x.pdf", "lab_report")

    assert response.status_code == 422 and count_documents() == 2
    types = dict(db.session.execute(select(CaseDocument.original_filename, CaseDocument.document_type)).all())
    assert types == {"rx.pdf": "prescription", "mri.pdf": "medical_record"}
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert '<option value="prescription" selected>Prescription</option>' in page


def test_a_documents_type_can_be_corrected_and_the_change_is_on_the_timeline(as_role, users):
    case = committed_case()
    client = as_role("coordinator")
    upload(client, case.id, PDF, "rx.pdf")
    document = db.session.scalar(select(CaseDocument))

    response = client.post(f"/cases/{case.id}/documents/{document.id}/type", data={"document_type": "prescription"})

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseDocument, document.id).document_type == "prescription"
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "document").order_by(CaseEvent.id)).all()[-1]
    assert event.note == "rx.pdf: medical record → prescription"
    bad = client.post(f"/cases/{case.id}/documents/{document.id}/type", data={"document_type": "nonsense"})
    assert bad.status_code == 422


@pytest.mark.parametrize(
    ("content", "filename", "mimetype"), [(PDF, "a.pdf", "application/pdf"), (PNG, "b.png", "image/png")]
)
def test_a_pdf_or_image_is_previewed_inline_in_a_sandboxed_response(as_role, content, filename, mimetype):
    case = committed_case()
    client = as_role("coordinator")
    upload(client, case.id, content, filename)
    document = db.session.scalar(select(CaseDocument))

    page = client.get(f"/cases/{case.id}/documents/{document.id}/preview")
    inline = client.get(f"/cases/{case.id}/documents/{document.id}/inline")

    assert page.status_code == 200
    source = f'src="/cases/{case.id}/documents/{document.id}/inline"'
    assert source in page.get_data(as_text=True)
    assert ("<iframe" if mimetype == "application/pdf" else "<img") in page.get_data(as_text=True)
    assert inline.status_code == 200 and inline.data == content and inline.mimetype == mimetype
    assert inline.headers["Content-Disposition"].startswith("inline")
    assert "sandbox" in inline.headers["Content-Security-Policy"]
    assert "frame-ancestors 'self'" in inline.headers["Content-Security-Policy"]
    assert inline.headers["X-Content-Type-Options"] == "nosniff"
    assert db.session.scalar(select(func.count()).where(AuditEvent.action == "case_document_previewed")) == 1


def test_a_stored_file_changed_behind_our_back_is_neither_shown_nor_downloaded_and_the_refusal_is_audited(
    as_role, archive
):
    case = committed_case()
    client = as_role("coordinator")
    upload(client, case.id, PDF, "a.pdf")
    document = db.session.scalar(select(CaseDocument))
    os.chmod(archive / document.stored_name, 0o600)
    (archive / document.stored_name).write_bytes(HTML)  # changed in the archive behind our back

    inline = client.get(f"/cases/{case.id}/documents/{document.id}/inline")
    download = client.get(f"/cases/{case.id}/documents/{document.id}")

    assert inline.status_code == 503 and inline.mimetype == "text/plain" and b"<script>" not in inline.data
    assert download.status_code == 503 and b"<script>" not in download.data
    refusals = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "stored_file_refused")).all()
    assert len(refusals) == 2
    assert refusals[0].details["key"] == f"documents/{document.stored_name}"
    assert refusals[0].details["expected_sha256"] == document.sha256


def test_a_stored_file_that_is_not_what_it_claims_is_not_shown_inline(as_role, archive):
    """A document recorded as a PDF whose bytes (recorded as uploaded) are not one: downloadable, never inline."""
    case = committed_case()
    client = as_role("coordinator")
    upload(client, case.id, PDF, "a.pdf")
    document = db.session.scalar(select(CaseDocument))
    os.chmod(archive / document.stored_name, 0o600)
    (archive / document.stored_name).write_bytes(HTML)
    document.sha256 = hashlib.sha256(HTML).hexdigest()
    db.session.execute(update(StoredFile).values(sha256=document.sha256))
    db.session.commit()

    inline = client.get(f"/cases/{case.id}/documents/{document.id}/inline")

    assert inline.status_code == 422 and "cannot be previewed" in inline.get_data(as_text=True)
    assert inline.mimetype == "text/plain" and b"<script>" not in inline.data


def test_a_removed_document_is_hidden_kept_and_audited_with_who_when_and_why(app, as_role, users, archive):
    case = committed_case()
    client = as_role("coordinator")
    upload(client, case.id, PDF, "wrong-patient.pdf")
    document = db.session.scalar(select(CaseDocument))

    assert client.post(f"/cases/{case.id}/documents/{document.id}/remove", data={"reason": ""}).status_code == 422
    response = client.post(
        f"/cases/{case.id}/documents/{document.id}/remove", data={"reason": "Uploaded to the wrong case"}
    )

    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(CaseDocument, document.id)
    assert stored.removed_by_id == users["coordinator"].id and stored.removed_at is not None
    assert stored.removal_reason == "Uploaded to the wrong case"
    assert (archive / stored.stored_name).is_file()  # the file is kept
    assert documents.list_documents(case.id) == []
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Removed wrong-patient.pdf (medical record): Uploaded to the wrong case" in page  # the timeline
    assert f"/documents/{document.id}/preview" not in page
    assert client.get(f"/cases/{case.id}/documents/{document.id}").status_code == 404
    admin = app.test_client()
    login_as(admin, users["admin"])
    assert admin.get(f"/cases/{case.id}/documents/{document.id}").status_code == 200
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_document_removed"))
    assert audit.details["document_id"] == document.id


def test_a_removed_medical_record_does_not_count_for_the_records_review(as_role, users):
    from backoffice.cases.operations import blockers, get_case

    case = committed_case(state="contacted", coordinator=users["coordinator"])
    client = as_role("coordinator")
    upload(client, case.id, PDF, "mri.pdf")
    upload_typed(client, case.id, PDF, "passport.pdf", "passport_visa")
    record = db.session.scalar(select(CaseDocument).where(CaseDocument.original_filename == "mri.pdf"))
    client.post(f"/cases/{case.id}/documents/{record.id}/remove", data={"reason": "duplicate"})

    db.session.expire_all()
    assert blockers(get_case(case.id), "records_review") == [
        "Upload at least one medical record before the records review."
    ]


def test_an_upload_whose_commit_answer_was_lost_keeps_the_stored_file(app, as_role, monkeypatch, tmp_path):
    """The medical record may have been stored: its row must not point at a file removed by our rollback."""
    change_settings(monkeypatch, app, case_documents_dir=str(tmp_path))
    case = make_case(state="contacted")
    db.session.commit()
    client = as_role("coordinator")
    dialect = db.engine.dialect
    really_commit = dialect.do_commit

    def commit_then_lose_the_connection(dbapi_connection):
        really_commit(dbapi_connection)
        raise dialect.loaded_dbapi.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(dialect, "do_commit", commit_then_lose_the_connection)
    response = upload(client, case.id, PDF, "biopsy.pdf")
    monkeypatch.undo()

    assert response.status_code == 503
    db.session.expire_all()
    document = db.session.query(CaseDocument).filter_by(case_id=case.id).one()
    assert [p for p in Path(tmp_path).rglob("*") if p.is_file()], "the stored medical record was removed"
    assert document.original_filename == "biopsy.pdf"
