"""How logistics takes part in the pipeline: travel booked needs a clean itinerary, treatment starts on admission day,
and a ride to a departing flight runs on the departure airport's clock."""

import re
from datetime import date, time, timedelta

import pytest

from backoffice.cases import operations
from backoffice.cases.operations import TransitionRefused
from backoffice.extensions import db
from backoffice.logistics.bookings import transfers
from backoffice.logistics.models import Transfer
from tests.factories import make_case, make_hospital, make_physician, make_programme, make_user
from tests.logistics.factories import (
    local,
    make_appointment,
    make_confirmed_case,
    make_flight,
    make_hotel,
    make_transfer,
)


@pytest.fixture
def confirmed_case():
    """A confirmed case with every earlier guard satisfied; only logistics decides."""
    coordinator = make_user("coordinator")
    hospital = make_hospital(languages=("de", "en", "ar"))
    programme = make_programme(hospital, contraindications=())
    case = make_case(
        state="confirmed",
        coordinator=coordinator,
        hospital_id=hospital.id,
        programme_id=programme.id,
        physician_id=make_physician(hospital).id,
    )
    from backoffice.cases.models import CaseDocument
    from tests.factories import make_accepted_offer

    make_accepted_offer(case)
    db.session.add(
        CaseDocument(
            case_id=case.id,
            uploaded_by_id=coordinator.id,
            original_filename="r.pdf",
            stored_name=f"r-{case.id}",
            content_type="application/pdf",
            size_bytes=1,
            sha256="0" * 64,
        )
    )
    db.session.flush()
    return case, coordinator


def test_travel_is_booked_only_once_the_itinerary_shows_no_problems(confirmed_case):
    case, coordinator = confirmed_case
    admission = date.today() + timedelta(days=30)
    make_appointment(case, admission_on=admission)
    flight = make_flight(
        case,
        departs_at=local(admission - timedelta(days=1), 8, 0, "Asia/Dubai"),
        arrives_at=local(admission - timedelta(days=1), 12, 20),
    )
    with pytest.raises(TransitionRefused, match="itinerary shows"):
        operations.transition(case.id, "travel_booked", actor_id=coordinator.id)
    make_transfer(case, pickup_at=local(admission - timedelta(days=1), 13, 30), flight=flight)
    make_hotel(case, check_in_on=admission - timedelta(days=1), check_out_on=admission)
    with pytest.raises(TransitionRefused, match="on the admission day"):  # and the ride to the hospital
        operations.transition(case.id, "travel_booked", actor_id=coordinator.id)
    make_transfer(
        case, pickup_at=local(admission, 8, 0), from_kind="hotel", from_place="Hotel am Main", to_kind="hospital"
    )
    operations.transition(case.id, "travel_booked", actor_id=coordinator.id)
    assert case.state == "travel_booked"


def test_treatment_starts_on_the_admission_day(confirmed_case):
    case, coordinator = confirmed_case
    appointment = make_appointment(case, admission_on=date.today() + timedelta(days=3))
    case.state = "travel_booked"
    with pytest.raises(TransitionRefused, match="The patient is admitted on"):
        operations.transition(case.id, "in_treatment", actor_id=coordinator.id)
    appointment.admission_on = date.today() - timedelta(days=1)
    operations.transition(case.id, "in_treatment", actor_id=coordinator.id)
    assert operations.get_case(case.id).state == "in_treatment"


def test_a_ride_to_a_departing_flight_is_timed_at_the_departure_airport(confirmed_case):
    case, coordinator = confirmed_case
    day = date.today() + timedelta(days=40)
    home = make_flight(
        case,
        from_airport="FRA",
        to_airport="DXB",
        departure_tz="Europe/Berlin",
        arrival_tz="Asia/Dubai",
        departs_at=local(day, 15, 0),
        arrives_at=local(day, 23, 30, "Asia/Dubai"),
        flight_number="EK46",
    )
    ride = transfers.create_transfer(
        case.id,
        transfers.TransferDetails(
            from_kind="hotel",
            from_place="Hotel am Main",
            to_kind="airport",
            to_place="FRA",
            pickup_on=day,
            pickup_time=time(11, 0),
            flight_id=home.id,
        ),
        actor_id=coordinator.id,
    )
    assert ride.timezone == "Europe/Berlin"
    assert ride.pickup_at == local(day, 11, 0)


