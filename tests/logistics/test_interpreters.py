"""Interpreters: the directory, and bookings that fit the patient's languages and never double-book anyone."""

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from backoffice.cases.models import CaseEvent
from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.logistics import costs
from backoffice.logistics.interpreters import bookings as interpreter_bookings
from backoffice.logistics.interpreters import directory as interpreter_directory
from backoffice.logistics.models import Interpreter, InterpreterBooking
from backoffice.money import Money
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_hospital, make_patient, make_user
from tests.logistics.factories import local, make_interpreter, make_interpreter_booking

DAY = date.today() + timedelta(days=40)


def count_bookings() -> int:
    return db.session.scalar(select(func.count()).select_from(InterpreterBooking))


def case_in_frankfurt(**fields):
    """A confirmed case at a Frankfurt hospital; its patient speaks Arabic and English."""
    hospital = make_hospital(name="Clinic of Advanced Biological Medicine")
    return make_case(state="confirmed", hospital_id=hospital.id, patient=make_patient(name="Amira Saleh"), **fields)


def book(case, interpreter, *, day=DAY, starts=(10, 0), ends=(12, 0), language="ar", actor=None, **more):
    details = interpreter_bookings.InterpreterBookingDetails(
        interpreter_id=interpreter.id,
        day=day,
        starts=time(*starts),
        ends=time(*ends),
        place=more.pop("place", "Clinic of Advanced Biological Medicine, Frankfurt"),
        language=language,
        **more,
    )
    return interpreter_bookings.book_interpreter(case.id, details, actor_id=actor.id if actor else None)


def refused(call, *args, **kwargs) -> str:
    """The refusal's message; the refused call's writes are undone (the test's own rows stay)."""
    with pytest.raises(DomainError) as refusal, db.session.begin_nested():
        call(*args, **kwargs)
    return refusal.value.message


# ---------------------------------------------------------------------------------------------- the directory


def test_an_interpreter_is_added_with_languages_rate_and_contact_and_audited():
    coordinator = make_user("coordinator")
    interpreter = interpreter_directory.create_interpreter(
        name="  Layla Haddad ",
        languages="ar, EN de",
        hourly_rate_amount="65.00",
        hourly_rate_currency="eur",
        email="Layla@Interpreters.example",
        phone="+49 69 1234-56",
        city="Frankfurt am Main",
        actor_id=coordinator.id,
    )
    assert interpreter.name == "Layla Haddad" and interpreter.languages == ["ar", "en", "de"]
    assert interpreter.hourly_rate == Money("65.00", "EUR") and interpreter.email == "layla@interpreters.example"
    assert interpreter.active and interpreter.booking_counter == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "interpreter_created"))
    assert event.actor_id == coordinator.id and event.object_id == str(interpreter.id)
    assert event.details["hourly_rate"] == "65.00 EUR"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": " "}, "Enter the interpreter's name"),
        ({"languages": ""}, "List the languages the interpreter offers"),
        ({"languages": "ar, xx"}, "'xx' is not a two-letter language code"),
        ({"hourly_rate_amount": "-1.00"}, "cannot be negative"),
        ({"hourly_rate_amount": "65.005"}, "has 2 decimal places; 65.005 has more"),
        ({"hourly_rate_amount": "sixty"}, "is not an amount"),
        ({"hourly_rate_currency": "EURO"}, "is not an ISO 4217 currency code"),
        ({"email": "layla at example"}, "is not an email address"),
        ({"phone": "call me"}, "is not a phone number"),
    ],
)
def test_a_wrong_directory_entry_is_refused_by_name_and_nothing_is_stored(changes, message):
    values = {"name": "Layla Haddad", "languages": "ar", "hourly_rate_amount": "65.00", "hourly_rate_currency": "EUR"}
    assert message in refused(interpreter_directory.create_interpreter, **{**values, **changes})
    assert db.session.scalar(select(func.count()).select_from(Interpreter)) == 0


def test_an_interpreter_may_have_no_hourly_rate():
    interpreter = interpreter_directory.create_interpreter(name="Oleg Petrov", languages="ru", hourly_rate_amount="")
    assert interpreter.hourly_rate is None


