"""A German-speaking coordinator works the trip logistics in German: bookings, itinerary and its findings,
interpreters, follow-ups and the calendar feed page; refusals and confirmations come in German too. What is stored
(the case's timeline) stays in English, and the English pages stay as they were."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from backoffice.cases.models import CaseEvent
from backoffice.extensions import db
from backoffice.logistics import follow_ups
from tests.helpers import page_text
from tests.logistics.factories import (
    local,
    make_appointment,
    make_confirmed_case,
    make_flight,
    make_interpreter,
    make_interpreter_booking,
)
from tests.logistics.test_follow_up_views import discharged_case


def soon(days: int = 0) -> date:
    return date.today() + timedelta(days=30 + days)


@pytest.fixture
def trip(users):
    """A confirmed case with its appointment and a flight in that no transfer meets."""
    case = make_confirmed_case(users["coordinator"])
    make_appointment(case, admission_on=soon(1))
    make_flight(case, departs_at=local(soon(), 2, tz="Asia/Dubai"), arrives_at=local(soon(), 7))
    interpreter = make_interpreter()
    make_interpreter_booking(case, interpreter, starts_at=local(soon(1), 10))
    db.session.commit()
    return {"case": case, "interpreter": interpreter}


def test_a_german_speaking_coordinator_sees_the_bookings_in_german(as_german, trip):
    client = as_german("coordinator")
    page = page_text(client.get(f"/cases/{trip['case'].id}/bookings"))
    assert '<html lang="de"' in page
    assert "Logistikkosten" in page and "Kliniktermin" in page and "Flug buchen" in page
    assert "Noch kein Hotel gebucht." in page and "Buchung stornieren" in page
    form = page_text(client.get(f"/cases/{trip['case'].id}/bookings/hotel/new"))
    assert "Hotelaufenthalt buchen" in form and "Buchung anfragen" in form


def test_a_german_speaking_coordinator_is_refused_a_booking_form_in_german(as_german, trip):
    client = as_german("coordinator")
    response = client.post(f"/cases/{trip['case'].id}/bookings/hotel/new", data={"hotel_name": ""})
    assert response.status_code == 422
    page = page_text(response)
    assert "Geben Sie den Namen des Hotels ein." in page and "Geben Sie das Datum ein." in page


def test_a_german_speaking_coordinator_sees_the_itinerary_and_its_findings_in_german(as_german, trip):
    client = as_german("coordinator")
    page = page_text(client.get(f"/cases/{trip['case'].id}/itinerary"))
    assert '<html lang="de"' in page and "Tag für Tag" in page and "Befunde zum Reiseplan" in page
    assert "Kein Transfer holt Flug EK45 (DXB → FRA) ab" in page
    assert "Buchen Sie eine Flughafenabholung" in page
    assert f"{format_date(soon(), 'EEE dd. MMM yyyy', locale='de')}, 07:00 CET" in page  # a day the German way
    warning = page_text(client.get(f"/cases/{trip['case'].id}/itinerary.pdf"))
    assert "Der Reiseplan hat noch" in warning and "Trotzdem herunterladen" in warning


def test_a_pdf_downloaded_anyway_is_noted_on_the_timeline_in_english_whatever_the_page_language(as_german, trip):
    client = as_german("coordinator")
    response = client.post(f"/cases/{trip['case'].id}/itinerary.pdf/anyway")
    assert response.status_code == 200
    note = db.session.scalar(select(CaseEvent.note).where(CaseEvent.note.like("Itinerary PDF downloaded anyway%")))
    assert "No transfer meets flight EK45 (DXB → FRA)" in note and "Kein Transfer" not in note


def test_a_german_speaking_coordinator_books_interpreters_in_german(as_german, trip):
    client = as_german("coordinator")
    case_page = page_text(client.get(f"/cases/{trip['case'].id}/interpreters"))
    assert "Dolmetscher/innen für" in case_page and "bestätigt" in case_page and "Arabisch" in case_page
    directory = page_text(client.get("/interpreters/"))
    assert "Alle Sprachen" in directory and "Stundensatz" in directory
    detail = page_text(client.get(f"/interpreters/{trip['interpreter'].id}"))
    assert "Anstehende Buchungen" in detail
    assert "Dolmetscher/in hinzufügen" in page_text(client.get("/interpreters/new"))
    assert "Änderungen speichern" in page_text(client.get(f"/interpreters/{trip['interpreter'].id}/edit"))
    assert "Dolmetscher/in buchen" in page_text(client.get(f"/cases/{trip['case'].id}/interpreters/book"))
    response = client.post(
        f"/cases/{trip['case'].id}/interpreters/book", data={"interpreter_id": "x"}, follow_redirects=True
    )
    assert response.status_code == 422
    assert "Wählen Sie eine Dolmetscherin oder einen Dolmetscher aus der Liste." in page_text(response)


def test_a_german_speaking_coordinator_sees_the_due_follow_ups_in_german(as_german, users):
    client = as_german("coordinator")
    case = discharged_case(users["coordinator"], days_ago=33, patient_name="Amira Carlsen")
    db.session.commit()
    page = page_text(client.get("/follow-ups/"))
    assert "Fällige Nachsorgetermine" in page and "Überfällig" in page and "Ergebnis erfassen" in page
    follow_up = follow_ups.case_follow_ups(case.id)[0]
    detail = page_text(client.get(f"/follow-ups/{follow_up.id}"))
    assert "Als erledigt markieren" in detail and "Fällig am" in detail
    response = client.post(
        f"/follow-ups/{follow_up.id}/done", data={"result": "ok", "done_on": date.today().isoformat()}
    )
    assert response.status_code == 422
    assert "Schreiben Sie das Ergebnis in 3 bis 2000 Zeichen." in page_text(response)


def test_a_german_speaking_coordinator_manages_the_calendar_feed_in_german(as_german):
    client = as_german("coordinator")
    page = page_text(client.get("/calendar/feed"))
    assert "Mein Kalender-Feed" in page and "Sie haben keinen Kalender-Feed." in page
    refused = client.post("/calendar/feed/revoke", follow_redirects=True)
    assert "Es gibt keinen Kalender-Feed zum Widerrufen." in page_text(refused)
    made = page_text(client.post("/calendar/feed/new"))
    assert "Ihr neuer Kalender-Feed ist bereit." in made and "Ihre Feed-Adresse" in made


def test_an_english_speaking_coordinator_keeps_the_english_findings(as_role, trip):
    page = page_text(as_role("coordinator").get(f"/cases/{trip['case'].id}/itinerary"))
    assert '<html lang="en"' in page
    assert "No transfer meets flight EK45 (DXB → FRA) landing at" in page
