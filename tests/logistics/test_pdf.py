"""The patient's itinerary PDF and the one PDF renderer: WeasyPrint reads nothing but the app's static files."""

from __future__ import annotations

import logging
import shutil
import subprocess
import unicodedata

import pytest
from sqlalchemy import select
from weasyprint import HTML

from backoffice.cases import history
from backoffice.cases.models import CaseEvent
from backoffice.extensions import db
from backoffice.logistics.itinerary.document import PDF_HELPERS, render_itinerary_pdf
from backoffice.logistics.itinerary.items import days
from backoffice.logistics.itinerary.loading import load_itinerary
from backoffice.pdf import RefusedURL, StaticFilesOnly, render_pdf, static_root
from backoffice.trail import AuditEvent
from tests.logistics.test_itinerary import make_trip


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) is not installed")
    result = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    return " ".join(result.stdout.decode().split())  # lines wrap where the layout wants: compare words


GERMAN = {"Accept-Language": "de"}


def arabic_pdf_text(pdf: bytes) -> str:
    """pdftotext's words with Arabic as written: its presentation forms folded (NFKC), its direction marks dropped
    (the order of the words of a right-to-left line is pdftotext's, so compare words, not lines)."""
    text = unicodedata.normalize("NFKC", pdf_text(pdf))
    return " ".join("".join(char for char in text if unicodedata.category(char) != "Cf").split())


def itinerary_pdf(case_id: int, language: str = "en") -> bytes:
    itinerary = load_itinerary(case_id)
    return render_pdf(
        "logistics/itinerary_pdf.html",
        language=language,
        itinerary=itinerary,
        days=days(itinerary, include_cancelled=False),
        operator_name="MedTravel Coordination GmbH",
        generated_on=itinerary.items[0].starts_at.date(),
        **PDF_HELPERS,
    )


def test_the_itinerary_pdf_shows_the_programme_and_the_trip_for_the_patient(app, users):
    trip = make_trip(coordinator=users["coordinator"], patient_name="Amal Haddad")
    trip.pickup.notes = "INTERNAL: patient was difficult on the phone"
    trip.pickup.cost_amount, trip.pickup.cost_currency = 85, "EUR"
    trip.drop_off.status = "cancelled"
    db.session.flush()
    with app.test_request_context():
        pdf = itinerary_pdf(trip.case.id)
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    assert "Amal Haddad" in text and trip.case.number in text and "MedTravel Coordination GmbH" in text
    assert "Leukocytapheresis and cryopreservation" in text and "Transplantation" in text
    assert "Clinic of Advanced Biological Medicine" in text and "Musterstraße 1" in text
    assert "Wednesday, May 12, 2027, 09:00 CEST" in text  # the appointment, local time with its zone
    assert "02:40 +04" in text and "07:05 CEST" in text and "Jonas, phone +49 170 555" in text
    assert "Carl Coordinator, coord@test.example" in text
    assert (
        "INTERNAL" not in text and "85.00" not in text and "€" not in text and "EUR" not in text
    )  # no notes, no costs
    assert "Hotel am Main to FRA Terminal 1" not in text  # the cancelled ride is left out


def test_coordinator_downloads_the_pdf_and_the_download_is_audited(users, as_role):
    trip = make_trip()
    db.session.commit()
    response = as_role("coordinator").get(f"/cases/{trip.case.id}/itinerary.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert f'filename="itinerary-{trip.case.number}.pdf"' in response.headers["Content-Disposition"]
    assert "Amal Haddad" in pdf_text(response.data)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "itinerary_pdf_downloaded"))
    assert event.actor_id == users["coordinator"].id and event.object_id == str(trip.case.id)


@pytest.mark.parametrize("role", ["finance", "patient"])
def test_finance_and_patients_do_not_download_the_staff_pdf(users, as_role, role):
    trip = make_trip()
    db.session.commit()
    assert as_role(role).get(f"/cases/{trip.case.id}/itinerary.pdf").status_code == 403


def test_the_pdf_of_an_unknown_case_is_404(users, as_role):
    assert as_role("admin").get("/cases/424242/itinerary.pdf").status_code == 404


# ---------------------------------------------------------------------------------------------- the patient's language


def itinerary_pdf_of_patient_speaking(app, coordinator, language: str, **trip) -> bytes:
    trip = make_trip(coordinator=coordinator, preferred_language=language, **trip)
    db.session.flush()
    with app.test_request_context():
        return render_itinerary_pdf(load_itinerary(trip.case.id))


def test_an_arabic_speaking_patients_itinerary_pdf_has_arabic_headings(app, users):
    text = arabic_pdf_text(itinerary_pdf_of_patient_speaking(app, users["coordinator"], "ar"))
    # (words without the lam-alef ligature, which pdftotext gives back in reverse)
    for heading in ("برنامج الرحلة", "مستشفاك", "موعدك", "منسقك الشخصي", "المرحلة"):
        assert heading in text
    assert "Amal Haddad" in text and "+49 69 1234 0" in text and "09:00 CEST" in text
    assert "Your treatment trip" not in text and "Wednesday" not in text


def test_a_turkish_speaking_patients_itinerary_pdf_is_english(app, users):
    text = pdf_text(itinerary_pdf_of_patient_speaking(app, users["coordinator"], "tr"))
    assert "Your treatment trip" in text and "Wednesday, May 12, 2027, 09:00 CEST" in text
    assert "Page 1 of 2" in text