def test_changing_an_interpreter_records_only_what_changed_with_amounts_to_the_cent():
    interpreter = make_interpreter(languages=("ar", "en"))
    interpreter_directory.update_interpreter(
        interpreter.id,
        name="Layla Haddad",
        languages="ar, en, fr",
        hourly_rate_amount="70",
        hourly_rate_currency="EUR",
        email="layla@interpreters.example",
        city="Frankfurt am Main",
        actor_id=None,
    )
    assert interpreter.languages == ["ar", "en", "fr"] and interpreter.hourly_rate == Money("70.00", "EUR")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "interpreter_updated"))
    assert event.details == {"languages": [["ar", "en"], ["ar", "en", "fr"]], "hourly_rate": ["65.00 EUR", "70.00 EUR"]}


def test_deactivating_twice_is_refused():
    interpreter = make_interpreter()
    interpreter_directory.deactivate_interpreter(interpreter.id, actor_id=None)
    assert not interpreter.active
    assert "already deactivated" in refused(interpreter_directory.deactivate_interpreter, interpreter.id, actor_id=None)
    interpreter_directory.reactivate_interpreter(interpreter.id, actor_id=None)
    assert db.session.get(Interpreter, interpreter.id).active


def test_the_directory_is_filtered_by_language_and_searched_by_name():
    make_interpreter(name="Layla Haddad", languages=("ar", "en"))
    make_interpreter(name="Oleg Petrov", languages=("ru", "de"))
    make_interpreter(name="Leyla Aliyeva", languages=("ru", "az"))
    names = lambda **filters: [i.name for i in interpreter_directory.list_interpreters(**filters).items]  # noqa: E731
    assert names() == ["Layla Haddad", "Leyla Aliyeva", "Oleg Petrov"]
    assert names(language="ru") == ["Leyla Aliyeva", "Oleg Petrov"]
    assert names(language="AR") == ["Layla Haddad"]
    assert names(language="zz") == []
    assert names(search="LEY") == ["Leyla Aliyeva"]
    assert names(search="%") == []
    assert names(language="ru", search="oleg") == ["Oleg Petrov"]


# ---------------------------------------------------------------------------------------------- booking


def test_a_booking_is_stored_in_utc_at_the_hospitals_local_time_and_goes_on_the_timeline():
    coordinator = make_user("coordinator")
    case = case_in_frankfurt()
    interpreter = make_interpreter(name="Layla Haddad", languages=("ar", "de"))
    booking = book(case, interpreter, starts=(10, 0), ends=(11, 30), actor=coordinator, notes="Meet at reception")
    assert booking.starts_at == local(DAY, 10) and booking.ends_at == local(DAY, 11, 30)
    assert booking.timezone == "Europe/Berlin" and booking.status == "requested" and booking.language == "ar"
    assert booking.created_by_id == coordinator.id and booking.notes == "Meet at reception"
    assert db.session.get(Interpreter, interpreter.id).booking_counter == 1
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "booking"))
    assert "Interpreter Layla Haddad, Arabic" in event.note and "10:00-11:30" in event.note
    assert event.note.endswith("requested")
    audit = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case_booking"))
    assert audit.details["booking"] == "interpreter" and audit.details["booking_id"] == booking.id


def test_the_language_must_be_one_the_patient_speaks_and_the_interpreter_offers():
    case = case_in_frankfurt()  # the patient speaks Arabic and English
    german_russian = make_interpreter(name="Oleg Petrov", languages=("de", "ru"))
    message = refused(book, case, german_russian, language="ar")
    assert "Amira Saleh speaks Arabic, English" in message and "Oleg Petrov offers German, Russian" in message
    assert "no language in common" in message
    message = refused(book, case, german_russian, language="ru")
    assert "Russian does not fit" in message
    assert count_bookings() == 0
    arabic = make_interpreter(name="Layla Haddad", languages=("ar",))
    assert book(case, arabic, language="ar").language == "ar"
    message = refused(book, case, arabic, day=DAY + timedelta(days=1), language="en")
    assert "Layla Haddad offers Arabic (both have Arabic)" in message


