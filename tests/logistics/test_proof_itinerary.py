"""Defects the browser suite found in the coordinator's logistics pages, each pinned by a regression test.

- a patient landing after the admission (or after the appointment starts) was not a finding, nor a flight home
  leaving before the expected discharge;
- findings wrote days two ways ('Tue 8 Dec 2026' beside 'Wed 09 Dec 2026, 12:00 CET');
- the bookings page offered to book a second hospital appointment, which is refused;
- on the case page, 'Put on hold' took the primary look when the move forward was blocked;
- a relative flying home during the stay was taken for the patient's flight home and blocked the case;
- an earlier trip in the same case (a pre-assessment visit) was taken for the arrival: its flight home was flagged
  and the real, late, arrival was not;
- a red-eye flight home at 00:30 on the discharge day passed, as only days were compared.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from backoffice.extensions import db
from backoffice.logistics.case_rules import itinerary_without_problems
from backoffice.logistics.itinerary.findings import find_problems
from backoffice.logistics.itinerary.loading import load_itinerary
from backoffice.logistics.timezones import format_day, format_local
from tests.logistics.factories import (
    local,
    make_appointment,
    make_confirmed_case,
    make_flight,
    make_hotel,
    make_transfer,
)
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


# ---------------------------------------------------------------------------------------------- which trip

OUT_DURING_STAY = "flight_out_during_stay"
EARLY_HOME = "early_flight_home"


def companion_leaving(day: date, hh: int = 9, passengers: str = "Omar Haddad"):
    home = flight(at(day, hh), at(day, hh) + timedelta(hours=6), origin="FRA", destination="DXB", number="EK44")
    return replace(home, passengers=passengers)


def test_a_relative_flying_home_during_the_stay_is_a_warning_not_the_flight_home():
    # Lands Mon 7 Dec, discharged Fri 18 Dec, flies home Sat 19 Dec; her brother flies back on Thu 10 Dec.
    stay = appointment(DAY, days=10)
    brother, home = companion_leaving(DAY + timedelta(days=2)), flight_home(DAY + timedelta(days=11))
    every = findings(*arrival(DAY - timedelta(days=1), 12), stay, brother, home)
    assert [f for f in every if f.code == HOME_EARLY] == []
    [warning] = [f for f in every if f.code == OUT_DURING_STAY]
    assert warning.severity == "warning"
    assert warning.message == (
        "Flight EK44 (FRA → DXB) leaves Frankfurt am Main (FRA) on Thu 10 Dec 2026, 09:00 CET with Omar Haddad, "
        "during the stay (expected discharge on Fri 18 Dec 2026). Check who travels: the flight home is "
        "flight EK46 (FRA → DXB) on Sat 19 Dec 2026, 12:00 CET."
    )
    assert warning.item_uids == (stay.uid, brother.uid)


def test_the_last_flight_out_is_the_flight_home_and_is_checked_against_the_discharge():
    stay = appointment(DAY, days=10)
    brother, home = companion_leaving(DAY + timedelta(days=2)), flight_home(DAY + timedelta(days=9))
    [problem] = only(HOME_EARLY, *arrival(DAY - timedelta(days=1), 12), stay, brother, home)
    assert problem.item_uids == (stay.uid, home.uid)
    assert "The flight home, flight EK46 (FRA → DXB), leaves Frankfurt am Main (FRA) on Thu 17 Dec 2026" in (
        problem.message
    )


def test_a_flight_out_before_the_flight_home_still_shows_even_without_passengers():
    # A relative staying on after the patient makes the patient's early flight the earlier one: still shown.
    stay = appointment(DAY, days=10)
    early = companion_leaving(DAY + timedelta(days=5), passengers="")
    items = (*arrival(DAY - timedelta(days=1), 12), stay, early, flight_home(DAY + timedelta(days=12)))
    [warning] = only(OUT_DURING_STAY, *items)
    assert "leaves Frankfurt am Main (FRA) on Sun 13 Dec 2026, 09:00 CET, during the stay" in warning.message


def test_a_relative_leaving_after_the_discharge_is_no_finding():
    stay = appointment(DAY, days=10)
    items = (*arrival(DAY - timedelta(days=1), 12), stay, flight_home(DAY + timedelta(days=10), 15))
    every = findings(*items, companion_leaving(DAY + timedelta(days=10), 9))
    assert {f.code for f in every} & {HOME_EARLY, OUT_DURING_STAY, EARLY_HOME} == set()


def pre_assessment_trip():
    """In on Tue 10 Nov, out on Fri 13 Nov: an earlier visit in the same case, before the treatment."""
    visit_in = flight(at(date(2026, 11, 10), 1), at(date(2026, 11, 10), 7))
    visit_out = flight_home(date(2026, 11, 13))
    return visit_in, transfer(at(date(2026, 11, 10), 8), meets=visit_in), visit_out


def test_an_earlier_trip_is_not_the_arrival_and_the_late_real_landing_is_a_problem():
    stay = appointment(DAY, days=10)
    landing, pickup = arrival(DAY + timedelta(days=1), 7)
    items = (*pre_assessment_trip(), landing, pickup, stay, flight_home(DAY + timedelta(days=10), 15))
    assert only(HOME_EARLY, *items) == []
    [late] = only(ARRIVAL_LATE, *items)
    assert late.message.startswith("The patient lands at Frankfurt am Main (FRA) on Wed 09 Dec 2026, 07:00 CET")
    assert "but is admitted on Tue 08 Dec 2026" in late.message
    assert landing.uid in late.item_uids


def test_an_earlier_trip_and_a_timely_arrival_are_no_problem():
    stay = appointment(DAY, days=10)
    items = (*pre_assessment_trip(), *arrival(DAY - timedelta(days=1), 12), stay, flight_home(DAY + timedelta(days=11)))
    assert {f.code for f in findings(*items)} & {ARRIVAL_LATE, HOME_EARLY, OUT_DURING_STAY} == set()


def test_a_relative_joining_during_the_stay_does_not_move_the_arrival():
    stay = appointment(DAY, days=10)
    sister = flight(at(DAY + timedelta(days=3), 1), at(DAY + timedelta(days=3), 7), number="EK47")
    items = (
        *arrival(DAY - timedelta(days=1), 12),
        stay,
        sister,
        transfer(at(DAY + timedelta(days=3), 8), meets=sister),
    )
    assert only(ARRIVAL_LATE, *items, flight_home(DAY + timedelta(days=11))) == []


def test_a_later_follow_up_trip_does_not_hide_an_early_flight_home():
    stay = appointment(DAY, days=10)
    follow_up_in = flight(at(date(2027, 3, 1), 1), at(date(2027, 3, 1), 7), number="EK47")
    items = (*arrival(DAY - timedelta(days=1), 12), stay, flight_home(DAY + timedelta(days=9)), follow_up_in)
    [problem] = only(HOME_EARLY, *items, flight_home(date(2027, 3, 5)))
    assert "on Thu 17 Dec 2026, 12:00 CET, before the expected discharge" in problem.message


def test_a_day_appointment_with_a_landing_the_day_after_is_still_a_problem():
    stay = appointment(DAY, days=0, hour=10)
    assert [f.severity for f in only(ARRIVAL_LATE, *arrival(DAY + timedelta(days=1), 7), stay)] == ["problem"]


def test_connections_still_count_for_the_trip_after_an_earlier_visit():
    stay = appointment(DAY, days=10)
    first = flight(at(DAY, 1), at(DAY, 6))
    onward = flight(at(DAY, 9), at(DAY, 10, 30), origin="FRA", destination="MUC", number="LH100")
    items = (*pre_assessment_trip(), first, onward, transfer(at(DAY, 11), meets=onward), stay)
    [late] = only(ARRIVAL_LATE, *items, flight_home(DAY + timedelta(days=11)))
    assert "lands at Munich (MUC) on Tue 08 Dec 2026, 10:30 CET with flight LH100 (FRA → MUC)" in late.message


# ---------------------------------------------------------------------------------------------- red-eye home


def test_a_red_eye_home_on_the_discharge_day_is_a_warning():
    stay = appointment(DAY, days=10)  # expected discharge Fri 18 Dec
    home = flight(
        at(DAY + timedelta(days=10), 0, 30),
        at(DAY + timedelta(days=10), 9, tz="Asia/Dubai"),
        origin="FRA",
        destination="DXB",
        number="EK48",
    )
    every = findings(*arrival(DAY - timedelta(days=1), 12), stay, home)
    assert [f for f in every if f.code == HOME_EARLY] == []
    [warning] = [f for f in every if f.code == EARLY_HOME]
    assert warning.severity == "warning"
    assert warning.message == (
        "The flight home, flight EK48 (FRA → DXB), leaves Frankfurt am Main (FRA) on Fri 18 Dec 2026, 00:30 CET, "
        "early on the day of the expected discharge. Check with Clinic of Advanced Biological Medicine that the "
        "patient can leave in time, or book a later flight."
    )
    assert warning.item_uids == (stay.uid, home.uid)


@pytest.mark.parametrize(
    ("days", "hh"), [(10, 10), (10, 23), (11, 0)], ids=["discharge-day-10h", "discharge-day-night", "day-after"]
)
def test_a_flight_home_from_mid_morning_on_the_discharge_day_or_later_is_no_warning(days, hh):
    stay = appointment(DAY, days=10)
    items = (*arrival(DAY - timedelta(days=1), 12), stay, flight_home(DAY + timedelta(days=days), hh))
    assert only(EARLY_HOME, *items) == [] and only(HOME_EARLY, *items) == []


def test_the_early_hour_is_read_in_the_local_time_of_the_airport():
    # 08:30 UTC is 09:30 CET: early; 09:30 UTC is 10:30 CET: not.
    stay = appointment(DAY, days=10)
    discharge = DAY + timedelta(days=10)
    for utc_hour, expected in ((8, [EARLY_HOME]), (9, [])):
        leaves = datetime.combine(discharge, time(utc_hour, 30), tzinfo=UTC)
        home = flight(leaves, leaves + timedelta(hours=6), origin="FRA", destination="DXB", number="EK46")
        assert [f.code for f in only(EARLY_HOME, *arrival(DAY - timedelta(days=1), 12), stay, home)] == expected


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
