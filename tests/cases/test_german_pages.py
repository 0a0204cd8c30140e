"""Issue 17: a German-speaking staff member gets the case pages in German - the list, the case page with its panels,
a new case, a document's preview, the flash messages and refusals - while everybody else keeps the English."""

from __future__ import annotations

from io import BytesIO

import pytest
from sqlalchemy import select

from backoffice.cases.models import CaseDocument
from backoffice.extensions import db
from tests.factories import make_case, make_patient, make_programme
from tests.helpers import change_settings, login_as, page_text

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def upload_record(client, case) -> None:
    client.post(
        f"/cases/{case.id}/documents",
        data={"file": (BytesIO(PDF), "befund.pdf"), "document_type": "medical_record"},
        content_type="multipart/form-data",
    )


@pytest.fixture(autouse=True)
def archive(app, tmp_path, monkeypatch):
    change_settings(monkeypatch, app, case_documents_dir=str(tmp_path / "documents"))


@pytest.fixture
def case(users):
    case = make_case(
        patient=make_patient(name="Layla Haddad", preferred_language="en"),
        coordinator=users["coordinator"],
        state="contacted",
        programme=make_programme(),
    )
    db.session.commit()
    return case


def test_a_german_speaking_coordinator_sees_the_case_list_in_german(as_german, case):
    body = page_text(as_german("coordinator").get("/cases/?sort=state&dir=asc"))
    assert '<html lang="de"' in body
    for text in ("Fälle", "Neuer Fall", "Alle Status", "Meine Fälle", "Nur überfällige", "Filtern", "Kontaktiert"):
        assert text in body, text
    assert "All states" not in body and "Overdue only" not in body


def test_a_german_speaking_coordinator_sees_the_case_page_in_german(as_german, case):
    client = as_german("coordinator")
    upload_record(client, case)
    client.post(f"/cases/{case.id}/notes", data={"kind": "internal", "body": "Rückruf am Montag"})
    client.post(f"/cases/{case.id}/reminders", data={"due_on": "2099-01-01", "text": "Befunde nachfragen"})
    body = page_text(client.get(f"/cases/{case.id}"))

    assert '<html lang="de"' in body
    for text in (
        "Patient/in und Anfrage",
        "Mails und Dokumente auf",
        "Sprache ändern",
        "Klinik und Programm",
        "Kontraindikations-Screening",
        "Nächster Schritt",
        "Weiter zu „Prüfung der Unterlagen“",
        "Zurückstellen",
        "Fall stornieren",
        "Erinnerungen",
        "Befunde nachfragen",
        "Dokumente",
        "Herunterladen",
        "Interne Notiz",
        "Verlauf",
        "Koordination",
        "Zuweisen",
        "Keine offenen Probleme.",
    ):
        assert text in body, text
    for english in ("Patient and request", "Next step", "Move to Records review", "Add reminder", "Timeline"):
        assert english not in body, english


def test_a_german_speaking_coordinator_gets_flash_messages_and_refusals_in_german(as_german, case):
    client = as_german("coordinator")
    response = client.post(f"/cases/{case.id}/transition", data={"to_state": "on_hold", "version": case.version})
    assert response.status_code == 422
    assert "Geben Sie an, warum der Fall zurückgestellt wird." in page_text(response)

    response = client.post(f"/cases/{case.id}/patient-language", data={"preferred_language": "xx"})
    assert response.status_code == 400
    assert "Wählen Sie eine der Sprachen, in denen Mails und Dokumente" in page_text(response)

    response = client.post(f"/cases/{case.id}/patient-language", data={"preferred_language": "ru", "seen": "en"})
    assert response.status_code == 302
    assert "sind jetzt auf Русский." in page_text(client.get(f"/cases/{case.id}"))

    response = client.post(f"/cases/{case.id}/reminders", data={"text": "x"})
    assert response.status_code == 422 and "Fällig am: " in page_text(response)


def test_a_german_speaking_coordinator_opens_a_new_case_in_german(as_german):
    client = as_german("coordinator")
    body = page_text(client.get("/cases/new"))
    assert '<html lang="de"' in body and "Neuer Fall aus einem Anruf oder einer E-Mail" in body
    assert "Fall eröffnen" in body and "Eingegangen per" in body
    response = client.post("/cases/new", data={"name": "Amal"})
    assert response.status_code == 422 and "Wählen Sie das Wohnsitzland." in page_text(response)


def test_a_german_speaking_coordinator_previews_a_document_in_german(as_german, case):
    client = as_german("coordinator")
    upload_record(client, case)
    document = db.session.scalar(select(CaseDocument))
    body = page_text(client.get(f"/cases/{case.id}/documents/{document.id}/preview"))
    assert '<html lang="de"' in body and "Herunterladen" in body and "Medizinischer Befund" in body
    assert "hochgeladen von" in body


def test_german_speaking_finance_sees_the_case_page_in_german_without_health_data(as_german, case):
    body = page_text(as_german("finance").get(f"/cases/{case.id}"))
    assert '<html lang="de"' in body and "Patient/in und Anfrage" in body and "Probleme" in body
    assert "Sprache ändern" not in body


def test_staff_without_a_saved_language_keep_the_english_case_page(client, users, case):
    login_as(client, users["coordinator"])
    body = page_text(client.get(f"/cases/{case.id}"))
    assert '<html lang="en"' in body and "Patient and request" in body and "Move to Records review" in body
