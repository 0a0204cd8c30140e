"""Defects the browser suite found in the coordinator's logistics pages, each pinned by a regression test.

- a patient landing after the admission (or after the appointment starts) was not a finding, nor a flight home
  leaving before the expected discharge;
- findings wrote days two ways ('Tue 8 Dec 2026' beside 'Wed 09 Dec 2026, 12:00 CET');
- the bookings page offered to book a second hospital appointment, which is refused;
- on the case page, 'Put on hold' took the primary look when the move forward was blocked.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import pytest

from backoffice.extensions import db
from backoffice.logistics.findings import find_problems
from backoffice.logistics.itinerary import load_itinerary
from backoffice.logistics.timezones import format_day, format_local
from tests.factories import make_case, make_hospital, make_physician, make_programme
from tests.logistics.factories import local, make_appointment, make_flight, make_transfer
from tests.logistics.test_findings import appointment, at, findings, flight, hotel, interpreter, transfer

DAY = date(2026, 12, 8)  # a Tuesday
ARRIVAL_LATE = "arrival_after_admission"
HOME_EARLY = "return_before_discharge"


def arrival(day: date, hh: int, mm: int = 0):
    """Emirates from Dubai landing in Frankfurt at hh:mm local time on `day`, met an hour later."""
    landing = flight(at(day, hh, mm) - timedelta(hours=6), at(day, hh, mm))
    return landing, transfer(at(day, hh, mm) + timedelta(hours=1), meets=landing)


def flight_home(day: date, hh: int = 12):
    return flight(at(day, hh), at(day, hh) + timedelta(hours=6), origin="FRA", destination="DXB", number="EK46")


def only(code: str, *items, **options):
    return [finding for finding in findings(*items, **options) if finding.code == code]


# ---------------------------------------------------------------------------------------------- landing too late


def test_landing_the_day_after_the_admission_is_a_problem():
    stay = appointment(DAY, hour=9)
    [finding] = only(ARRIVAL_LATE, *arrival(DAY + timedelta(days=1), 7), stay)
    assert finding.severity == "problem"
    assert finding.message == (
        "The patient lands at Frankfurt am Main (FRA) on Wed 09 Dec 2026, 07:00 CET with flight EK45 (DXB → FRA) "
        "but is admitted on Tue 08 Dec 2026. Book an earlier flight or move the appointment."
    )
    assert stay.uid in finding.item_uids


def test_landing_on_the_admission_day_after_the_appointment_starts_is_a_problem():
    [finding] = only(ARRIVAL_LATE, *arrival(DAY, 11), appointment(DAY, hour=10))
    assert finding.severity == "problem"
    assert "lands at Frankfurt am Main (FRA) on Tue 08 Dec 2026, 11:00 CET" in finding.message
    assert "but the appointment at Clinic of Advanced Biological Medicine starts on Tue 08 Dec 2026, 10:00 CET" in (
        finding.message
    )
    assert finding.message.endswith("Book an earlier flight or move the appointment.")


def test_landing_exactly_when_the_appointment_starts_is_a_problem():
    assert only(ARRIVAL_LATE, *arrival(DAY, 10), appointment(DAY, hour=10)) != []


@pytest.mark.parametrize(
    ("landing_day", "hh"),
    [(DAY, 8), (DAY - timedelta(days=1), 22), (DAY - timedelta(days=3), 7)],
    ids=["same-day-before-the-start", "the-evening-before", "days-before"],
)
def test_landing_before_the_appointment_by_the_admission_day_is_no_problem(landing_day, hh):
    assert only(ARRIVAL_LATE, *arrival(landing_day, hh), appointment(DAY, hour=10)) == []


def test_the_admission_the_evening_before_the_appointment_counts():
    # Admitted on the 8th, seen on the 9th at 10:00: landing on the 9th at 08:00 misses the admission.
    stay = replace(appointment(DAY, hour=10), starts_at=at(DAY + timedelta(days=1), 10))
    [finding] = only(ARRIVAL_LATE, *arrival(DAY + timedelta(days=1), 8), stay)
    assert "but is admitted on Tue 08 Dec 2026" in finding.message


def test_a_late_connection_inside_the_country_is_the_landing_that_counts():
    # Dubai → Frankfurt lands in time, but the patient goes on to Munich and lands there after the start.
    first = flight(at(DAY, 1), at(DAY, 6))
    onward = flight(at(DAY, 9), at(DAY, 10, 30), origin="FRA", destination="MUC", number="LH100")
    [finding] = only(ARRIVAL_LATE, first, onward, transfer(at(DAY, 11), meets=onward), appointment(DAY, hour=10))
    assert "lands at Munich (MUC) on Tue 08 Dec 2026, 10:30 CET with flight LH100 (FRA → MUC)" in finding.message
    assert onward.uid in finding.item_uids and first.uid in finding.item_uids


def test_a_cancelled_late_flight_is_no_problem():
    landing, _ = arrival(DAY + timedelta(days=1), 7)
    assert only(ARRIVAL_LATE, replace(landing, status="cancelled"), appointment(DAY)) == []


def test_no_appointment_or_no_hospital_means_no_landing_rule():
    assert only(ARRIVAL_LATE, *arrival(DAY, 23)) == []
    assert only(ARRIVAL_LATE, *arrival(DAY, 23), appointment(DAY), hospital=None) == []


# ---------------------------------------------------------------------------------------------- leaving too early


def test_a_flight_home_before_the_expected_discharge_is_a_problem():
    stay = appointment(DAY, days=10)  # expected discharge Fri 18 Dec
    home = flight_home(DAY + timedelta(days=9))
    [finding] = only(HOME_EARLY, *arrival(DAY - timedelta(days=1), 12), stay, home)
    assert finding.severity == "problem"
    assert finding.message == (
        "The flight home, flight EK46 (FRA → DXB), leaves Frankfurt am Main (FRA) on Thu 17 Dec 2026, 12:00 CET, "
        "before the expected discharge on Fri 18 Dec 2026. Book a later flight or move the appointment."
    )
    assert finding.item_uids == (stay.uid, home.uid)


def test_a_flight_home_before_a_day_appointment_starts_is_a_problem():
    stay = appointment(DAY, days=0, hour=15)
    assert [f.code for f in only(HOME_EARLY, *arrival(DAY, 7), stay, flight_home(DAY, 12))] == [HOME_EARLY]
    assert only(HOME_EARLY, *arrival(DAY, 7), stay, flight_home(DAY, 19)) == []


def test_a_flight_home_on_the_discharge_day_or_later_is_no_problem():
    stay = appointment(DAY, days=10)
    for day in (DAY + timedelta(days=10), DAY + timedelta(days=12)):
        assert only(HOME_EARLY, *arrival(DAY - timedelta(days=1), 12), stay, flight_home(day)) == []


# ---------------------------------------------------------------------------------------------- one way to write a day


DAY_IN_A_MESSAGE = re.compile(r"\b(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) (\d{1,2}) [A-Z][a-z]{2} \d{4}\b")


def test_findings_write_every_day_the_same_way():
    # The brief's example: discharge Tue 8 Dec written beside a flight on Wed 9 Dec (hotel gap after discharge).
    stay = appointment(DAY - timedelta(days=10), days=10)  # expected discharge Tue 08 Dec
    [finding] = only("hotel_gap_after_discharge", stay, flight_home(DAY + timedelta(days=1)))
    assert "the expected discharge is on Tue 08 Dec 2026" in finding.message
    assert "leaves on Wed 09 Dec 2026, 12:00 CET" in finding.message
    assert "the night of Tue 08 Dec 2026" in finding.message


def test_no_finding_writes_a_day_of_the_month_with_one_digit():
    first = date(2026, 2, 2)
    landing, _ = arrival(first - timedelta(days=3), 13)
    items = (
        landing,  # no transfer, no hotel before the admission
        appointment(first, days=5, hour=9),  # nobody speaks Korean: no interpreter
        flight_home(first + timedelta(days=4)),  # before the discharge
        hotel(first + timedelta(days=7), date(2026, 2, 9)),
        interpreter(at(first, 8), language="ko", active=False),
    )
    every = findings(*items, languages=("ko",), today=first - timedelta(days=5))
    shown = {f.code for f in every}
    assert {"hotel_gap_before_admission", "return_before_discharge", "inactive_interpreter"} <= shown, shown
    days_written = [m.group(1) for f in every for m in DAY_IN_A_MESSAGE.finditer(f.message)]
    assert days_written and all(len(day) == 2 for day in days_written), [f.message for f in every]


def test_the_day_and_the_instant_formatters_agree():
    instant = at(DAY, 14, 30)
    assert format_local(instant, "Europe/Berlin") == f"{format_day(DAY)}, 14:30 CET"
    assert format_day(date(2026, 12, 8)) == "Tue 08 Dec 2026"


# ---------------------------------------------------------------------------------------------- through the pages


def soon(days: int = 0) -> date:
    return date.today() + timedelta(days=30 + days)


@pytest.fixture
def case(users):
    hospital = make_hospital(name="Clinic of Advanced Biological Medicine", languages=("de", "en", "ar"))
    physician = make_physician(hospital, name="Dr. Ulrich Weber")
    programme = make_programme(hospital, name="Stem cell therapy")
    case = make_case(
        state="confirmed",
        coordinator=users["coordinator"],
        hospital_id=hospital.id,
        physician_id=physician.id,
        programme_id=programme.id,
    )
    db.session.commit()
    return case


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


def button_classes(page: str, label: str) -> str:
    match = re.search(r'<button type="submit" class="([^"]*)"[^>]*>\s*' + re.escape(label) + r"\s*</button>", page)
    assert match, f"no {label!r} button"
    return match.group(1)


def test_put_on_hold_stays_a_secondary_button_when_the_move_forward_is_blocked(case, as_role):
    # Confirmed without an appointment: 'Move to Travel booked' is blocked.
    page = as_role("coordinator").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "disabled" in re.search(r"<button[^>]*>\s*Move to Travel booked", page).group(0)
    assert "btn-primary" not in button_classes(page, "Put on hold").split()
    assert "btn-danger" in button_classes(page, "Cancel case").split()
