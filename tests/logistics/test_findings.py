"""The itinerary findings, rule by rule: each present and absent, with times across zones, midnight and DST.

Findings are pure functions of the Itinerary dataclasses, so these tests build itineraries directly.
"""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

import pytest

from backoffice.logistics.airports import airport
from backoffice.logistics.itinerary.findings import find_problems
from backoffice.logistics.itinerary.items import (
    AppointmentItem,
    FlightItem,
    HospitalInfo,
    HotelItem,
    InterpreterItem,
    Itinerary,
    TransferItem,
)
from backoffice.logistics.timezones import to_utc

pytestmark = pytest.mark.database_independent  # sends no SQL: once, with the SQLite suite

BERLIN = "Europe/Berlin"
TODAY = date(2026, 1, 1)
_ids = itertools.count(1)

CLINIC = HospitalInfo(
    id=1,
    name="Clinic of Advanced Biological Medicine",
    address="Musterstraße 1, 60311 Frankfurt am Main",
    city="Frankfurt am Main",
    country="DE",
    timezone=BERLIN,
    languages=("de", "en"),
)


def at(day: date, hh: int, mm: int = 0, tz: str = BERLIN) -> datetime:
    return to_utc(datetime.combine(day, time(hh, mm)), tz)


def flight(departs_at, arrives_at, *, origin="DXB", destination="FRA", number="EK45", status="confirmed"):
    a, b = airport(origin), airport(destination)
    return FlightItem(
        id=next(_ids),
        status=status,
        starts_at=departs_at,
        tz=a.timezone,
        ends_at=arrives_at,
        end_tz=b.timezone,
        title=f"Flight {number}",
        airline="Emirates",
        flight_number=number,
        from_airport=a,
        to_airport=b,
    )


def transfer(pickup_at, *, meets=None, from_kind="airport", to_kind="hotel", status="confirmed"):
    return TransferItem(
        id=next(_ids),
        status=status,
        starts_at=pickup_at,
        tz=BERLIN,
        title="Transfer",
        from_kind=from_kind,
        from_place="FRA Terminal 1" if from_kind == "airport" else "Hotel am Main",
        to_kind=to_kind,
        to_place="Hotel am Main" if to_kind == "hotel" else "FRA Terminal 1",
        flight_id=meets.id if meets else None,
    )


def hotel(check_in_on, check_out_on, *, status="confirmed"):
    return HotelItem(
        id=next(_ids),
        status=status,
        starts_at=at(check_in_on, 15),
        tz=BERLIN,
        ends_at=at(check_out_on, 11),
        end_tz=BERLIN,
        title="Hotel am Main",
        hotel_name="Hotel am Main",
        address="Mainkai 1",
        phone="",
        check_in_on=check_in_on,
        check_out_on=check_out_on,
    )


def appointment(admission_on, *, days=21, hour=9, status="confirmed"):
    return AppointmentItem(
        id=next(_ids),
        status=status,
        starts_at=at(admission_on, hour),
        tz=BERLIN,
        title="Hospital appointment",
        hospital_name=CLINIC.name,
        admission_on=admission_on,
        discharge_on=admission_on + timedelta(days=days),
    )


def interpreter(starts_at, *, hours=2, language="ar", active=True, status="confirmed"):
    return InterpreterItem(
        id=next(_ids),
        status=status,
        starts_at=starts_at,
        tz=BERLIN,
        ends_at=starts_at + timedelta(hours=hours),
        end_tz=BERLIN,
        title="Interpreter",
        interpreter_id=7,
        interpreter_name="Layla Haddad",
        interpreter_active=active,
        language=language,
        place=CLINIC.name,
    )


def itinerary(*items, languages=("ar", "en"), hospital=CLINIC):
    return Itinerary(
        case_id=1,
        case_number="C-2026-00001",
        case_state="travel_booked",
        patient_name="Amal Haddad",
        patient_languages=languages,
        hospital=hospital,
        items=tuple(sorted(items, key=lambda item: (item.starts_at, item.kind, item.id))),
    )


# The rides to the hospital on the admission day and to the flight home: tested on their own (below), left out of
# the other rules' tests, whose itineraries are cut down to what their rule reads.
RIDES = ("admission_without_transfer", "flight_home_without_transfer")


