"""Booking the trip around a treatment: the rules each kind enforces, the status, the money, the trace it leaves."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from backoffice.cases import operations as case_operations
from backoffice.cases.models import CaseEvent
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Hospital, Physician, Programme
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.logistics import costs
from backoffice.logistics.bookings import appointments, flights, hotel_stays, transfers
from backoffice.logistics.bookings import operations as bookings
from backoffice.logistics.models import Flight, HospitalAppointment, HotelStay, Transfer
from backoffice.money import Money
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_hospital, make_physician, make_programme
from tests.logistics.factories import (
    local,
    make_appointment,
    make_confirmed_case,
    make_flight,
    make_hotel,
    make_transfer,
)


def soon(days: int = 0) -> date:
    """A day a month from now, or `days` after it."""
    return date.today() + timedelta(days=30 + days)


def next_dst_changes(tz_name: str = "Europe/Berlin") -> tuple[date, date]:
    """The next day the clocks go forward and the next day they go back, both in the future."""
    tz = ZoneInfo(tz_name)
    spring = autumn = None
    day = date.today() + timedelta(days=1)
    while spring is None or autumn is None:
        before = datetime.combine(day, time(0), tz).utcoffset()
        after = datetime.combine(day, time(12), tz).utcoffset()
        if after > before and spring is None:
            spring = day
        if after < before and autumn is None:
            autumn = day
        day += timedelta(days=1)
    return spring, autumn


@pytest.fixture
def trip(users):
    """A confirmed case at a Frankfurt clinic with its physician and programme, and the coordinator's id."""
    case = make_confirmed_case(users["coordinator"])
    hospital = db.session.get(Hospital, case.hospital_id)
    physician, programme = db.session.get(Physician, case.physician_id), db.session.get(Programme, case.programme_id)
    return SimpleNamespace(
        case=case, hospital=hospital, physician=physician, programme=programme, actor=users["coordinator"].id
    )


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def booking_events(case_id: int) -> list[CaseEvent]:
    return list(
        db.session.scalars(
            select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "booking").order_by(CaseEvent.id)
        )
    )


def booking_audit() -> list[AuditEvent]:
    return list(
        db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case_booking").order_by(AuditEvent.id))
    )


def refused(change, match: str):
    """Run a change that must be refused with `match` in its message; nothing of it stays in the session."""
    with pytest.raises(DomainError, match=match) as error:
        change()
    db.session.rollback()
    return error.value


def book_appointment(trip, **values):
    values = {"start_on": soon(), "start_time": time(9, 30), "discharge_on": soon(21), **values}
    return appointments.create_appointment(trip.case.id, appointments.AppointmentDetails(**values), actor_id=trip.actor)


def book_flight(trip, **values):
    values = {
        "passengers": "Amira Haddad",
        "airline": "Emirates",
        "flight_number": "EK45",
        "from_airport": "DXB",
        "to_airport": "FRA",
        "departure_on": soon(),
        "departure_time": time(2, 40),
        "arrival_on": soon(),
        "arrival_time": time(7, 5),
        **values,
    }
    return flights.create_flight(trip.case.id, flights.FlightDetails(**values), actor_id=trip.actor)


def book_hotel(trip, **values):
    values = {"hotel_name": "Hotel am Main", "check_in_on": soon(), "check_out_on": soon(3), **values}
    return hotel_stays.create_hotel_stay(trip.case.id, hotel_stays.HotelStayDetails(**values), actor_id=trip.actor)


def book_transfer(trip, **values):
    values = {
        "from_kind": "airport",
        "from_place": "FRA Terminal 1",
        "to_kind": "hotel",
        "to_place": "Hotel am Main",
        "pickup_on": soon(),
        "pickup_time": time(8, 0),
        **values,
    }
    return transfers.create_transfer(trip.case.id, transfers.TransferDetails(**values), actor_id=trip.actor)


# ---------------------------------------------------------------------------------------------- the appointment


def test_an_appointment_is_requested_at_the_case_hospital_in_its_local_time(trip):
    appointment = book_appointment(trip, start_time=time(9, 30))
    db.session.commit()
    db.session.expire_all()

    stored = bookings.get_booking("appointment", appointment.id)
    assert stored.hospital_id == trip.hospital.id and stored.timezone == "Europe/Berlin"
    assert stored.starts_at == local(soon(), 9, 30)
    assert stored.admission_on == soon(), "admission defaults to the day of the start"
    assert stored.status == "requested" and stored.supplier_reference == "" and stored.cost is None