def test_an_unknown_language_code_is_refused():
    case = case_in_frankfurt()
    assert "not a two-letter language code" in refused(book, case, make_interpreter(), language="xx")


def test_an_interpreter_cannot_be_double_booked_across_cases():
    coordinator = make_user("coordinator")
    interpreter = make_interpreter(name="Layla Haddad")
    first, second = case_in_frankfurt(), case_in_frankfurt()
    book(first, interpreter, starts=(10, 0), ends=(12, 0))
    message = refused(book, second, interpreter, starts=(11, 0), ends=(13, 0), actor=coordinator)
    assert message.startswith("Layla Haddad is already booked ")
    assert "10:00-12:00" in message and f"(case {first.number})" in message
    # Inside, around, and the same slot are overlaps too.
    for starts, ends in (((10, 30), (11, 0)), ((9, 0), (13, 0)), ((10, 0), (12, 0))):
        assert "already booked" in refused(book, second, interpreter, starts=starts, ends=ends)
    assert count_bookings() == 1


def test_the_other_case_is_not_named_to_someone_who_is_not_staff():
    interpreter = make_interpreter(name="Layla Haddad")
    first, second = case_in_frankfurt(), case_in_frankfurt()
    book(first, interpreter)
    assert first.number not in refused(book, second, interpreter, actor=None)


def test_bookings_that_touch_end_to_start_are_allowed():
    interpreter = make_interpreter()
    first, second = case_in_frankfurt(), case_in_frankfurt()
    book(first, interpreter, starts=(10, 0), ends=(12, 0))
    book(second, interpreter, starts=(12, 0), ends=(13, 0))
    book(second, interpreter, starts=(9, 0), ends=(10, 0))
    assert count_bookings() == 3


def test_other_interpreters_and_other_days_are_free():
    first, second = case_in_frankfurt(), case_in_frankfurt()
    layla, samir = make_interpreter(name="Layla Haddad"), make_interpreter(name="Samir Aziz")
    book(first, layla)
    book(second, samir)
    book(second, layla, day=DAY + timedelta(days=1))
    assert count_bookings() == 3


def test_a_cancelled_booking_frees_the_slot():
    interpreter = make_interpreter()
    first, second = case_in_frankfurt(), case_in_frankfurt()
    booking = book(first, interpreter)
    interpreter_bookings.cancel_interpreter_booking(first.id, booking.id, reason="Appointment moved", actor_id=None)
    assert book(second, interpreter, starts=(11, 0), ends=(12, 0)).status == "requested"


def test_the_end_must_be_after_the_start():
    case = case_in_frankfurt()
    interpreter = make_interpreter()
    assert "The end (09:00) must be after the start (10:00)" in refused(
        book, case, interpreter, starts=(10, 0), ends=(9, 0)
    )
    assert "must be after the start" in refused(book, case, interpreter, starts=(10, 0), ends=(10, 0))
    assert count_bookings() == 0


def test_a_new_booking_in_the_past_is_refused():
    case = case_in_frankfurt()
    message = refused(book, case, make_interpreter(), day=date.today() - timedelta(days=1))
    assert "is in the past" in message and count_bookings() == 0


def test_a_time_skipped_by_the_clock_change_is_refused():
    year = date.today().year + 1
    last_sunday_of_march = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    message = refused(book, case_in_frankfurt(), make_interpreter(), day=last_sunday_of_march, starts=(2, 30))
    assert "does not exist in Europe/Berlin" in message


def test_a_case_without_a_hospital_cannot_book_an_interpreter():
    case = make_case(state="confirmed", patient=make_patient())
    message = refused(book, case, make_interpreter())
    assert f"Choose the hospital of case {case.number} first" in message and count_bookings() == 0


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_a_closed_or_cancelled_case_cannot_book(state):
    case = case_in_frankfurt()
    case.state = state
    db.session.flush()
    assert f"is {state}" in refused(book, case, make_interpreter())