def all_findings(*items, today=TODAY, **options):
    kwargs = {key: options.pop(key) for key in ("pickup_buffer",) if key in options}
    return find_problems(itinerary(*items, **options), today=today, **kwargs)


def findings(*items, **options):
    return [finding for finding in all_findings(*items, **options) if finding.code not in RIDES]


def codes(*items, **options):
    return [finding.code for finding in findings(*items, **options)]


def only(code, *items, **options):
    """The findings of one rule (others, such as 'flights but no appointment', are tested on their own)."""
    return [finding for finding in all_findings(*items, **options) if finding.code == code]


# The Emirates night flight: Dubai 02:40 (+04) to Frankfurt 07:05 (CEST), 6 h 25 min in the air.
MAY_12 = date(2026, 5, 12)
EK45 = flight(at(MAY_12, 2, 40, "Asia/Dubai"), at(MAY_12, 7, 5))


# ---------------------------------------------------------------------------------------------- arrival transfers

ARRIVAL = "arrival_without_transfer"
VISIT = appointment(MAY_12, hour=11)  # admitted on the arrival day; keeps 'flights but no appointment' out of the way


def test_arriving_flight_without_transfer_is_a_problem():
    [finding] = findings(EK45, VISIT)
    assert finding.code == ARRIVAL and finding.severity == "problem"
    assert "EK45" in finding.message and "Tue 12 May 2026, 07:05 CEST" in finding.message
    assert finding.item_uids == (EK45.uid,)


def test_arriving_flight_met_by_a_transfer_is_fine():
    assert codes(EK45, VISIT, transfer(at(MAY_12, 8, 0), meets=EK45)) == []


def test_a_cancelled_transfer_does_not_meet_the_flight():
    assert codes(EK45, VISIT, transfer(at(MAY_12, 8, 0), meets=EK45, status="cancelled")) == [ARRIVAL]


def test_a_ride_to_the_airport_does_not_meet_the_flight():
    drop_off = transfer(at(MAY_12, 6, 0), meets=EK45, from_kind="hotel", to_kind="airport")
    assert only(ARRIVAL, EK45, VISIT, drop_off) != []


def test_a_cancelled_flight_needs_no_transfer():
    cancelled = flight(at(MAY_12, 2, 40, "Asia/Dubai"), at(MAY_12, 7, 5), status="cancelled")
    assert codes(cancelled, VISIT) == []


def test_a_flight_landing_outside_the_hospitals_country_needs_no_transfer():
    home = flight(at(MAY_12, 10, 0), at(MAY_12, 18, 30, "Asia/Dubai"), origin="FRA", destination="DXB", number="EK46")
    assert only(ARRIVAL, home, VISIT) == []


def test_a_connection_in_the_hospitals_country_needs_no_transfer_at_the_first_airport():
    onward = flight(at(MAY_12, 9, 0), at(MAY_12, 10, 5), origin="FRA", destination="MUC", number="LH100")
    assert [f.item_uids for f in only(ARRIVAL, EK45, onward, VISIT)] == [(onward.uid,)]


def test_without_a_hospital_no_country_rule_applies():
    assert only(ARRIVAL, EK45, VISIT, hospital=None) == []


def test_an_airport_pickup_not_linked_to_a_flight_is_a_warning():
    [finding] = findings(transfer(at(MAY_12, 8, 0)))
    assert (finding.code, finding.severity) == ("pickup_without_flight", "warning")
    assert "FRA Terminal 1" in finding.message and "Tue 12 May 2026, 08:00 CEST" in finding.message
    assert codes(transfer(at(MAY_12, 8, 0), from_kind="hotel", to_kind="hospital")) == []


# ---------------------------------------------------------------------------------------------- pickup buffer

TOO_EARLY = "pickup_too_early"


def test_pickup_before_arrival_plus_buffer_is_a_problem_across_time_zones():
    pickup = transfer(at(MAY_12, 7, 30), meets=EK45)
    [finding] = findings(EK45, pickup, VISIT)
    assert finding.code == TOO_EARLY and finding.severity == "problem"
    assert "07:30 CEST" in finding.message and "only 25 min after" in finding.message
    assert "07:05 CEST" in finding.message and "07:50 CEST or later" in finding.message
    assert set(finding.item_uids) == {pickup.uid, EK45.uid}