def test_a_german_patients_itinerary_pdf_is_german(app, users):
    text = pdf_text(itinerary_pdf_of_patient_speaking(app, users["coordinator"], "de"))
    assert "Ihre Behandlungsreise" in text and "Mittwoch, 12. Mai 2027, 09:00 CEST" in text
    assert "Aufnahme: Mittwoch, 12. Mai 2027" in text and "Seite 1 von 2" in text


@pytest.mark.parametrize("language", ["en", "ar"])
def test_a_patients_name_with_markup_prints_as_text_in_the_translated_sentences(app, users, language):
    pdf = itinerary_pdf_of_patient_speaking(app, users["coordinator"], language, patient_name="<b>Amal</b> & Co")
    assert "<b>Amal</b> & Co" in pdf_text(pdf)


def test_the_itinerary_pdf_is_in_the_patients_language_whoever_downloads_it(users, as_role):
    trip = make_trip(preferred_language="ru")
    db.session.commit()
    text = pdf_text(as_role("coordinator").get(f"/cases/{trip.case.id}/itinerary.pdf", headers=GERMAN).data)
    assert "Ваша поездка на лечение" in text and "среда, 12 мая 2027" in text
    assert "Страница 1 из 2" in text and "Ihre Behandlungsreise" not in text


# ---------------------------------------------------------------------------------------------- the URL fetcher


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://example.com/style.css",
        "https://example.com/logo.png",
        "ftp://example.com/file",
        "file://otherhost/etc/passwd",
    ],
)
def test_the_renderer_refuses_anything_but_static_files(app, url):
    with pytest.raises(RefusedURL):
        StaticFilesOnly(static_root_of(app)).fetch(url)


def test_the_renderer_refuses_to_climb_out_of_the_static_folder(app):
    root = static_root_of(app)
    with pytest.raises(RefusedURL):
        StaticFilesOnly(root).fetch(f"file://{root}/../../../../etc/passwd")
    with pytest.raises(RefusedURL):
        StaticFilesOnly(root).fetch(f"file://{root}/../__init__.py")


def test_the_renderer_serves_static_files_and_data_urls(app):
    root = static_root_of(app)
    fetcher = StaticFilesOnly(root)
    response = fetcher.fetch(f"file://{root}/pdf/itinerary.css")
    assert response.content_type == "text/css" and b"@page" in response.read()
    assert fetcher.fetch("data:text/plain;base64,aGVsbG8=").read() == b"hello"


def test_a_document_linking_a_server_file_renders_without_it(app, caplog):
    root = static_root_of(app)
    html = '<p>Hello</p><img src="file:///etc/passwd"><link rel="stylesheet" href="http://example.com/x.css">'
    with caplog.at_level(logging.WARNING, logger="backoffice.pdf"):
        pdf = HTML(string=html, base_url=f"file://{root}/", url_fetcher=StaticFilesOnly(root)).write_pdf()
    assert pdf.startswith(b"%PDF")
    refused = [record.getMessage() for record in caplog.records if record.name == "backoffice.pdf"]
    assert any("/etc/passwd" in message for message in refused)
    assert any("http://example.com/x.css" in message for message in refused)


def static_root_of(app):
    with app.app_context():
        return static_root()


# ---------------------------------------------------------------------------------------------- open problems


def test_the_pdf_is_not_handed_out_while_problems_are_open_without_a_word(users, as_role):
    trip = make_trip()
    trip.to_hospital.status = "cancelled"  # nobody takes the patient to the hospital on the admission day
    db.session.commit()
    client = as_role("coordinator")
    itinerary_page = client.get(f"/cases/{trip.case.id}/itinerary").get_data(as_text=True)
    assert "1 problem open" in itinerary_page

    warning = client.get(f"/cases/{trip.case.id}/itinerary.pdf")
    assert warning.status_code == 200 and warning.mimetype == "text/html"
    page = warning.get_data(as_text=True)
    assert "The itinerary still has 1 open problem" in page and 'data-finding="admission_without_transfer"' in page
    assert "Download anyway" in page
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "itinerary_pdf_downloaded")) is None


def test_downloading_the_pdf_anyway_is_recorded_on_the_case_timeline_with_the_problems(users, as_role):
    trip = make_trip()
    trip.to_hospital.status = "cancelled"
    db.session.commit()
    client = as_role("coordinator")
    response = client.post(f"/cases/{trip.case.id}/itinerary.pdf/anyway")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    [event] = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == trip.case.id, CaseEvent.kind == "itinerary")
    ).all()
    assert event.actor_id == users["coordinator"].id
    assert "downloaded anyway with 1 open problem(s): No transfer takes the patient to" in event.note
    case_page = client.get(f"/cases/{trip.case.id}").get_data(as_text=True)
    assert "Itinerary PDF downloaded anyway" in case_page
    # Finance reads the timeline without the details.
    texts = [entry["text"] for entry in history.timeline(trip.case.id, health_data=False)]
    assert "Itinerary PDF downloaded despite open problems" in texts


def test_a_pdf_without_open_problems_downloads_straight_away_and_notes_nothing(users, as_role):
    trip = make_trip()
    db.session.commit()
    response = as_role("coordinator").post(f"/cases/{trip.case.id}/itinerary.pdf/anyway")
    assert response.mimetype == "application/pdf"
    assert db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "itinerary")) is None