def test_the_expected_discharge_defaults_to_the_programmes_typical_stay(trip):
    appointment = book_appointment(trip, programme_id=trip.programme.id, discharge_on=None)
    assert appointment.discharge_on == soon() + timedelta(days=21)


def test_a_physician_of_another_hospital_is_refused(trip):
    elsewhere = make_physician(make_hospital(name="Klinik Elsewhere"), name="Dr. Anna Berg")
    db.session.commit()
    refused(
        lambda: book_appointment(trip, physician_id=elsewhere.id),
        "Dr. Anna Berg does not work at Clinic of Advanced Biological Medicine",
    )
    assert count(HospitalAppointment) == 0 and booking_events(trip.case.id) == []


def test_a_programme_of_another_hospital_is_refused(trip):
    other = make_programme(make_hospital(), name="Knee replacement")
    db.session.commit()
    refused(lambda: book_appointment(trip, programme_id=other.id), "Knee replacement is not a programme of Clinic")
    assert count(HospitalAppointment) == 0


def test_the_discharge_cannot_be_before_the_admission(trip):
    refused(lambda: book_appointment(trip, discharge_on=soon() - timedelta(days=1)), "on or after the admission")
    assert count(HospitalAppointment) == 0


def test_the_admission_may_be_the_day_before_the_start_but_not_earlier(trip):
    refused(
        lambda: book_appointment(trip, admission_on=soon() - timedelta(days=2)),
        "more than a day before the appointment",
    )
    appointment = book_appointment(trip, admission_on=soon() - timedelta(days=1))
    assert appointment.admission_on == soon() - timedelta(days=1)


def test_a_case_has_only_one_appointment_until_it_is_cancelled(trip):
    first = book_appointment(trip)
    db.session.commit()
    refused(
        lambda: book_appointment(trip, start_on=soon(10), discharge_on=soon(30)), "already has a hospital appointment"
    )
    assert count(HospitalAppointment) == 1

    bookings.cancel_booking("appointment", first.id, "Hospital moved the date", actor_id=trip.actor)
    second = book_appointment(trip, start_on=soon(10), discharge_on=soon(30))
    db.session.commit()
    assert second.id != first.id and count(HospitalAppointment) == 2


def test_an_appointment_without_a_hospital_asks_for_the_programme_first(users):
    case = make_case(state="confirmed")
    db.session.commit()
    refused(
        lambda: appointments.create_appointment(
            case.id,
            appointments.AppointmentDetails(start_on=soon(), start_time=time(9), discharge_on=soon(9)),
            actor_id=users["coordinator"].id,
        ),
        "Choose the case's programme first",
    )


def test_an_appointment_in_the_hour_skipped_by_daylight_saving_is_refused(trip):
    spring_forward, _ = next_dst_changes()
    refused(
        lambda: book_appointment(
            trip, start_on=spring_forward, start_time=time(2, 30), discharge_on=spring_forward + timedelta(days=5)
        ),
        "does not exist in Europe/Berlin: the clocks jump forward",
    )
    assert count(HospitalAppointment) == 0


def test_an_appointment_on_the_day_the_clocks_go_back_is_accepted(trip):
    _, fall_back = next_dst_changes()
    appointment = book_appointment(
        trip, start_on=fall_back, start_time=time(2, 30), discharge_on=fall_back + timedelta(days=5)
    )
    db.session.commit()
    # 02:30 happens twice that night; timetables mean the first one, still in summer time (UTC+2).
    assert appointment.starts_at == datetime.combine(fall_back, time(0, 30), UTC)
    stored = bookings.get_booking("appointment", appointment.id)
    assert bookings.describe("appointment", stored).endswith("02:30 CEST")


# ---------------------------------------------------------------------------------------------- hotel, flight, transfer


def test_check_out_before_check_in_is_refused(trip):
    refused(lambda: book_hotel(trip, check_in_on=soon(5), check_out_on=soon(2)), "Check-out must be after check-in")
    refused(lambda: book_hotel(trip, check_in_on=soon(5), check_out_on=soon(5)), "Check-out must be after check-in")
    assert count(HotelStay) == 0


def test_a_hotel_stay_keeps_its_details(trip):
    stay = book_hotel(trip, address="Mainkai 1", phone="+49 69 1", room_type="Double", guests="Amira, Omar")
    db.session.commit()
    assert (stay.hotel_name, stay.check_in_on, stay.check_out_on) == ("Hotel am Main", soon(), soon(3))
    assert (stay.room_type, stay.guests) == ("Double", "Amira, Omar")