def test_a_deactivated_interpreter_cannot_be_booked():
    interpreter = make_interpreter(name="Layla Haddad", active=False)
    assert "Layla Haddad is deactivated" in refused(book, case_in_frankfurt(), interpreter)


def test_an_unknown_interpreter_is_refused_and_a_place_is_needed():
    case = case_in_frankfurt()
    ghost = Interpreter(id=999_999)
    assert "no such interpreter" in refused(book, case, ghost)
    assert "Enter the place" in refused(book, case, make_interpreter(), place="  ")


def test_the_cost_defaults_to_the_hourly_rate_times_the_duration():
    case = case_in_frankfurt()
    booking = book(case, make_interpreter(rate="65.00"), starts=(10, 0), ends=(11, 30))
    assert booking.cost == Money("97.50", "EUR") and isinstance(booking.cost.amount, Decimal)


def test_the_computed_cost_is_rounded_half_up_to_the_cent():
    case = case_in_frankfurt()
    cheap = make_interpreter(name="Cheap", rate="0.05")  # half an hour: 0.025 EUR
    assert book(case, cheap, starts=(10, 0), ends=(10, 30)).cost == Money("0.03", "EUR")
    thirds = make_interpreter(name="Thirds", rate="65.00")  # 20 minutes: 21.666... EUR
    assert book(case, thirds, starts=(10, 0), ends=(10, 20)).cost == Money("21.67", "EUR")


def test_a_given_cost_wins_and_must_be_exact_and_not_negative():
    case = case_in_frankfurt()
    interpreter = make_interpreter(rate="65.00")
    booking = book(case, interpreter, cost_amount="150.00", cost_currency="AED")
    assert booking.cost == Money("150.00", "AED")
    day = DAY + timedelta(days=1)
    assert "cannot be negative" in refused(book, case, interpreter, day=day, cost_amount="-5", cost_currency="EUR")
    assert "has more" in refused(book, case, interpreter, day=day, cost_amount="1.234", cost_currency="EUR")
    assert "not an ISO 4217" in refused(book, case, interpreter, day=day, cost_amount="10", cost_currency="")


def test_without_a_rate_or_a_cost_the_booking_has_no_cost():
    case = case_in_frankfurt()
    interpreter = interpreter_directory.create_interpreter(name="Volunteer", languages="ar")
    assert book(case, interpreter).cost is None


# ---------------------------------------------------------------------------------------------- changing bookings


def test_moving_a_booking_onto_another_is_refused_and_onto_its_own_slot_allowed():
    coordinator = make_user("coordinator")
    interpreter = make_interpreter(name="Layla Haddad")
    first, second = case_in_frankfurt(), case_in_frankfurt()
    book(first, interpreter, starts=(10, 0), ends=(12, 0))
    booking = book(second, interpreter, starts=(14, 0), ends=(15, 0))

    def move(starts, ends):
        details = interpreter_bookings.InterpreterBookingDetails(
            interpreter_id=interpreter.id,
            day=DAY,
            starts=time(*starts),
            ends=time(*ends),
            place=booking.place,
            language="ar",
        )
        return interpreter_bookings.update_interpreter_booking(second.id, booking.id, details, actor_id=coordinator.id)

    message = refused(move, (11, 0), (13, 0))
    assert "Layla Haddad is already booked" in message and first.number in message
    db.session.expire_all()
    assert db.session.get(InterpreterBooking, booking.id).starts_at == local(DAY, 14)
    assert move((14, 30), (15, 30)).starts_at == local(DAY, 14, 30)  # overlaps only its own old slot
    moved = move((12, 0), (13, 0))
    assert moved.ends_at == local(DAY, 13) and moved.cost == Money("65.00", "EUR")


