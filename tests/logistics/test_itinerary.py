"""The itinerary of a case: loaded from the bookings in time order, shown day by day in local times with findings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from flask import render_template

from backoffice.directory.models import ProgrammePhase
from backoffice.extensions import db
from backoffice.logistics.case_rules import itinerary_without_problems
from backoffice.logistics.itinerary import case_findings
from backoffice.logistics.itinerary.findings import find_problems
from backoffice.logistics.itinerary.items import days
from backoffice.logistics.itinerary.loading import LOAD_STATEMENTS, load_itinerary
from backoffice.logistics.timezones import format_day
from tests.factories import make_case, make_hospital, make_patient, make_physician, make_programme
from tests.helpers import change_settings
from tests.logistics.factories import (
    local,
    make_appointment,
    make_confirmed_case,
    make_flight,
    make_hotel,
    make_interpreter,
    make_interpreter_booking,
    make_transfer,
)

ARRIVAL_DAY = date(2027, 5, 10)
ADMISSION = date(2027, 5, 12)
DEPARTURE_DAY = date(2027, 5, 28)


@dataclass
class Trip:
    case: object
    hospital: object
    appointment: object
    inbound: object
    outbound: object
    pickup: object
    drop_off: object
    hotels: list
    interpreter_booking: object
    to_hospital: object = None  # the ride from the hotel on the admission day


def make_trip(
    *, coordinator=None, patient_name="Amal Haddad", preferred_language="ar", languages="en", state="travel_booked"
) -> Trip:
    """A complete trip with no findings: Dubai → Frankfurt on 10 May 2027, admission 12 May, home on 28 May."""
    hospital = make_hospital(name="Clinic of Advanced Biological Medicine", languages=("de", "en"))
    hospital.address = "Musterstraße 1, 60311 Frankfurt am Main"
    hospital.contact_name, hospital.contact_phone = "International Office", "+49 69 1234 0"
    hospital.contact_email = "international@clinic.example"
    programme = make_programme(hospital, name="Stem cell therapy")
    programme.phases.append(ProgrammePhase(position=2, name="Transplantation", duration="2 days", duration_days=2))
    physician = make_physician(hospital, name="Dr. Anna Weber")
    patient = make_patient(name=patient_name, preferred_language=preferred_language, languages=languages)
    case = make_case(
        patient=patient,
        state=state,
        coordinator=coordinator,
        hospital_id=hospital.id,
        programme_id=programme.id,
        physician_id=physician.id,
    )
    appointment = make_appointment(case, admission_on=ADMISSION, days=14)  # discharge 26 May
    inbound = make_flight(case, departs_at=local(ARRIVAL_DAY, 2, 40, "Asia/Dubai"), arrives_at=local(ARRIVAL_DAY, 7, 5))
    outbound = make_flight(
        case,
        departs_at=local(DEPARTURE_DAY, 10, 0),
        arrives_at=local(DEPARTURE_DAY, 18, 30, "Asia/Dubai"),
        from_airport="FRA",
        to_airport="DXB",
        departure_tz="Europe/Berlin",
        arrival_tz="Asia/Dubai",
        flight_number="EK46",
    )
    pickup = make_transfer(
        case, pickup_at=local(ARRIVAL_DAY, 7, 50), flight=inbound, driver_name="Jonas", driver_phone="+49 170 555"
    )
    drop_off = make_transfer(
        case,
        pickup_at=local(DEPARTURE_DAY, 7, 0),
        flight=outbound,
        from_kind="hotel",
        from_place="Hotel am Main",
        to_kind="airport",
        to_place="FRA Terminal 1",
    )
    hotels = [
        make_hotel(case, check_in_on=ARRIVAL_DAY, check_out_on=ADMISSION),
        make_hotel(case, check_in_on=date(2027, 5, 26), check_out_on=DEPARTURE_DAY),
    ]
    interpreter = make_interpreter()
    booking = make_interpreter_booking(case, interpreter, starts_at=local(ADMISSION, 8, 30))
    to_hospital = make_transfer(
        case,
        pickup_at=local(ADMISSION, 8, 0),
        from_kind="hotel",
        from_place="Hotel am Main",
        to_kind="hospital",
        to_place="Clinic of Advanced Biological Medicine",
    )
    return Trip(case, hospital, appointment, inbound, outbound, pickup, drop_off, hotels, booking, to_hospital)


# ---------------------------------------------------------------------------------------------- loading


def test_the_itinerary_has_every_booking_in_time_order(users):
    trip = make_trip(coordinator=users["coordinator"])
    itinerary = load_itinerary(trip.case.id)
    assert [item.uid for item in itinerary.items] == [
        f"flight-{trip.inbound.id}",
        f"transfer-{trip.pickup.id}",
        f"hotel-{trip.hotels[0].id}",
        f"transfer-{trip.to_hospital.id}",
        f"interpreter-{trip.interpreter_booking.id}",
        f"appointment-{trip.appointment.id}",
        f"hotel-{trip.hotels[1].id}",
        f"transfer-{trip.drop_off.id}",
        f"flight-{trip.outbound.id}",
    ]
    assert itinerary.hospital.name == "Clinic of Advanced Biological Medicine" and itinerary.hospital.country == "DE"
    assert [phase.name for phase in itinerary.phases] == ["Leukocytapheresis and cryopreservation", "Transplantation"]
    assert itinerary.patient_languages == ("ar", "en")
    assert itinerary.coordinator_name == "Carl Coordinator"
    inbound = itinerary.flights[0]
    assert inbound.from_airport.city == "Dubai" and inbound.to_airport.country == "DE"
    assert inbound.cost is None and inbound.supplier_reference == "ABC123"


def test_loading_an_itinerary_takes_a_fixed_number_of_statements(users, count_queries):
    small = make_case()
    trip = make_trip()
    for n in range(3):  # more of everything
        make_hotel(trip.case, check_in_on=date(2027, 6, 1 + n), check_out_on=date(2027, 6, 2 + n))
        make_transfer(trip.case, pickup_at=local(date(2027, 6, 1 + n), 10), flight=trip.inbound)
    db.session.commit()
    for case_id in (small.id, trip.case.id):
        db.session.expire_all()
        with count_queries() as statements:
            load_itinerary(case_id)
        assert len(statements) == LOAD_STATEMENTS == 7


def test_an_unknown_case_has_no_itinerary(users, as_role):
    assert as_role("coordinator").get("/cases/999999/itinerary").status_code == 404


def test_days_group_items_by_their_local_day_with_check_outs_and_discharge(users):
    trip = make_trip()
    grouped = {day.on: [(e.item.kind, e.moment) for e in day.entries] for day in days(load_itinerary(trip.case.id))}
    assert grouped[ARRIVAL_DAY] == [("flight", "start"), ("transfer", "start"), ("hotel", "start")]
    assert grouped[ADMISSION] == [
        ("hotel", "end"),
        ("transfer", "start"),
        ("interpreter", "start"),
        ("appointment", "start"),
    ]
    assert grouped[date(2027, 5, 26)] == [("appointment", "discharge"), ("hotel", "start")]
    assert grouped[DEPARTURE_DAY] == [("hotel", "end"), ("transfer", "start"), ("flight", "start")]


def test_a_flight_leaving_before_midnight_utc_is_on_its_local_day(users):
    trip = make_trip()
    # Departs Dubai at 02:40 local on 10 May, which is 22:40 UTC on 9 May.
    assert trip.inbound.departs_at.date() == date(2027, 5, 9)
    first = days(load_itinerary(trip.case.id))[0]
    assert first.on == ARRIVAL_DAY


# ---------------------------------------------------------------------------------------------- findings of a case


def test_a_complete_trip_has_no_findings(users):
    trip = make_trip()
    assert case_findings(trip.case.id) == []


def test_the_pickup_buffer_comes_from_the_config(app, users, monkeypatch):
    trip = make_trip()
    trip.pickup.pickup_at = local(ARRIVAL_DAY, 7, 30)
    db.session.flush()
    assert [f.code for f in case_findings(trip.case.id)] == ["pickup_too_early"]
    change_settings(monkeypatch, app, itinerary_pickup_buffer_minutes=20)
    assert case_findings(trip.case.id) == []


# ---------------------------------------------------------------------------------------------- the page


def test_coordinator_sees_the_itinerary_in_local_times_grouped_by_day(users, as_role):
    trip = make_trip()
    trip.pickup.cost_amount, trip.pickup.cost_currency = 85, "EUR"
    trip.pickup.notes = "Patient uses a wheelchair at the airport"
    db.session.commit()
    page = as_role("coordinator").get(f"/cases/{trip.case.id}/itinerary").get_data(as_text=True)
    assert f"Itinerary · {trip.case.number} · Amal Haddad" in page
    assert "Monday 10 May 2027" in page and "Wednesday 12 May 2027" in page
    assert "departs Mon 10 May 2027, 02:40 +04, arrives Mon 10 May 2027, 07:05 CEST" in page
    assert "07:50 CEST" in page and "Dubai (DXB) → Frankfurt am Main (FRA)" in page
    assert "No problems found in the bookings made so far." in page
    assert "€85.00" in page and "wheelchair" in page
    assert "Download the patient's PDF" in page and f"/cases/{trip.case.id}/itinerary.ics" in page


def test_findings_show_on_the_itinerary_until_fixed(users, as_role):
    trip = make_trip()
    trip.pickup.status = "cancelled"
    db.session.commit()
    client = as_role("coordinator")
    page = client.get(f"/cases/{trip.case.id}/itinerary").get_data(as_text=True)
    assert "1 problem, 0 warnings" in page and "No transfer meets flight EK45" in page
    assert "Mon 10 May 2027, 07:05 CEST" in page and "No problems found in the bookings made so far." not in page
    make_transfer(trip.case, pickup_at=local(ARRIVAL_DAY, 8, 0), flight=trip.inbound)
    db.session.commit()
    assert "No problems found in the bookings made so far." in client.get(f"/cases/{trip.case.id}/itinerary").get_data(
        as_text=True
    )


def test_finance_reads_the_itinerary_with_costs_but_no_notes_or_downloads(users, as_role):
    trip = make_trip()
    trip.hotels[0].cost_amount, trip.hotels[0].cost_currency = 240, "EUR"
    trip.hotels[0].notes = "Late check-in agreed"
    db.session.commit()
    response = as_role("finance").get(f"/cases/{trip.case.id}/itinerary")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "€240.00" in page
    assert "Late check-in" not in page and "itinerary.pdf" not in page


def test_patients_and_visitors_never_reach_the_itinerary(users, as_role, client):
    trip = make_trip()
    db.session.commit()
    assert client.get(f"/cases/{trip.case.id}/itinerary").status_code == 302  # to the sign-in page
    assert as_role("patient").get(f"/cases/{trip.case.id}/itinerary").status_code == 403


def test_the_itinerary_page_runs_a_fixed_number_of_statements(users, as_role, count_queries):
    client = as_role("coordinator")
    small = make_case()
    trip = make_trip()
    for n in range(4):
        make_hotel(trip.case, check_in_on=date(2027, 6, 1 + n), check_out_on=date(2027, 6, 2 + n))
        make_transfer(trip.case, pickup_at=local(date(2027, 6, 1 + n), 10) + timedelta(minutes=n), flight=trip.inbound)
    db.session.commit()
    counts = []
    for case_id in (small.id, trip.case.id):
        with count_queries() as statements:
            assert client.get(f"/cases/{case_id}/itinerary").status_code == 200
        counts.append(len(statements))
    # the page around the itinerary: 3 statements, the menu's unread notifications and its count of unmatched mail
    assert counts[0] == counts[1] <= LOAD_STATEMENTS + 5


def test_the_findings_partial_for_the_case_page(users, app):
    trip = make_trip()
    trip.pickup.status = "cancelled"
    db.session.flush()
    with app.test_request_context():
        html = render_template("logistics/_findings.html", findings=case_findings(trip.case.id), case=trip.case)
        assert "Problem:" in html and "No transfer meets flight EK45" in html
        assert f"/cases/{trip.case.id}/itinerary" in html
        assert "No problems found in the bookings made so far." in render_template(
            "logistics/_findings.html", findings=[]
        )


# ---------------------------------------------------------------------------------------------- a late landing


ARRIVAL_LATE = "arrival_after_admission"
HOME_EARLY = "return_before_discharge"
OUT_DURING_STAY = "flight_out_during_stay"


def soon(days: int = 0) -> date:
    return date.today() + timedelta(days=30 + days)


@pytest.fixture
def case(users):
    return make_confirmed_case(users["coordinator"], languages=("de", "en", "ar"))


def late_trip(case):
    """Admitted at 09:00 on day 30, landing in Frankfurt at 07:00 the day after, met and housed properly."""
    stay = make_appointment(case, admission_on=soon(), days=5)
    landing = make_flight(case, departs_at=local(soon(1), 1), arrives_at=local(soon(1), 7))
    make_transfer(case, pickup_at=local(soon(1), 8), flight=landing)
    make_flight(
        case,
        departs_at=local(soon(5), 12),
        arrives_at=local(soon(5), 20, tz="Asia/Dubai"),
        from_airport="FRA",
        to_airport="DXB",
        departure_tz="Europe/Berlin",
        arrival_tz="Asia/Dubai",
        flight_number="EK46",
    )
    db.session.commit()
    return stay, landing


def test_the_itinerary_page_shows_the_late_landing_and_the_case_cannot_be_travel_booked(case, as_role):
    late_trip(case)
    client = as_role("coordinator")
    page = client.get(f"/cases/{case.id}/itinerary").get_data(as_text=True)
    assert f'data-finding="{ARRIVAL_LATE}"' in page
    assert f"but is admitted on {format_day(soon())}" in page
    assert "return_before_discharge" not in page

    response = client.post(f"/cases/{case.id}/transition", data={"to_state": "travel_booked", "version": case.version})
    assert response.status_code in (409, 422), response.status_code
    assert "The patient lands at Frankfurt am Main (FRA)" in response.get_data(as_text=True)
    db.session.expire_all()
    assert case.state == "confirmed"


def test_an_earlier_flight_clears_the_late_landing(case):
    _, landing = late_trip(case)
    landing.departs_at, landing.arrives_at = local(soon(-1), 1), local(soon(-1), 7)
    db.session.flush()
    codes = [f.code for f in find_problems(load_itinerary(case.id), today=date.today())]
    assert ARRIVAL_LATE not in codes, codes


def test_a_relatives_flight_home_is_shown_but_does_not_block_travel_booked(case, as_role):
    # Lands the evening before the admission, housed, met; her brother flies back on day 3; she flies home
    # the afternoon of the discharge day.
    make_appointment(case, admission_on=soon(), days=10)
    landing = make_flight(case, departs_at=local(soon(-1), 12), arrives_at=local(soon(-1), 18))
    make_transfer(case, pickup_at=local(soon(-1), 19), flight=landing)
    make_hotel(case, check_in_on=soon(-1), check_out_on=soon())
    for day, number, passengers in ((soon(3), "EK44", "Omar Haddad"), (soon(10), "EK46", "Patient")):
        home = make_flight(
            case,
            departs_at=local(day, 15),
            arrives_at=local(day, 23, 30, tz="Asia/Dubai"),
            from_airport="FRA",
            to_airport="DXB",
            departure_tz="Europe/Berlin",
            arrival_tz="Asia/Dubai",
            flight_number=number,
            passengers=passengers,
        )
    # Her rides: to the hospital on the admission day, to the airport for her flight home (EK46, the last one).
    make_transfer(case, pickup_at=local(soon(), 7), from_kind="hotel", from_place="Hotel am Main", to_kind="hospital")
    make_transfer(case, pickup_at=local(soon(10), 12), flight=home, from_kind="hospital", to_kind="airport")
    db.session.commit()
    client = as_role("coordinator")
    page = client.get(f"/cases/{case.id}/itinerary").get_data(as_text=True)
    assert f'data-finding="{OUT_DURING_STAY}"' in page and "with Omar Haddad, during the stay" in page
    assert f'data-finding="{HOME_EARLY}"' not in page

    assert "0 problems, 1 warning." in page
    # The guard of the move to travel booked (other guards of the fixture's case, records and estimate, aside).
    assert itinerary_without_problems("travel_booked", case=case) is None
