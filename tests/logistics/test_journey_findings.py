"""The findings about the journey, rule by rule: landing after the admission, flying home before the discharge,
a relative's flight out during the stay, an earlier trip in the same case, a red-eye home; and findings write every
day one way.

Findings are pure functions of the Itinerary dataclasses, so these tests build itineraries with the helpers of
test_findings.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from backoffice.logistics.timezones import format_day, format_local
from tests.logistics.test_findings import appointment, at, findings, flight, hotel, interpreter, transfer

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

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