def test_a_night_flight_east_lands_the_same_day_in_local_time(trip):
    flight = book_flight(trip, departure_time=time(2, 40), arrival_time=time(7, 5))
    db.session.commit()
    assert flight.departs_at == local(soon(), 2, 40, "Asia/Dubai")
    assert flight.arrives_at == local(soon(), 7, 5, "Europe/Berlin")
    assert (flight.departure_tz, flight.arrival_tz) == ("Asia/Dubai", "Europe/Berlin")


def test_a_flight_west_may_land_after_midnight_local_time(trip):
    flight = book_flight(
        trip,
        flight_number="LH400",
        from_airport="FRA",
        to_airport="JFK",
        departure_time=time(22, 0),
        arrival_on=soon(1),
        arrival_time=time(0, 45),
    )
    assert flight.arrives_at - flight.departs_at == timedelta(hours=8, minutes=45)


@pytest.mark.parametrize(
    "route",
    [
        # the arrival's wall clock is earlier the same day
        {"departure_time": time(10, 0), "arrival_time": time(5, 0)},
        # past midnight, but the arrival date was not moved on
        {"from_airport": "FRA", "to_airport": "JFK", "departure_time": time(22, 0), "arrival_time": time(0, 45)},
        # later on the wall clock, earlier in fact: FRA 10:00 is 09:00 UTC, DXB 12:00 is 08:00 UTC
        {"from_airport": "FRA", "to_airport": "DXB", "departure_time": time(10, 0), "arrival_time": time(12, 0)},
    ],
)
def test_an_arrival_before_the_departure_is_refused(trip, route):
    refused(lambda: book_flight(trip, **route), "The arrival is before the departure")
    assert count(Flight) == 0


def test_an_unknown_airport_is_refused(trip):
    refused(lambda: book_flight(trip, to_airport="ZZZ"), "'ZZZ' is not a known airport")
    refused(lambda: book_flight(trip, from_airport="FR"), "'FR' is not a known airport")
    refused(lambda: book_flight(trip, from_airport="FRA", to_airport="fra"), "the two codes are the same")
    assert count(Flight) == 0


def test_flight_numbers_are_normalised_and_checked(trip):
    assert book_flight(trip, flight_number=" ek 45 ").flight_number == "EK45"
    assert book_flight(trip, flight_number="u21234").flight_number == "U21234"
    for bad in ("45", "E", "EK12345", "EK-45", "EK45X", ""):
        refused(lambda bad=bad: book_flight(trip, flight_number=bad), "is not a flight number")


def test_a_transfer_meeting_a_flight_is_timed_where_the_flight_lands(trip):
    flight = book_flight(trip, from_airport="FRA", to_airport="JFK", departure_time=time(10), arrival_time=time(12, 30))
    transfer = book_transfer(trip, flight_id=flight.id, pickup_time=time(13, 30), from_place="JFK Terminal 1")
    db.session.commit()
    assert transfer.timezone == "America/New_York"
    assert transfer.pickup_at == local(soon(), 13, 30, "America/New_York")
    assert transfer.flight_id == flight.id


def test_a_transfer_without_a_flight_is_timed_at_the_hospital(trip):
    transfer = book_transfer(trip, from_kind="hotel", from_place="Hotel am Main", to_kind="hospital", to_place="Clinic")
    assert transfer.timezone == "Europe/Berlin" and transfer.pickup_at == local(soon(), 8, 0)
    assert transfer.flight_id is None, "an airport pickup without its flight is a finding, not a refusal"


def test_a_transfer_cannot_meet_another_cases_flight(trip):
    other = make_case(state="confirmed")
    foreign = make_flight(other, departs_at=local(soon(), 2, 40, "Asia/Dubai"), arrives_at=local(soon(), 7, 5))
    db.session.commit()
    refused(lambda: book_transfer(trip, flight_id=foreign.id), "one of this case's flights")
    assert count(Transfer) == 0


def test_a_transfer_without_flight_or_hospital_asks_for_the_programme_first(users):
    case = make_case(state="confirmed")
    db.session.commit()
    refused(
        lambda: transfers.create_transfer(
            case.id,
            transfers.TransferDetails(
                from_kind="hotel",
                from_place="Hotel",
                to_kind="other",
                to_place="Museum",
                pickup_on=soon(),
                pickup_time=time(10),
            ),
            actor_id=users["coordinator"].id,
        ),
        "Choose the case's programme first",
    )