def test_pickup_exactly_at_arrival_plus_buffer_is_fine():
    assert codes(EK45, transfer(at(MAY_12, 7, 50), meets=EK45), VISIT) == []


def test_pickup_before_the_flight_lands_says_so():
    [finding] = only(TOO_EARLY, EK45, transfer(at(MAY_12, 6, 45), meets=EK45))
    assert "20 min before the flight lands" in finding.message


def test_the_buffer_is_a_parameter():
    pickup = transfer(at(MAY_12, 7, 30), meets=EK45)
    assert only(TOO_EARLY, EK45, pickup, pickup_buffer=timedelta(minutes=20)) == []
    assert len(only(TOO_EARLY, EK45, pickup, pickup_buffer=timedelta(minutes=30))) == 1


def test_pickup_after_midnight_for_a_late_arrival_is_fine():
    late = flight(at(date(2026, 6, 30), 17, 0, "Asia/Dubai"), at(date(2026, 6, 30), 23, 50))
    assert only(TOO_EARLY, late, transfer(at(date(2026, 7, 1), 0, 40), meets=late)) == []
    [finding] = only(TOO_EARLY, late, transfer(at(date(2026, 7, 1), 0, 20), meets=late))
    assert "only 30 min after" in finding.message
    assert "Tue 30 Jun 2026, 23:50 CEST" in finding.message and "Wed 01 Jul 2026, 00:20 CEST" in finding.message


def test_pickup_during_the_spring_dst_change_counts_real_minutes():
    # 29 March 2026: at 02:00 CET the clocks jump to 03:00 CEST. Landing 01:30 CET, pickup 03:10 CEST is 40 minutes.
    night = date(2026, 3, 29)
    landing = flight(at(date(2026, 3, 28), 20, 0, "Asia/Dubai"), at(night, 1, 30))
    assert landing.arrives_at == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)
    [finding] = only(TOO_EARLY, landing, transfer(at(night, 3, 10), meets=landing))
    assert "only 40 min after" in finding.message
    assert "01:30 CET" in finding.message and "03:10 CEST" in finding.message
    assert only(TOO_EARLY, landing, transfer(at(night, 3, 20), meets=landing)) == []


def test_pickup_during_the_autumn_dst_change_counts_real_minutes():
    # 25 October 2026: 02:00-03:00 happens twice. Landing 02:10 CEST, pickup 02:40 CET (the second 02:40) is 90 min.
    landing = flight(datetime(2026, 10, 24, 19, 0, tzinfo=UTC), datetime(2026, 10, 25, 0, 10, tzinfo=UTC))
    second_0240 = datetime(2026, 10, 25, 1, 40, tzinfo=UTC)
    assert only(TOO_EARLY, landing, transfer(second_0240, meets=landing)) == []
    first_0240 = datetime(2026, 10, 25, 0, 40, tzinfo=UTC)
    [finding] = only(TOO_EARLY, landing, transfer(first_0240, meets=landing))
    assert "only 30 min after" in finding.message and "02:40 CEST" in finding.message


def test_a_ride_to_the_airport_must_leave_before_the_flight():
    home = flight(at(MAY_12, 10, 0), at(MAY_12, 18, 30, "Asia/Dubai"), origin="FRA", destination="DXB", number="EK46")
    on_time = transfer(at(MAY_12, 7, 0), meets=home, from_kind="hotel", to_kind="airport")
    stay = appointment(MAY_12 - timedelta(days=21))  # discharged on the day of the flight home
    assert codes(home, on_time, stay) == []
    late = transfer(at(MAY_12, 10, 15), meets=home, from_kind="hotel", to_kind="airport")
    [finding] = findings(home, late, stay)
    assert finding.code == "drop_off_after_departure" and "10:15 CEST" in finding.message


# ---------------------------------------------------------------------------------------------- hotel nights


def arrival_on(day: date, hh: int = 13):
    """A flight from Dubai landing in Frankfurt at `hh` local time, and its pickup an hour later."""
    landing = flight(at(day, hh, 0) - timedelta(hours=6), at(day, hh, 0))
    return landing, transfer(at(day, hh, 0) + timedelta(hours=1), meets=landing)


