"""A patient sees the trip of their own case in the portal, at each place's local time, in their language, and
downloads its itinerary PDF in their language; never another patient's."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.patients.models import Patient
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_hospital, make_patient
from tests.logistics.factories import (
    local,
    make_appointment,
    make_flight,
    make_hotel,
    make_interpreter,
    make_interpreter_booking,
    make_transfer,
)

ADMISSION = date(2026, 12, 14)


def page_text(response) -> str:
    """The page with Babel's narrow no-break spaces (in "3:00 AM") as plain ones."""
    return response.get_data(as_text=True).replace("\u202f", " ")


def patient_case(user, *, language="en", state="confirmed", coordinator=None, **fields):
    patient = make_patient(name="Paula Patient", email=user.email, preferred_language=language)
    patient.user_id = user.id
    return make_case(patient=patient, state=state, coordinator=coordinator, **fields)


def patient_of(case) -> Patient:
    return db.session.get(Patient, case.patient_id)


def book_trip(case, hospital=None):
    if hospital is not None:
        make_appointment(case, hospital=hospital, admission_on=ADMISSION, days=10, start_hour=8)
    make_hotel(case, check_in_on=ADMISSION - timedelta(days=2), check_out_on=ADMISSION)
    flight = make_flight(
        case,
        departs_at=local(ADMISSION - timedelta(days=2), 3, tz="Asia/Dubai"),
        arrives_at=local(ADMISSION - timedelta(days=2), 7, 30),
    )
    make_transfer(case, pickup_at=local(ADMISSION - timedelta(days=2), 8, 15), flight=flight)
    make_interpreter_booking(case, make_interpreter(), starts_at=local(ADMISSION, 8))
    make_flight(
        case,
        departs_at=local(ADMISSION + timedelta(days=11), 12),
        arrives_at=local(ADMISSION + timedelta(days=11), 20, tz="Asia/Dubai"),
        from_airport="FRA",
        to_airport="DXB",
        departure_tz="Europe/Berlin",
        arrival_tz="Asia/Dubai",
        flight_number="EK46",
        status="cancelled",
    )


@pytest.fixture
def paula_trip(users):
    hospital = make_hospital(name="Klinik am Fluss")
    hospital.address = "Uferstraße 5"
    case = patient_case(users["patient"], coordinator=users["coordinator"], hospital_id=hospital.id)
    book_trip(case, hospital)
    db.session.commit()
    return case


def test_the_trip_shows_every_booking_at_its_places_local_time_with_the_coordinator(as_role, paula_trip):
    body = page_text(as_role("patient").get("/portal/trip"))
    for text in (
        "Klinik am Fluss",
        "Uferstraße 5, Frankfurt am Main",
        "Monday, December 14, 2026",  # the admission day
        "Thursday, December 24, 2026",  # the expected discharge
        "EK45",
        "Saturday, December 12, 2026, 3:00 AM +04",  # leaves Dubai at Dubai's time
        "Saturday, December 12, 2026, 7:30 AM CET",  # lands at Frankfurt's
        "Hotel am Main",
        "Mainkai 1, 60311 Frankfurt am Main",
        "FRA Terminal 1</bdi> → <bdi>Hotel am Main",
        "8:15 AM CET",
        "Layla Haddad",
        "Carl Coordinator",
        "+49 69 1234 5670",
        "/portal/trip/itinerary.pdf",
    ):
        assert text in body, text
    assert "EK46" not in body, "a cancelled flight"


def test_the_trip_is_in_the_patients_language(client, users, paula_trip):
    patient_of(paula_trip).preferred_language = "ru"
    db.session.commit()
    client.post("/login", data={"email": users["patient"].email, "password": "correct horse battery"})
    body = client.get("/portal/trip").get_data(as_text=True)
    assert 'lang="ru"' in body
    assert "Моя поездка" in body and "понедельник, 14 декабря 2026" in body


def test_a_case_without_bookings_says_the_trip_is_being_planned(as_role, users):
    patient_case(users["patient"])
    db.session.commit()
    body = as_role("patient").get("/portal/trip").get_data(as_text=True)
    assert "Your coordinator is planning your trip" in body and "itinerary.pdf" not in body


def test_the_open_case_is_shown_and_the_patient_may_choose_another_of_theirs(as_role, users):
    closed = patient_case(users["patient"], state="closed", requested_at=utcnow() - timedelta(days=400))
    running = make_case(patient=patient_of(closed), state="confirmed")
    db.session.commit()
    client = as_role("patient")
    body = client.get("/portal/trip").get_data(as_text=True)
    assert f"Case {running.number}</strong>" in body and f"/portal/cases/{closed.id}/trip" in body
    older = client.get(f"/portal/cases/{closed.id}/trip").get_data(as_text=True)
    assert f"Case {closed.number}</strong>" in older


def test_another_patients_trip_and_itinerary_are_not_found(as_role, users, paula_trip):
    peter = patient_case(users["patient2"])
    db.session.commit()
    client = as_role("patient")
    answers = [client.get(url) for url in (f"/portal/cases/{peter.id}/trip", f"/portal/cases/{peter.id}/itinerary.pdf")]
    assert [a.status_code for a in answers] == [404, 404]
    assert "There is nothing of yours at this address." in answers[0].get_data(as_text=True)


def test_the_itinerary_pdf_is_rendered_in_the_patients_language_and_audited(as_role, paula_trip, monkeypatch):
    rendered_in = []

    def fake_render(itinerary):
        from flask_babel import get_locale

        rendered_in.append((itinerary.case_id, str(get_locale())))
        return b"%PDF-1.7\n%%EOF\n"

    monkeypatch.setattr("backoffice.portal.trip.render_itinerary_pdf", fake_render)
    patient_of(paula_trip).preferred_language = "ar"
    db.session.commit()
    response = as_role("patient").get("/portal/trip/itinerary.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert rendered_in == [(paula_trip.id, "ar")]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "portal.itinerary_downloaded"))
    assert event.object_id == str(paula_trip.id) and event.details["language"] == "ar"


def test_the_real_itinerary_pdf_downloads(as_role, paula_trip):
    response = as_role("patient").get(f"/portal/cases/{paula_trip.id}/itinerary.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_the_trip_page_runs_a_fixed_number_of_statements(as_role, users, paula_trip, count_queries):
    client = as_role("patient")
    client.get("/portal/trip")
    with count_queries() as few:
        client.get("/portal/trip")
    book_trip(paula_trip)  # every kind of booking once more (one appointment per case)
    db.session.commit()
    with count_queries() as many:
        assert client.get("/portal/trip").status_code == 200
    assert len(many) == len(few), [s.split()[0:6] for s in many]


def test_the_trip_reads_right_to_left_in_arabic(client, users, paula_trip):
    patient_of(paula_trip).preferred_language = "ar"
    db.session.commit()
    client.post("/login", data={"email": users["patient"].email, "password": "correct horse battery"})
    body = client.get("/portal/trip").get_data(as_text=True)
    assert 'lang="ar" dir="rtl"' in body
    assert "رحلتي" in body and "الاثنين، 14 ديسمبر 2026" in body
    assert "<bdi>FRA Terminal 1</bdi> ← <bdi>Hotel am Main</bdi>" in body