# ---------------------------------------------------------------------------------------------- dates in the past


def test_a_new_booking_cannot_start_in_the_past(trip):
    yesterday = date.today() - timedelta(days=1)
    refused(lambda: book_appointment(trip, start_on=yesterday, discharge_on=soon()), "cannot start in the past")
    refused(lambda: book_hotel(trip, check_in_on=yesterday, check_out_on=soon()), "cannot start in the past")
    refused(lambda: book_flight(trip, departure_on=yesterday, arrival_on=yesterday), "cannot start in the past")
    refused(lambda: book_transfer(trip, pickup_on=yesterday), "cannot start in the past")
    assert sum(count(model) for model in (HospitalAppointment, HotelStay, Flight, Transfer)) == 0


def test_an_existing_booking_keeps_its_past_dates_but_cannot_move_into_the_past(trip):
    last_week = date.today() - timedelta(days=7)
    stay = make_hotel(trip.case, check_in_on=last_week, check_out_on=soon(3), status="requested")
    db.session.commit()
    values = {"hotel_name": "Hotel am Main", "check_out_on": soon(3)}

    updated = hotel_stays.update_hotel_stay(
        stay.id,
        hotel_stays.HotelStayDetails(check_in_on=last_week, notes="Late check-out agreed", **values),
        actor_id=trip.actor,
    )
    assert updated.notes == "Late check-out agreed"
    refused(
        lambda: hotel_stays.update_hotel_stay(
            stay.id,
            hotel_stays.HotelStayDetails(check_in_on=last_week - timedelta(days=1), **values),
            actor_id=trip.actor,
        ),
        "cannot start in the past",
    )


# ---------------------------------------------------------------------------------------------- status


def test_confirming_needs_the_suppliers_reference(trip):
    flight = book_flight(trip)
    db.session.commit()
    refused(lambda: bookings.confirm_booking("flight", flight.id, "  ", actor_id=trip.actor), "supplier's reference")
    assert db.session.get(Flight, flight.id).status == "requested"

    bookings.confirm_booking("flight", flight.id, " ABC123 ", actor_id=trip.actor)
    db.session.commit()
    stored = db.session.get(Flight, flight.id)
    assert (stored.status, stored.supplier_reference) == ("confirmed", "ABC123")
    assert booking_events(trip.case.id)[-1].note == "Flight EK45 DXB→FRA confirmed (ABC123)"
    refused(lambda: bookings.confirm_booking("flight", flight.id, "X", actor_id=trip.actor), "already confirmed")


def test_a_cancelled_booking_no_longer_changes(trip):
    stay = book_hotel(trip)
    bookings.confirm_booking("hotel", stay.id, "HAM-77", actor_id=trip.actor)
    bookings.cancel_booking("hotel", stay.id, "Patient stays with family", actor_id=trip.actor)
    db.session.commit()
    assert stay.status == "cancelled" and "Cancelled: Patient stays with family" in stay.notes

    for change in (
        lambda: hotel_stays.update_hotel_stay(
            stay.id,
            hotel_stays.HotelStayDetails(hotel_name="Other", check_in_on=soon(), check_out_on=soon(4)),
            actor_id=trip.actor,
        ),
        lambda: bookings.confirm_booking("hotel", stay.id, "HAM-78", actor_id=trip.actor),
        lambda: bookings.cancel_booking("hotel", stay.id, "again", actor_id=trip.actor),
    ):
        refused(change, "cancelled and can no longer change")
    assert db.session.get(HotelStay, stay.id).hotel_name == "Hotel am Main"


def test_cancelling_needs_a_reason(trip):
    stay = book_hotel(trip)
    db.session.commit()
    refused(lambda: bookings.cancel_booking("hotel", stay.id, "", actor_id=trip.actor), "reason for cancelling")
    assert db.session.get(HotelStay, stay.id).status == "requested"


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_a_closed_or_cancelled_case_takes_no_new_bookings(trip, state):
    trip.case.state = state
    db.session.commit()
    refused(lambda: book_hotel(trip), f"is {state}: its bookings can no longer change")
    assert count(HotelStay) == 0