def test_a_confirmed_booking_that_moves_must_be_confirmed_again():
    case = case_in_frankfurt()
    interpreter = make_interpreter()
    booking = book(case, interpreter)
    interpreter_bookings.confirm_interpreter_booking(case.id, booking.id, actor_id=None)
    details = interpreter_bookings.InterpreterBookingDetails(
        interpreter_id=interpreter.id, day=DAY, starts=time(13, 0), ends=time(15, 0), place=booking.place, language="ar"
    )
    changed = interpreter_bookings.update_interpreter_booking(case.id, booking.id, details, actor_id=None)
    assert changed.status == "requested"
    event = db.session.scalars(select(CaseEvent).order_by(CaseEvent.id.desc())).first()
    assert "to be confirmed again" in event.note


def test_a_cancelled_booking_cannot_be_changed():
    case = case_in_frankfurt()
    interpreter = make_interpreter()
    booking = book(case, interpreter)
    interpreter_bookings.cancel_interpreter_booking(case.id, booking.id, actor_id=None)
    message = refused(
        interpreter_bookings.update_interpreter_booking,
        case.id,
        booking.id,
        interpreter_bookings.InterpreterBookingDetails(
            interpreter_id=interpreter.id, day=DAY, starts=time(10), ends=time(11), place="x", language="ar"
        ),
        actor_id=None,
    )
    assert "cancelled" in message


def test_confirming_needs_no_reference_but_keeps_one():
    case = case_in_frankfurt()
    interpreter = make_interpreter()
    booking = book(case, interpreter)
    assert interpreter_bookings.confirm_interpreter_booking(case.id, booking.id, actor_id=None).status == "confirmed"
    other = book(case, interpreter, day=DAY + timedelta(days=2))
    confirmed = interpreter_bookings.confirm_interpreter_booking(
        case.id, other.id, supplier_reference="WA 12:03", actor_id=None
    )
    assert confirmed.supplier_reference == "WA 12:03"
    assert "only a requested booking" in refused(
        interpreter_bookings.confirm_interpreter_booking, case.id, booking.id, actor_id=None
    )


def test_cancelling_twice_is_refused_and_a_cancelled_booking_cannot_be_confirmed():
    case = case_in_frankfurt()
    booking = book(case, make_interpreter())
    interpreter_bookings.cancel_interpreter_booking(case.id, booking.id, actor_id=None)
    assert "already cancelled" in refused(
        interpreter_bookings.cancel_interpreter_booking, case.id, booking.id, actor_id=None
    )
    assert "is cancelled" in refused(
        interpreter_bookings.confirm_interpreter_booking, case.id, booking.id, actor_id=None
    )


def test_a_booking_of_another_case_is_not_found():
    case, other = case_in_frankfurt(), case_in_frankfurt()
    booking = book(case, make_interpreter())
    assert "no such interpreter booking" in refused(interpreter_bookings.get_interpreter_booking, other.id, booking.id)
    assert "no such interpreter booking" in refused(
        interpreter_bookings.cancel_interpreter_booking, other.id, booking.id, actor_id=None
    )


def test_the_case_lists_its_bookings_and_the_costs_of_those_not_cancelled():
    case = case_in_frankfurt()
    interpreter = make_interpreter(rate="65.00")
    later = make_interpreter_booking(case, interpreter, starts_at=local(DAY, 14), hours=1)
    earlier = book(case, interpreter, starts=(9, 0), ends=(10, 30))
    cancelled = book(case, interpreter, day=DAY + timedelta(days=1))
    interpreter_bookings.cancel_interpreter_booking(case.id, cancelled.id, actor_id=None)
    assert [b.id for b in interpreter_bookings.interpreter_bookings_of(case.id)] == [earlier.id, later.id, cancelled.id]
    assert costs.interpreter_costs(case.id) == [Money("97.50", "EUR")]  # the factory booking has no cost


def test_upcoming_bookings_of_an_interpreter_leave_out_past_and_cancelled_ones():
    case = case_in_frankfurt()
    interpreter = make_interpreter()
    make_interpreter_booking(case, interpreter, starts_at=local(date.today() - timedelta(days=3), 10))
    make_interpreter_booking(case, interpreter, starts_at=local(DAY, 10), status="cancelled")
    coming = make_interpreter_booking(case, interpreter, starts_at=local(DAY, 14))
    assert interpreter_directory.upcoming_bookings(interpreter.id) == [(coming, case.number)]