def test_hotel_nights_before_admission_across_a_month_end_are_named():
    # Lands Fri 30 Jan, admitted Mon 2 Feb: the nights of 30 Jan, 31 Jan and 1 Feb need a hotel.
    [finding] = findings(
        *arrival_on(date(2026, 1, 30)), hotel(date(2026, 1, 30), date(2026, 2, 1)), appointment(date(2026, 2, 2))
    )
    assert finding.code == "hotel_gap_before_admission" and finding.severity == "problem"
    assert finding.message.startswith("No hotel for the night of Sun 01 Feb 2026:")


def test_hotel_nights_before_admission_covered_by_two_stays_are_fine():
    stays = (hotel(date(2026, 1, 30), date(2026, 2, 1)), hotel(date(2026, 2, 1), date(2026, 2, 2)))
    assert codes(*arrival_on(date(2026, 1, 30)), *stays, appointment(date(2026, 2, 2))) == []


def test_a_cancelled_hotel_covers_no_night_and_runs_of_nights_are_grouped():
    cancelled = hotel(date(2028, 2, 26), date(2028, 3, 1), status="cancelled")
    [finding] = findings(*arrival_on(date(2028, 2, 26)), cancelled, appointment(date(2028, 3, 1)))
    # 2028 is a leap year: 26, 27, 28 and 29 February.
    assert "the nights of Sat 26 Feb 2028 to Tue 29 Feb 2028 (4 nights)" in finding.message


def test_arrival_on_the_admission_day_needs_no_hotel():
    assert codes(*arrival_on(date(2026, 2, 2), hh=6), appointment(date(2026, 2, 2), hour=11)) == []


def test_nights_count_from_the_local_arrival_date():
    # Lands 00:30 CET on 30 Jan, which is still 29 Jan in UTC: the first night needed is the night of 30 Jan.
    landing = flight(at(date(2026, 1, 29), 20, 0, "Asia/Dubai"), at(date(2026, 1, 30), 0, 30))
    assert landing.arrives_at.date() == date(2026, 1, 29)
    pickup = transfer(at(date(2026, 1, 30), 1, 30), meets=landing)
    assert codes(landing, pickup, hotel(date(2026, 1, 30), date(2026, 2, 2)), appointment(date(2026, 2, 2))) == []


def flight_home(day: date, hh: int = 10):
    return flight(at(day, hh, 0), at(day, hh, 0) + timedelta(hours=6), origin="FRA", destination="DXB", number="EK46")


def test_hotel_nights_after_discharge_until_the_flight_home():
    stay = appointment(date(2026, 2, 7), days=21)  # expected discharge Sat 28 Feb
    [finding] = findings(stay, flight_home(date(2026, 3, 3)), hotel(date(2026, 2, 28), date(2026, 3, 2)))
    assert finding.code == "hotel_gap_after_discharge" and finding.severity == "problem"
    assert "the night of Mon 02 Mar 2026" in finding.message and "Sat 28 Feb 2026" in finding.message
    assert codes(stay, flight_home(date(2026, 3, 3)), hotel(date(2026, 2, 28), date(2026, 3, 3))) == []


def test_flying_home_on_the_discharge_day_needs_no_hotel():
    assert codes(appointment(date(2026, 2, 7), days=21), flight_home(date(2026, 2, 28), hh=20)) == []


def test_without_a_flight_home_no_night_after_discharge_is_claimed():
    assert codes(appointment(date(2026, 2, 7))) == []


# ---------------------------------------------------------------------------------------------- interpreters


def test_no_interpreter_when_the_patient_speaks_none_of_the_hospitals_languages():
    [finding] = findings(appointment(MAY_12), languages=("ar",))
    assert finding.code == "no_interpreter" and finding.severity == "problem"
    assert "Arabic" in finding.message and "German, English" in finding.message
    assert "Tue 12 May 2026, 09:00 CEST" in finding.message


def test_an_interpreter_in_the_patients_language_at_the_appointment_is_enough():
    visit = appointment(MAY_12)
    assert codes(visit, interpreter(at(MAY_12, 8, 30)), languages=("ar",)) == []
    assert codes(visit, interpreter(at(MAY_12, 9, 0)), languages=("ar",)) == []