def test_bookings_of_a_cancelled_case_can_still_be_cancelled_but_not_those_of_a_closed_one(trip):
    first, second = book_hotel(trip), book_hotel(trip, hotel_name="Second")
    trip.case.state = "cancelled"
    db.session.commit()
    bookings.cancel_booking("hotel", first.id, "Case cancelled", actor_id=trip.actor)
    refused(lambda: bookings.confirm_booking("hotel", second.id, "R1", actor_id=trip.actor), "can no longer change")
    trip.case.state = "closed"
    db.session.commit()
    refused(lambda: bookings.cancel_booking("hotel", second.id, "Closed", actor_id=trip.actor), "is closed")


def test_a_booking_of_another_case_or_kind_is_not_found(trip):
    stay = book_hotel(trip)
    db.session.commit()
    with pytest.raises(NotFound):
        bookings.get_booking("hotel", stay.id, case_id=trip.case.id + 1)
    with pytest.raises(NotFound):
        bookings.get_booking("flight", stay.id)
    with pytest.raises(NotFound):
        bookings.confirm_booking("hotel", stay.id, "R", actor_id=trip.actor, case_id=trip.case.id + 1)


# ---------------------------------------------------------------------------------------------- money


def test_costs_are_stored_exactly_in_the_suppliers_currency(trip):
    stay = book_hotel(trip, cost=bookings.parse_cost(" 1240.10 ", "eur"))
    flight = book_flight(trip, cost=bookings.parse_cost("3105", "AED"))
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(HotelStay, stay.id).cost == Money(Decimal("1240.10"), "EUR")
    assert db.session.get(Flight, flight.id).cost == Money(Decimal("3105"), "AED")
    assert bookings.parse_cost("", "EUR") is None and bookings.parse_cost("  ", "") is None


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("-10.00", "EUR", "cannot be negative"),
        ("12.345", "EUR", "in EUR has 2 decimal places"),
        ("1000.50", "JPY", "in JPY has no decimal places"),
        ("12,50", "EUR", "is not an amount"),
        ("100", "EURO", "not an ISO 4217 currency"),
        ("100", "", "not an ISO 4217 currency"),
        ("1e12", "EUR", "not an amount"),
        ("1000000000000", "EUR", "too large"),
        ("NaN", "EUR", "is not an amount"),
    ],
)
def test_a_bad_cost_is_refused(amount, currency, message):
    with pytest.raises(DomainError, match=message):
        bookings.parse_cost(amount, currency)


def test_a_negative_cost_is_refused_by_the_operation_too(trip):
    refused(lambda: book_hotel(trip, cost=Money("-1", "EUR")), "cannot be negative")
    assert count(HotelStay) == 0


def test_logistics_costs_sum_bookings_not_cancelled_per_currency(trip):
    book_hotel(trip, cost=Money("1240.10", "EUR"))
    book_appointment(trip, cost=Money("17650.00", "EUR"))
    book_flight(trip, cost=Money("3105.00", "AED"))
    book_transfer(trip, cost=Money("85.50", "EUR"))
    dropped = book_hotel(trip, hotel_name="Dropped", cost=Money("999.99", "EUR"))
    book_hotel(trip, hotel_name="Price unknown")
    bookings.cancel_booking("hotel", dropped.id, "Too far from the clinic", actor_id=trip.actor)
    db.session.commit()

    assert costs.logistics_costs(trip.case.id) == {
        "AED": Money("3105.00", "AED"),
        "EUR": Money("18975.60", "EUR"),
    }


def test_logistics_costs_take_further_cost_sources(trip):
    book_hotel(trip, cost=Money("100.00", "EUR"))
    db.session.commit()

    def interpreters(case_id):
        return [Money("130.00", "EUR"), Money("50", "USD")]

    totals = costs.logistics_costs(trip.case.id, [costs.booking_costs, interpreters])
    assert totals == {"EUR": Money("230.00", "EUR"), "USD": Money("50", "USD")}


# ---------------------------------------------------------------------------------------------- the trace