def test_a_transfer_form_without_its_places_is_refused_not_an_error(as_role, users):
    hospital = make_hospital()
    case = make_case(state="confirmed", coordinator=users["coordinator"], hospital_id=hospital.id)
    db.session.commit()
    response = as_role("coordinator").post(
        f"/cases/{case.id}/bookings/transfer/new",
        data={
            "from_kind": "",
            "from_place": "x",
            "to_kind": "",
            "to_place": "y",
            "pickup_on": (date.today() + timedelta(days=9)).isoformat(),
            "pickup_time": "10:00",
        },
    )
    assert response.status_code == 422
    assert "Choose where the transfer starts." in response.get_data(as_text=True)
    assert db.session.query(Transfer).count() == 0


def test_a_confirmed_booking_changed_in_substance_needs_the_supplier_again(confirmed_case):
    from backoffice.logistics.bookings import appointments

    case, coordinator = confirmed_case
    admission = date.today() + timedelta(days=30)
    appointment = make_appointment(case, admission_on=admission)
    assert appointments.has_confirmed_appointment(case)
    later = admission + timedelta(days=40)
    appointments.update_appointment(
        appointment.id,
        appointments.AppointmentDetails(
            start_on=later, start_time=time(9, 0), admission_on=later, discharge_on=later + timedelta(days=20)
        ),
        actor_id=coordinator.id,
        case_id=case.id,
    )
    assert appointment.status == "requested" and not appointments.has_confirmed_appointment(case)


def test_costs_and_dates_beyond_reason_are_refused(confirmed_case):
    from backoffice.logistics.bookings import hotel_stays
    from backoffice.logistics.bookings.operations import BookingError
    from backoffice.money import Money

    case, coordinator = confirmed_case
    day = date.today() + timedelta(days=10)
    with pytest.raises(BookingError, match="more than any booking costs"):
        hotel_stays.create_hotel_stay(
            case.id,
            hotel_stays.HotelStayDetails(
                hotel_name="H",
                check_in_on=day,
                check_out_on=day + timedelta(days=1),
                cost=Money("999999999999.00", "EUR"),
            ),
            actor_id=coordinator.id,
        )
    with pytest.raises(BookingError, match="years away"):
        hotel_stays.create_hotel_stay(
            case.id,
            hotel_stays.HotelStayDetails(hotel_name="H", check_in_on=day, check_out_on=date(9999, 12, 31)),
            actor_id=coordinator.id,
        )


def test_finance_does_not_see_booking_notes(as_role, users):
    hospital = make_hospital()
    case = make_case(state="confirmed", coordinator=users["coordinator"], hospital_id=hospital.id)
    day = date.today() + timedelta(days=12)
    make_hotel(case, check_in_on=day, check_out_on=day + timedelta(days=2), notes="post-chemo fatigue")
    db.session.commit()
    assert "post-chemo" in as_role("coordinator").get(f"/cases/{case.id}/bookings").get_data(as_text=True)
    as_role("coordinator").post("/logout")
    assert "post-chemo" not in as_role("finance").get(f"/cases/{case.id}/bookings").get_data(as_text=True)


def test_the_database_keeps_one_appointment_in_play_per_case(confirmed_case):
    """Two coordinators creating an appointment at once: the partial unique index lets one through (a cancelled
    appointment does not count)."""
    from sqlalchemy.exc import IntegrityError

    case, _ = confirmed_case
    make_appointment(case, admission_on=date.today() + timedelta(days=30), status="cancelled")
    make_appointment(case, admission_on=date.today() + timedelta(days=31), status="requested")
    with pytest.raises(IntegrityError), db.session.begin_nested():
        make_appointment(case, admission_on=date.today() + timedelta(days=32), status="requested")


def test_a_coordinator_has_one_working_feed_address():
    from sqlalchemy.exc import IntegrityError

    from backoffice.logistics.models import CalendarFeed

    coordinator = make_user("coordinator")
    db.session.add(CalendarFeed(user_id=coordinator.id, token="a" * 64))
    db.session.flush()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.add(CalendarFeed(user_id=coordinator.id, token="b" * 64))
        db.session.flush()


# ---------------------------------------------------------------------------------------------- the case page


@pytest.fixture
def case(users):
    return make_confirmed_case(users["coordinator"], languages=("de", "en", "ar"))


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