def test_an_interpreter_who_does_not_cover_the_appointment_does_not_count():
    visit = appointment(MAY_12)
    assert codes(visit, interpreter(at(MAY_12, 7, 0)), languages=("ar",)) == ["no_interpreter"]  # ends at 09:00
    assert codes(visit, interpreter(at(MAY_12, 8, 30), language="ru"), languages=("ar",)) == ["no_interpreter"]
    cancelled = interpreter(at(MAY_12, 8, 30), status="cancelled")
    assert codes(visit, cancelled, languages=("ar",)) == ["no_interpreter"]


def test_a_patient_who_speaks_a_hospital_language_needs_no_interpreter():
    assert codes(appointment(MAY_12), languages=("ar", "en")) == []


# ---------------------------------------------------------------------------------------------- cancelled suppliers


def test_a_transfer_for_a_cancelled_flight_is_a_problem():
    cancelled = flight(at(MAY_12, 2, 40, "Asia/Dubai"), at(MAY_12, 7, 5), status="cancelled")
    [finding] = findings(cancelled, transfer(at(MAY_12, 7, 50), meets=cancelled), VISIT)
    assert finding.code == "transfer_for_cancelled_flight" and "which is cancelled" in finding.message
    assert codes(cancelled, transfer(at(MAY_12, 7, 50), meets=cancelled, status="cancelled"), VISIT) == []


def test_an_inactive_interpreter_still_booked_is_a_problem():
    [finding] = findings(interpreter(at(MAY_12, 8, 30), active=False))
    assert finding.code == "inactive_interpreter" and "Layla Haddad" in finding.message
    assert codes(interpreter(at(MAY_12, 8, 30), active=False, status="cancelled")) == []


def test_bookings_kept_after_the_appointment_is_cancelled_are_a_warning():
    stay = hotel(date(2026, 5, 10), MAY_12)
    cancelled = appointment(MAY_12, status="cancelled")
    [finding] = findings(cancelled, stay)
    assert finding.code == "bookings_without_appointment" and finding.severity == "warning"
    assert stay.uid in finding.item_uids and "Hotel am Main" in finding.message
    rebooked = appointment(date(2026, 5, 13))
    assert codes(cancelled, rebooked, hotel(date(2026, 5, 10), date(2026, 5, 13))) == []


# ---------------------------------------------------------------------------------------------- extras and order


def test_flights_without_an_appointment_are_a_warning():
    pickup = transfer(at(MAY_12, 8, 0), meets=EK45)
    [finding] = findings(EK45, pickup)
    assert (finding.code, finding.severity) == ("no_appointment", "warning")
    assert codes(EK45, pickup, VISIT) == []
    cancelled = appointment(date(2026, 5, 13), status="cancelled")
    assert set(codes(EK45, pickup, cancelled)) == {"no_appointment", "bookings_without_appointment"}


def test_bookings_still_requested_in_the_coming_days_are_a_warning():
    soon = transfer(at(MAY_12, 8, 0), from_kind="hotel", to_kind="hospital", status="requested")
    assert codes(soon, today=date(2026, 5, 8)) == ["unconfirmed_soon"]
    assert codes(soon, today=date(2026, 4, 1)) == []
    confirmed = transfer(at(MAY_12, 8, 0), from_kind="hotel", to_kind="hospital")
    assert codes(confirmed, today=date(2026, 5, 8)) == []


def test_problems_come_before_warnings():
    stray_pickup = transfer(at(date(2026, 5, 1), 8, 0))  # a warning, earlier in time
    result = findings(stray_pickup, EK45, VISIT)
    assert [(f.code, f.severity) for f in result] == [(ARRIVAL, "problem"), ("pickup_without_flight", "warning")]


def test_a_complete_trip_has_no_findings():
    admission = appointment(MAY_12, days=14)  # discharge 26 May
    home = flight(
        at(date(2026, 5, 28), 10, 0), at(date(2026, 5, 28), 18, 30, "Asia/Dubai"), origin="FRA", destination="DXB"
    )
    items = (
        EK45,
        transfer(at(MAY_12, 7, 50), meets=EK45, to_kind="hospital"),
        admission,
        hotel(date(2026, 5, 26), date(2026, 5, 28)),
        home,
        transfer(at(date(2026, 5, 28), 7, 0), meets=home, from_kind="hotel", to_kind="airport"),
        interpreter(at(MAY_12, 8, 30)),
    )
    assert findings(*items, languages=("ar",)) == []