def test_every_change_writes_a_timeline_line_and_an_audit_row(trip):
    flight = book_flight(trip, cost=Money("3105.00", "AED"))
    flights.update_flight(
        flight.id,
        flights.FlightDetails(
            passengers="Amira Haddad, Omar Haddad",
            airline="Emirates",
            flight_number="EK45",
            from_airport="DXB",
            to_airport="FRA",
            departure_on=soon(),
            departure_time=time(2, 40),
            arrival_on=soon(),
            arrival_time=time(7, 5),
            cost=Money("6210.00", "AED"),
        ),
        actor_id=trip.actor,
    )
    bookings.confirm_booking("flight", flight.id, "ABC123", actor_id=trip.actor)
    bookings.cancel_booking("flight", flight.id, "Patient postponed", actor_id=trip.actor)
    db.session.commit()

    notes = [event.note for event in booking_events(trip.case.id)]
    assert notes == [
        "Flight EK45 DXB→FRA requested",
        "Flight EK45 DXB→FRA changed (cost, passengers)",
        "Flight EK45 DXB→FRA confirmed (ABC123)",
        "Flight EK45 DXB→FRA cancelled: Patient postponed",
    ]
    audit = booking_audit()
    assert [row.details["action"] for row in audit] == ["created", "updated", "confirmed", "cancelled"]
    assert all(row.object_type == "case" and row.object_id == str(trip.case.id) for row in audit)
    assert all(row.actor_id == trip.actor and row.details["booking_id"] == flight.id for row in audit)
    assert audit[0].details["values"]["flight_number"] == "EK45" and audit[0].details["status"] == "requested"
    assert audit[1].details["changes"]["cost_amount"] == ["3105.00", "6210.00"]
    assert audit[2].details["reference"] == "ABC123" and audit[3].details["reason"] == "Patient postponed"


def test_saving_a_booking_unchanged_writes_nothing(trip):
    stay = book_hotel(trip)
    db.session.commit()
    hotel_stays.update_hotel_stay(
        stay.id,
        hotel_stays.HotelStayDetails(hotel_name="Hotel am Main", check_in_on=soon(), check_out_on=soon(3)),
        actor_id=trip.actor,
    )
    assert len(booking_events(trip.case.id)) == 1 and len(booking_audit()) == 1


# ---------------------------------------------------------------------------------------------- the case guard


def test_has_confirmed_appointment_only_once_the_hospital_confirmed(trip, monkeypatch):
    assert appointments.has_confirmed_appointment(trip.case) is False
    appointment = book_appointment(trip)
    assert appointments.has_confirmed_appointment(trip.case) is False, "requested is not enough"

    def appointment_blocks() -> bool:
        return any("Book the hospital appointment" in p for p in case_operations.blockers(trip.case, "travel_booked"))

    assert appointment_blocks()

    bookings.confirm_booking("appointment", appointment.id, "ABM-2231", actor_id=trip.actor)
    assert appointments.has_confirmed_appointment(trip.case) is True
    assert not appointment_blocks()

    bookings.cancel_booking("appointment", appointment.id, "Postponed", actor_id=trip.actor)
    assert appointments.has_confirmed_appointment(trip.case) is False


# ---------------------------------------------------------------------------------------------- listing


def test_bookings_of_a_case_load_in_four_statements_with_what_they_show(trip, count_queries):
    make_appointment(trip.case, admission_on=soon())
    for n in range(3):
        make_hotel(trip.case, check_in_on=soon(n), check_out_on=soon(n + 2))
        flight = make_flight(trip.case, departs_at=local(soon(n), 2, 40, "Asia/Dubai"), arrives_at=local(soon(n), 7, 5))
        make_transfer(trip.case, pickup_at=local(soon(n), 8), flight=flight)
    other = make_case()
    make_hotel(other, check_in_on=soon(), check_out_on=soon(1))
    db.session.commit()
    case_id = trip.case.id
    db.session.expunge_all()

    with count_queries() as statements:
        of_case = bookings.bookings_of(case_id)
        shown = [a.hospital.name + a.physician.name + a.programme.name for a in of_case.appointments]
        shown += [t.flight.flight_number for t in of_case.transfers]
    assert len(statements) == 4
    assert len(of_case) == 10 and len(shown) == 4
    assert [h.check_in_on for h in of_case.hotels] == [soon(0), soon(1), soon(2)]


def test_the_past_check_uses_the_current_time(trip):
    """A departure an hour from now is fine; an hour ago is not (the instant counts, not the day)."""
    dubai, berlin = ZoneInfo("Asia/Dubai"), ZoneInfo("Europe/Berlin")

    def departing(offset: timedelta) -> dict:
        departure = (utcnow() + offset).astimezone(dubai)
        arrival = (utcnow() + offset + timedelta(hours=7)).astimezone(berlin)
        return {
            "departure_on": departure.date(),
            "departure_time": time(departure.hour, departure.minute),
            "arrival_on": arrival.date(),
            "arrival_time": time(arrival.hour, arrival.minute),
        }

    refused(lambda: book_flight(trip, **departing(-timedelta(hours=1))), "cannot start in the past")
    assert book_flight(trip, **departing(timedelta(hours=1))).id
