"""The bookings page and its forms, as coordinators, finance and patients meet them."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backoffice.cases.models import CaseEvent
from backoffice.extensions import db
from backoffice.logistics.models import Flight, HospitalAppointment, HotelStay, Transfer
from backoffice.money import Money
from tests.factories import make_case, make_hospital, make_physician
from tests.logistics.factories import (
    local,
    make_appointment,
    make_confirmed_case,
    make_flight,
    make_hotel,
    make_transfer,
)


def soon(days: int = 0) -> date:
    return date.today() + timedelta(days=30 + days)


@pytest.fixture
def case(users):
    return make_confirmed_case(users["coordinator"])


def count(model) -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def page_of(response) -> str:
    return response.get_data(as_text=True)


FLIGHT = {
    "flight_number": "ek 45",
    "airline": "Emirates",
    "from_airport": "dxb",
    "to_airport": "FRA",
    "departure_time": "02:40",
    "arrival_time": "07:05",
    "passengers": "Amira Haddad",
    "cost_amount": "3105.00",
    "cost_currency": "AED",
}


def flight_form(**changes) -> dict:
    return {"departure_on": soon().isoformat(), "arrival_on": soon().isoformat(), **FLIGHT, **changes}


# ---------------------------------------------------------------------------------------------- the list


def test_the_bookings_page_shows_each_kind_with_local_times_status_and_costs(as_role, case):
    make_appointment(case, admission_on=soon(), start_hour=9, cost=Money("17650.00", "EUR"))
    flight = make_flight(
        case,
        departs_at=local(soon(), 2, 40, "Asia/Dubai"),
        arrives_at=local(soon(), 7, 5),
        status="requested",
        supplier_reference="",
        cost=Money("3105.00", "AED"),
    )
    make_hotel(case, check_in_on=soon(), check_out_on=soon(21), cost=Money("2400.50", "EUR"))
    make_transfer(case, pickup_at=local(soon(), 8), flight=flight, status="cancelled", cost=Money("85.00", "EUR"))
    db.session.commit()

    page = page_of(as_role("coordinator").get(f"/cases/{case.id}/bookings"))
    assert "Clinic of Advanced Biological Medicine" in page and "Dr. Ulrich Weber" in page
    assert "09:00 CET" in page or "09:00 CEST" in page
    assert "02:40 +04" in page, "the departure in Dubai's local time"
    assert "EK45" in page and "Dubai (DXB)" in page and "Hotel am Main" in page and "21 nights" in page
    assert "Meets EK45" in page
    assert "Requested" in page and "Confirmed" in page and "Cancelled" in page
    assert "€17,650.00" in page and "AED" in page
    # The costs box: bookings not cancelled, per currency (the cancelled transfer's €85 is not counted).
    assert "Logistics costs" in page and "€20,050.50" in page
    assert ">Confirm</button>" in page and "Cancel booking" in page and "Book flight" in page


def test_finance_reads_the_bookings_and_costs_but_cannot_change_them(as_role, case):
    stay = make_hotel(case, check_in_on=soon(), check_out_on=soon(3), status="requested", cost=Money("300", "EUR"))
    db.session.commit()
    client = as_role("finance")
    page = page_of(client.get(f"/cases/{case.id}/bookings"))
    assert "Hotel am Main" in page and "€300.00" in page
    assert ">Confirm</button>" not in page and "Cancel booking" not in page and "Book flight" not in page

    assert client.get(f"/cases/{case.id}/bookings/flight/new").status_code == 403
    assert client.post(f"/cases/{case.id}/bookings/flight/new", data=flight_form()).status_code == 403
    assert client.get(f"/cases/{case.id}/bookings/hotel/{stay.id}/edit").status_code == 403
    assert (
        client.post(f"/cases/{case.id}/bookings/hotel/{stay.id}/confirm", data={"supplier_reference": "X"}).status_code
        == 403
    )
    assert client.post(f"/cases/{case.id}/bookings/hotel/{stay.id}/cancel", data={"reason": "X"}).status_code == 403
    assert count(Flight) == 0 and db.session.get(HotelStay, stay.id).status == "requested"


def test_finance_does_not_see_the_appointments_notes(as_role, case):
    make_appointment(case, admission_on=soon(), notes="Bring the HbA1c results")
    db.session.commit()
    assert "HbA1c" not in page_of(as_role("finance").get(f"/cases/{case.id}/bookings"))


def test_patients_never_reach_the_bookings(as_role, case):
    client = as_role("patient")
    assert client.get(f"/cases/{case.id}/bookings").status_code == 403
    assert client.get(f"/cases/{case.id}/bookings/hotel/new").status_code == 403
    assert client.post(f"/cases/{case.id}/bookings/flight/new", data=flight_form()).status_code == 403
    assert count(Flight) == 0


def test_the_signed_out_are_sent_to_the_login_page(client, case):
    response = client.get(f"/cases/{case.id}/bookings")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_unknown_cases_kinds_and_bookings_are_not_found(as_role, case):
    client = as_role("coordinator")
    assert client.get("/cases/424242/bookings").status_code == 404
    assert client.get("/cases/424242/bookings/hotel/new").status_code == 404
    assert client.get(f"/cases/{case.id}/bookings/cruise/new").status_code == 404
    assert client.get(f"/cases/{case.id}/bookings/hotel/424242/edit").status_code == 404


def test_a_booking_of_another_case_is_not_found(as_role, case):
    other = make_case(state="confirmed")
    stay = make_hotel(other, check_in_on=soon(), check_out_on=soon(3), status="requested")
    db.session.commit()
    client = as_role("coordinator")
    base = f"/cases/{case.id}/bookings/hotel/{stay.id}"
    assert client.get(f"{base}/edit").status_code == 404
    assert client.post(f"{base}/edit", data={"hotel_name": "Mine now"}).status_code == 404
    assert client.post(f"{base}/confirm", data={"supplier_reference": "R1"}).status_code == 404
    assert client.post(f"{base}/cancel", data={"reason": "Not mine"}).status_code == 404
    # the same id as another kind is not this hotel either
    assert client.get(f"/cases/{other.id}/bookings/flight/{stay.id}/edit").status_code == 404
    stored = db.session.get(HotelStay, stay.id)
    assert (stored.status, stored.hotel_name) == ("requested", "Hotel am Main")


def test_the_list_page_runs_the_same_number_of_statements_for_2_and_12_bookings(as_role, case, count_queries):
    client = as_role("coordinator")

    def add(n):
        for i in range(n):
            flight = make_flight(case, departs_at=local(soon(i), 2, 40, "Asia/Dubai"), arrives_at=local(soon(i), 7, 5))
            make_transfer(case, pickup_at=local(soon(i), 8), flight=flight, cost=Money("85.00", "EUR"))
        db.session.commit()

    add(1)
    with count_queries() as few:
        assert client.get(f"/cases/{case.id}/bookings").status_code == 200
    make_appointment(case, admission_on=soon())
    make_hotel(case, check_in_on=soon(), check_out_on=soon(3))
    add(4)  # 12 bookings: 1 appointment, 1 hotel, 5 flights, 5 transfers
    with count_queries() as many:
        page = page_of(client.get(f"/cases/{case.id}/bookings"))
    assert page.count("Meets EK45") == 5
    assert len(many) == len(few)


# ---------------------------------------------------------------------------------------------- the forms


def test_a_coordinator_books_a_flight_through_the_form(as_role, case):
    client = as_role("coordinator")
    page = page_of(client.get(f"/cases/{case.id}/bookings/flight/new"))
    assert 'type="date"' in page and 'type="time"' in page and "From (IATA code)" in page

    response = client.post(f"/cases/{case.id}/bookings/flight/new", data=flight_form())
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}/bookings"
    flight = db.session.scalar(select(Flight))
    assert (flight.flight_number, flight.from_airport, flight.status) == ("EK45", "DXB", "requested")
    assert flight.departs_at == local(soon(), 2, 40, "Asia/Dubai") and flight.cost == Money("3105.00", "AED")
    page = page_of(client.get(f"/cases/{case.id}/bookings"))
    assert "Flight EK45 DXB→FRA: requested." in page
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "booking"))
    assert event.note == "Flight EK45 DXB→FRA requested"


def test_an_appointment_form_offers_the_physicians_of_the_case_hospital(as_role, case):
    make_physician(make_hospital(name="Klinik Elsewhere"), name="Dr. Anna Berg")
    db.session.commit()
    client = as_role("coordinator")
    page = page_of(client.get(f"/cases/{case.id}/bookings/appointment/new"))
    assert "Dr. Ulrich Weber" in page and "Dr. Anna Berg" not in page

    response = client.post(
        f"/cases/{case.id}/bookings/appointment/new",
        data={
            "hospital_id": str(case.hospital_id),
            "physician_id": str(case.physician_id),
            "programme_id": str(case.programme_id),
            "start_on": soon().isoformat(),
            "start_time": "09:30",
            "admission_on": "",
            "discharge_on": "",
            "cost_amount": "17650.00",
            "cost_currency": "EUR",
        },
    )
    assert response.status_code == 302
    appointment = db.session.scalar(select(HospitalAppointment))
    assert appointment.starts_at == local(soon(), 9, 30) and appointment.admission_on == soon()
    assert appointment.discharge_on == soon(21), "the programme's typical stay"


def test_a_transfer_form_offers_the_cases_flights(as_role, case):
    flight = make_flight(case, departs_at=local(soon(), 2, 40, "Asia/Dubai"), arrives_at=local(soon(), 7, 5))
    foreign = make_flight(
        make_case(), departs_at=local(soon(), 2, 40, "Asia/Dubai"), arrives_at=local(soon(), 7, 5), flight_number="QR1"
    )
    db.session.commit()
    client = as_role("coordinator")
    page = page_of(client.get(f"/cases/{case.id}/bookings/transfer/new"))
    assert "EK45 DXB→FRA" in page and "QR1" not in page
    data = {
        "from_kind": "airport",
        "from_place": "FRA Terminal 1",
        "to_kind": "hotel",
        "to_place": "Hotel am Main",
        "pickup_on": soon().isoformat(),
        "pickup_time": "08:00",
    }
    assert (
        client.post(f"/cases/{case.id}/bookings/transfer/new", data={**data, "flight_id": foreign.id}).status_code
        == 422
    )
    response = client.post(f"/cases/{case.id}/bookings/transfer/new", data={**data, "flight_id": flight.id})
    assert response.status_code == 302
    assert db.session.scalar(select(Transfer)).flight_id == flight.id


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"departure_time": "10:00", "arrival_time": "05:00"}, "The arrival is before the departure"),
        ({"to_airport": "ZZZ"}, "&#39;ZZZ&#39; is not a known airport"),
        ({"flight_number": "EK-45"}, "is not a flight number"),
        ({"departure_on": "2026-02-30"}, "Not a valid date value"),
        ({"departure_time": "25:61"}, "Not a valid time value"),
        ({"departure_on": (date.today() - timedelta(days=1)).isoformat()}, "cannot start in the past"),
        ({"cost_amount": "12,50"}, "is not an amount"),
        ({"cost_amount": "-5"}, "cannot be negative"),
        ({"cost_currency": "XYZ"}, "not an ISO 4217 currency"),
        ({"passengers": ""}, "Enter the passengers."),
        ({"from_airport": "FRANK"}, "Field cannot be longer than 3 characters."),
    ],
)
def test_a_bad_flight_form_is_refused_with_its_reason_and_nothing_is_stored(as_role, case, changes, message):
    response = as_role("coordinator").post(f"/cases/{case.id}/bookings/flight/new", data=flight_form(**changes))
    assert response.status_code == 422
    assert message in page_of(response)
    assert count(Flight) == 0 and count(CaseEvent) == 1  # only the case's "opened" line


def test_a_hotel_checking_out_before_checking_in_is_refused(as_role, case):
    response = as_role("coordinator").post(
        f"/cases/{case.id}/bookings/hotel/new",
        data={"hotel_name": "Hotel am Main", "check_in_on": soon(5).isoformat(), "check_out_on": soon(2).isoformat()},
    )
    assert response.status_code == 422 and "Check-out must be after check-in" in page_of(response)
    assert count(HotelStay) == 0


def test_a_second_appointment_is_refused_on_the_form(as_role, case):
    make_appointment(case, admission_on=soon(), status="requested")
    db.session.commit()
    response = as_role("coordinator").post(
        f"/cases/{case.id}/bookings/appointment/new",
        data={"hospital_id": str(case.hospital_id), "start_on": soon(3).isoformat(), "start_time": "10:00"},
    )
    assert response.status_code == 422 and "already has a hospital appointment" in page_of(response)
    assert count(HospitalAppointment) == 1


def test_a_form_without_its_csrf_token_is_refused(as_role, case):
    response = as_role("coordinator").post(f"/cases/{case.id}/bookings/flight/new", data=flight_form(), csrf=False)
    assert response.status_code == 400 and count(Flight) == 0


def test_the_edit_form_shows_the_local_times_and_saves_a_change(as_role, case):
    flight = make_flight(
        case, departs_at=local(soon(), 2, 40, "Asia/Dubai"), arrives_at=local(soon(), 7, 5), status="requested"
    )
    db.session.commit()
    client = as_role("coordinator")
    page = page_of(client.get(f"/cases/{case.id}/bookings/flight/{flight.id}/edit"))
    assert 'value="02:40"' in page and 'value="07:05"' in page and f'value="{soon().isoformat()}"' in page

    response = client.post(
        f"/cases/{case.id}/bookings/flight/{flight.id}/edit",
        data=flight_form(passengers="Amira Haddad, Omar Haddad", cost_amount="", cost_currency="EUR"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    stored = db.session.get(Flight, flight.id)
    assert stored.passengers == "Amira Haddad, Omar Haddad" and stored.status == "requested"


def test_confirming_on_the_page_needs_the_reference(as_role, case):
    stay = make_hotel(case, check_in_on=soon(), check_out_on=soon(3), status="requested")
    db.session.commit()
    client = as_role("coordinator")
    url = f"/cases/{case.id}/bookings/hotel/{stay.id}/confirm"

    response = client.post(url, data={"supplier_reference": ""})
    assert response.status_code == 422 and "Enter the supplier&#39;s reference" in page_of(response)
    db.session.expire_all()
    assert db.session.get(HotelStay, stay.id).status == "requested"

    assert client.post(url, data={"supplier_reference": "HAM-4471"}).status_code == 302
    db.session.expire_all()
    stored = db.session.get(HotelStay, stay.id)
    assert (stored.status, stored.supplier_reference) == ("confirmed", "HAM-4471")
    assert "Ref. HAM-4471" in page_of(client.get(f"/cases/{case.id}/bookings"))


def test_cancelling_on_the_page_then_no_more_changes(as_role, case):
    stay = make_hotel(case, check_in_on=soon(), check_out_on=soon(3), status="confirmed")
    db.session.commit()
    client = as_role("coordinator")
    base = f"/cases/{case.id}/bookings/hotel/{stay.id}"
    assert client.post(f"{base}/cancel", data={"reason": ""}).status_code == 422
    assert client.post(f"{base}/cancel", data={"reason": "Patient stays with family"}).status_code == 302

    response = client.post(
        f"{base}/edit",
        data={"hotel_name": "Other", "check_in_on": soon().isoformat(), "check_out_on": soon(3).isoformat()},
    )
    assert response.status_code == 422 and "can no longer change" in page_of(response)
    assert client.post(f"{base}/confirm", data={"supplier_reference": "X"}).status_code == 422
    db.session.expire_all()
    stored = db.session.get(HotelStay, stay.id)
    assert (stored.status, stored.hotel_name) == ("cancelled", "Hotel am Main")
    page = page_of(client.get(f"/cases/{case.id}/bookings"))
    assert "Cancelled: Patient stays with family" in page and f"{base}/edit" not in page


# ---------------------------------------------------------------------------------------------- the page's layout


def test_the_bookings_page_offers_to_edit_the_active_appointment_not_to_book_a_second(case, as_role):
    client = as_role("coordinator")
    page = client.get(f"/cases/{case.id}/bookings").get_data(as_text=True)
    assert "Book hospital appointment" in page and "Edit the appointment" not in page

    stay = make_appointment(case, admission_on=soon(), status="requested")
    db.session.commit()
    page = client.get(f"/cases/{case.id}/bookings").get_data(as_text=True)
    assert "Book hospital appointment" not in page
    assert f'href="/cases/{case.id}/bookings/appointment/{stay.id}/edit">Edit the appointment</a>' in page
    assert client.get(f"/cases/{case.id}/bookings/appointment/{stay.id}/edit").status_code == 200

    stay.status = "cancelled"
    db.session.commit()
    page = client.get(f"/cases/{case.id}/bookings").get_data(as_text=True)
    assert "Book hospital appointment" in page and "Edit the appointment" not in page


def test_the_bookings_page_lays_the_tables_out_in_one_column_with_the_costs_first(case, as_role):
    make_appointment(case, admission_on=soon())
    db.session.commit()
    page = as_role("coordinator").get(f"/cases/{case.id}/bookings").get_data(as_text=True)
    assert 'class="bookings-grid"' in page and "case-side" not in page
    assert page.index('id="costs"') < page.index('id="appointment"')
    assert 'class="booking-actions"' in page