# ---------------------------------------------------------------------------------- rides to the hospital and home

HOME_RIDE = "flight_home_without_transfer"
ADMISSION_RIDE = "admission_without_transfer"
EK46_HOME = flight(at(MAY_12, 10, 0), at(MAY_12, 18, 30, "Asia/Dubai"), origin="FRA", destination="DXB", number="EK46")
STAY = appointment(MAY_12 - timedelta(days=21))  # discharged on the day of the flight home


def test_a_flight_home_with_no_transfer_to_the_airport_is_a_problem():
    [finding] = only(HOME_RIDE, EK46_HOME, STAY)
    assert finding.severity == "problem" and finding.item_uids == (EK46_HOME.uid,)
    assert "EK46" in finding.message and "Tue 12 May 2026, 10:00 CEST" in finding.message
    assert "Book a ride to the airport" in finding.message


def test_a_ride_to_the_airport_for_the_flight_home_answers_it_linked_or_on_its_day_before_it_leaves():
    linked = transfer(at(MAY_12, 7, 0), meets=EK46_HOME, from_kind="hotel", to_kind="airport")
    same_day = transfer(at(MAY_12, 7, 0), from_kind="hotel", to_kind="airport")
    day_before = transfer(at(MAY_12 - timedelta(days=1), 7, 0), from_kind="hotel", to_kind="airport")
    cancelled = transfer(at(MAY_12, 7, 0), meets=EK46_HOME, from_kind="hotel", to_kind="airport", status="cancelled")
    assert only(HOME_RIDE, EK46_HOME, STAY, linked) == []
    assert only(HOME_RIDE, EK46_HOME, STAY, same_day) == []
    assert len(only(HOME_RIDE, EK46_HOME, STAY, day_before)) == 1
    assert len(only(HOME_RIDE, EK46_HOME, STAY, cancelled)) == 1


def test_a_flight_home_reached_by_a_connecting_flight_needs_no_ride_to_that_airport():
    feeder = flight(at(MAY_12, 7, 0), at(MAY_12, 8, 5), origin="MUC", destination="FRA", number="LH101")
    assert only(HOME_RIDE, feeder, EK46_HOME, STAY) == []


def test_an_admission_day_with_no_transfer_to_the_hospital_is_a_problem():
    landing, pickup = arrival_on(date(2026, 1, 30))
    stay = appointment(date(2026, 2, 2), hour=9)
    [finding] = only(ADMISSION_RIDE, landing, pickup, hotel(date(2026, 1, 30), date(2026, 2, 2)), stay)
    assert finding.severity == "problem" and finding.item_uids == (stay.uid,)
    assert CLINIC.name in finding.message and "Mon 02 Feb 2026, 09:00 CET" in finding.message
    assert "from the hotel to the hospital" in finding.message


def test_a_transfer_to_the_hospital_on_the_admission_day_before_the_appointment_answers_it():
    landing, pickup = arrival_on(date(2026, 1, 30))
    stay = appointment(date(2026, 2, 2), hour=9)
    to_hospital = transfer(at(date(2026, 2, 2), 8, 0), from_kind="hotel", to_kind="hospital")
    too_late = transfer(at(date(2026, 2, 2), 9, 30), from_kind="hotel", to_kind="hospital")
    day_before = transfer(at(date(2026, 2, 1), 8, 0), from_kind="hotel", to_kind="hospital")
    assert only(ADMISSION_RIDE, landing, pickup, stay, to_hospital) == []
    assert len(only(ADMISSION_RIDE, landing, pickup, stay, too_late)) == 1
    assert len(only(ADMISSION_RIDE, landing, pickup, stay, day_before)) == 1
    # Straight from the airport to the hospital on the admission day is a ride to the hospital too.
    landing, _ = arrival_on(date(2026, 2, 2), hh=6)
    straight = transfer(at(date(2026, 2, 2), 7, 0), meets=landing, to_kind="hospital")
    assert only(ADMISSION_RIDE, landing, straight, appointment(date(2026, 2, 2), hour=11)) == []


def test_a_patient_who_does_not_fly_in_needs_no_ride_checked():
    assert only(ADMISSION_RIDE, appointment(date(2026, 2, 2))) == []
