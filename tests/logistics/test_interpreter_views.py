"""The interpreter directory and a case's interpreter bookings, as coordinators, finance and patients use them."""

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from backoffice.extensions import db
from backoffice.logistics.models import Interpreter, InterpreterBooking
from backoffice.money import Money
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_hospital, make_patient
from tests.logistics.factories import local, make_interpreter, make_interpreter_booking

DAY = date.today() + timedelta(days=40)
INTERPRETER_FORM = {
    "name": "Layla Haddad",
    "languages": "ar, de, en",
    "hourly_rate_amount": "65.00",
    "hourly_rate_currency": "EUR",
    "email": "layla@interpreters.example",
    "phone": "+49 69 123456",
    "city": "Frankfurt am Main",
}


def text(response) -> str:
    """The page as a person reads it (entities such as &#39; unescaped)."""
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def case_in_frankfurt(**fields):
    """A confirmed case at a Frankfurt hospital; its patient speaks Arabic and English."""
    hospital = make_hospital(name="Clinic of Advanced Biological Medicine")
    return make_case(state="confirmed", hospital_id=hospital.id, patient=make_patient(name="Amira Saleh"), **fields)


def booking_form(interpreter, **changes) -> dict:
    return {
        "interpreter_id": str(interpreter.id),
        "language": "ar",
        "day": DAY.isoformat(),
        "starts": "10:00",
        "ends": "11:30",
        "place": "Clinic of Advanced Biological Medicine, Frankfurt",
        "cost_amount": "",
        "cost_currency": "EUR",
        "notes": "",
        **changes,
    }


# ---------------------------------------------------------------------------------------------- the directory


@pytest.mark.parametrize("role", ["admin", "coordinator", "finance"])
def test_staff_read_the_interpreter_directory(as_role, role):
    interpreter = make_interpreter(name="Layla Haddad", languages=("ar", "en"), rate="65.00")
    db.session.commit()
    client = as_role(role)
    page = text(client.get("/interpreters/"))
    assert "Layla Haddad" in page and "Arabic, English" in page and "€65.00/h" in page
    assert "layla@interpreters.example" in text(client.get(f"/interpreters/{interpreter.id}"))


def test_finance_reads_but_cannot_change_the_directory(as_role):
    interpreter = make_interpreter(name="Layla Haddad")
    db.session.commit()
    client = as_role("finance")
    assert "New interpreter" not in text(client.get("/interpreters/"))
    assert "Edit interpreter" not in text(client.get(f"/interpreters/{interpreter.id}"))
    refused = [
        client.get("/interpreters/new"),
        client.post("/interpreters/new", data=INTERPRETER_FORM),
        client.post(f"/interpreters/{interpreter.id}/edit", data={**INTERPRETER_FORM, "name": "Changed"}),
        client.post(f"/interpreters/{interpreter.id}/deactivate"),
    ]
    assert [response.status_code for response in refused] == [403] * 4
    db.session.expire_all()
    assert db.session.get(Interpreter, interpreter.id).active and count(Interpreter) == 1


def test_patients_never_reach_interpreter_pages(as_role):
    interpreter = make_interpreter()
    case = case_in_frankfurt()
    db.session.commit()
    client = as_role("patient")
    for url in ("/interpreters/", f"/interpreters/{interpreter.id}", f"/cases/{case.id}/interpreters"):
        assert client.get(url).status_code == 403


def test_a_coordinator_adds_an_interpreter(as_role):
    client = as_role("coordinator")
    response = client.post("/interpreters/new", data=INTERPRETER_FORM)
    interpreter = db.session.scalar(select(Interpreter))
    assert response.status_code == 302 and response.headers["Location"] == f"/interpreters/{interpreter.id}"
    assert interpreter.languages == ["ar", "de", "en"] and interpreter.hourly_rate == Money("65.00", "EUR")
    assert "Layla Haddad is in the interpreter directory." in text(client.get(response.headers["Location"]))
    assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "interpreter_created"))


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"hourly_rate_amount": "-65"}, "cannot be negative"),
        ({"hourly_rate_amount": "65.123"}, "has more"),
        ({"languages": "arabic"}, "is not a two-letter language code"),
        ({"name": ""}, "This field is required"),
        ({"email": "not an email"}, "Enter a valid email address"),
    ],
)
def test_a_wrong_interpreter_is_refused_with_422_and_nothing_stored(as_role, changes, message):
    response = as_role("coordinator").post("/interpreters/new", data={**INTERPRETER_FORM, **changes})
    assert response.status_code == 422 and message in text(response)
    assert count(Interpreter) == 0


def test_a_coordinator_edits_and_deactivates_an_interpreter(as_role):
    interpreter = make_interpreter(name="Layla Haddad")
    db.session.commit()
    client = as_role("coordinator")
    form = text(client.get(f"/interpreters/{interpreter.id}/edit"))
    assert 'value="65.00"' in form and 'value="ar, de, en"' in form
    response = client.post(f"/interpreters/{interpreter.id}/edit", data={**INTERPRETER_FORM, "languages": "ar"})
    assert response.status_code == 302
    assert client.post(f"/interpreters/{interpreter.id}/deactivate").status_code == 302
    refused = client.post(f"/interpreters/{interpreter.id}/deactivate")
    assert refused.status_code == 422 and "already deactivated" in text(refused)
    db.session.expire_all()
    stored = db.session.get(Interpreter, interpreter.id)
    assert stored.languages == ["ar"] and not stored.active


def test_the_interpreter_page_shows_upcoming_bookings_with_their_cases(as_role):
    case = case_in_frankfurt()
    interpreter = make_interpreter(name="Layla Haddad")
    make_interpreter_booking(case, interpreter, starts_at=local(DAY, 10))
    db.session.commit()
    page = text(as_role("coordinator").get(f"/interpreters/{interpreter.id}"))
    assert case.number in page and "10:00-12:00" in page


def test_the_directory_filters_by_language(as_role):
    make_interpreter(name="Layla Haddad", languages=("ar",))
    make_interpreter(name="Oleg Petrov", languages=("ru",))
    db.session.commit()
    page = text(as_role("coordinator").get("/interpreters/?language=ru&q=ol"))
    assert "Oleg Petrov" in page and "Layla Haddad" not in page


def test_the_directory_runs_a_fixed_number_of_statements(as_role, count_queries):
    client = as_role("finance")
    make_interpreter(name="Interpreter 0")
    db.session.commit()
    with count_queries() as few:
        assert client.get("/interpreters/").status_code == 200
    for n in range(1, 31):
        make_interpreter(name=f"Interpreter {n}")
    db.session.commit()
    with count_queries() as many:
        page = text(client.get("/interpreters/"))
    assert page.count('href="/interpreters/') >= 31
    assert len(few) == len(many)


@pytest.mark.parametrize("unknown", ["999", "99999999999", "99999999999999999999999"])
def test_unknown_interpreters_are_a_404_however_large_the_id(as_role, unknown):
    client = as_role("admin")
    assert client.get(f"/interpreters/{unknown}").status_code == 404
    assert client.get(f"/interpreters/{unknown}/edit").status_code == 404
    assert client.post(f"/interpreters/{unknown}/deactivate").status_code == 404
    assert client.get(f"/cases/{unknown}/interpreters/book").status_code == 404
    assert client.post(f"/cases/{unknown}/interpreters/1/cancel").status_code == 404


# ---------------------------------------------------------------------------------------------- booking


def test_the_booking_form_offers_interpreters_of_the_patients_languages_with_their_rates(as_role):
    case = case_in_frankfurt()  # the patient speaks Arabic and English
    make_interpreter(name="Layla Haddad", languages=("ar", "de"), rate="65.00")
    make_interpreter(name="John Smith", languages=("en",), rate="80.00")
    make_interpreter(name="Oleg Petrov", languages=("de", "ru"))
    make_interpreter(name="Retired Rania", languages=("ar",), active=False)
    db.session.commit()
    page = text(as_role("coordinator").get(f"/cases/{case.id}/interpreters/book"))
    assert "Layla Haddad — Arabic, German — €65.00/h" in page and "John Smith — English — €80.00/h" in page
    assert "Oleg Petrov" not in page and "Retired Rania" not in page
    assert "Europe/Berlin" in page and 'value="Clinic of Advanced Biological Medicine' in page


def test_a_coordinator_books_an_interpreter(as_role, users):
    case = case_in_frankfurt()
    interpreter = make_interpreter(name="Layla Haddad", rate="65.00")
    db.session.commit()
    client = as_role("coordinator")
    response = client.post(f"/cases/{case.id}/interpreters/book", data=booking_form(interpreter))
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}/interpreters"
    booking = db.session.scalar(select(InterpreterBooking))
    assert booking.starts_at == local(DAY, 10) and booking.ends_at == local(DAY, 11, 30)
    assert booking.cost == Money("97.50", "EUR") and booking.created_by_id == users["coordinator"].id
    page = text(client.get(response.headers["Location"]))
    assert "Layla Haddad requested for" in page and "10:00-11:30" in page and "€97.50" in page


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts": "12:00", "ends": "11:00"}, "The end (11:00) must be after the start (12:00)"),
        ({"day": (date.today() - timedelta(days=1)).isoformat()}, "is in the past"),
        ({"language": "ru"}, "Amira Saleh speaks Arabic, English"),
        ({"cost_amount": "-10"}, "cannot be negative"),
        ({"cost_amount": "ten euros"}, "is not an amount"),
        ({"day": "2026-13-45"}, "Not a valid date value"),
        ({"ends": "25:00"}, "Not a valid time value"),
        ({"day": ""}, "Enter the date"),
        ({"starts": ""}, "Enter the start time"),
        ({"place": ""}, "This field is required"),
        ({"interpreter_id": "abc"}, "Choose an interpreter from the list"),
        ({"interpreter_id": "999999"}, "no such interpreter"),
        ({"interpreter_id": "9999999999"}, "no such interpreter"),
        ({"interpreter_id": "99999999999"}, "Choose an interpreter from the list"),
    ],
)
def test_a_wrong_booking_is_refused_with_422_and_nothing_stored(as_role, changes, message):
    case = case_in_frankfurt()
    interpreter = make_interpreter(languages=("ar", "de"))
    db.session.commit()
    response = as_role("coordinator").post(
        f"/cases/{case.id}/interpreters/book", data=booking_form(interpreter, **changes)
    )
    assert response.status_code == 422 and message in text(response)
    assert count(InterpreterBooking) == 0


def test_a_double_booking_is_refused_with_422_naming_the_other_case(as_role):
    interpreter = make_interpreter(name="Layla Haddad")
    first, second = case_in_frankfurt(), case_in_frankfurt()
    make_interpreter_booking(first, interpreter, starts_at=local(DAY, 10), hours=2)
    db.session.commit()
    response = as_role("coordinator").post(
        f"/cases/{second.id}/interpreters/book", data=booking_form(interpreter, starts="11:00", ends="13:00")
    )
    assert response.status_code == 422
    assert "Layla Haddad is already booked" in text(response) and f"(case {first.number})" in text(response)
    assert count(InterpreterBooking) == 1
    db.session.expire_all()
    assert db.session.get(Interpreter, interpreter.id).booking_counter == 0  # the refused attempt left no trace


def test_a_case_without_a_hospital_is_told_to_choose_one(as_role):
    case = make_case(state="confirmed", patient=make_patient())
    interpreter = make_interpreter()
    db.session.commit()
    client = as_role("coordinator")
    assert "has no hospital yet" in text(client.get(f"/cases/{case.id}/interpreters/book"))
    response = client.post(f"/cases/{case.id}/interpreters/book", data=booking_form(interpreter))
    assert response.status_code == 422 and "Choose the hospital of case" in text(response)
    assert count(InterpreterBooking) == 0


def test_a_booking_without_the_security_token_is_refused(as_role):
    case = case_in_frankfurt()
    interpreter = make_interpreter()
    db.session.commit()
    response = as_role("coordinator").post(
        f"/cases/{case.id}/interpreters/book", data=booking_form(interpreter), csrf=False
    )
    assert response.status_code == 400 and count(InterpreterBooking) == 0


def test_finance_sees_bookings_and_costs_but_cannot_book(as_role):
    case = case_in_frankfurt()
    interpreter = make_interpreter(name="Layla Haddad")
    booking = make_interpreter_booking(case, interpreter, starts_at=local(DAY, 10), status="requested")
    booking.cost = Money("130.00", "EUR")
    db.session.commit()
    client = as_role("finance")
    page = text(client.get(f"/cases/{case.id}/interpreters"))
    assert "Layla Haddad" in page and "€130.00" in page and "Book an interpreter" not in page
    assert "Cancel booking" not in page
    refused = [
        client.get(f"/cases/{case.id}/interpreters/book"),
        client.post(f"/cases/{case.id}/interpreters/book", data=booking_form(interpreter, day=DAY.replace(day=1))),
        client.post(f"/cases/{case.id}/interpreters/{booking.id}/confirm"),
        client.post(f"/cases/{case.id}/interpreters/{booking.id}/cancel"),
        client.post(f"/cases/{case.id}/interpreters/{booking.id}/edit", data=booking_form(interpreter)),
    ]
    assert [response.status_code for response in refused] == [403] * 5
    db.session.expire_all()
    assert db.session.get(InterpreterBooking, booking.id).status == "requested" and count(InterpreterBooking) == 1


def test_a_coordinator_confirms_without_a_reference_and_cancels(as_role):
    case = case_in_frankfurt()
    interpreter = make_interpreter(name="Layla Haddad")
    booking = make_interpreter_booking(case, interpreter, starts_at=local(DAY, 10), status="requested")
    db.session.commit()
    client = as_role("coordinator")
    response = client.post(f"/cases/{case.id}/interpreters/{booking.id}/confirm", data={"supplier_reference": ""})
    assert response.status_code == 302
    assert "Layla Haddad's booking is confirmed." in text(client.get(response.headers["Location"]))
    response = client.post(f"/cases/{case.id}/interpreters/{booking.id}/cancel", data={"reason": "Surgery moved"})
    assert response.status_code == 302
    again = client.post(f"/cases/{case.id}/interpreters/{booking.id}/cancel")
    assert again.status_code == 422 and "already cancelled" in text(again)
    db.session.expire_all()
    assert db.session.get(InterpreterBooking, booking.id).status == "cancelled"


def test_a_coordinator_moves_a_booking_and_an_overlap_is_refused(as_role):
    interpreter = make_interpreter(name="Layla Haddad")
    first, second = case_in_frankfurt(), case_in_frankfurt()
    make_interpreter_booking(first, interpreter, starts_at=local(DAY, 10), hours=2)
    booking = make_interpreter_booking(second, interpreter, starts_at=local(DAY, 14), hours=1)
    db.session.commit()
    client = as_role("coordinator")
    url = f"/cases/{second.id}/interpreters/{booking.id}/edit"
    form = text(client.get(url))
    assert 'value="14:00"' in form and 'value="15:00"' in form and DAY.isoformat() in form
    refused = client.post(url, data=booking_form(interpreter, starts="11:00", ends="13:00"))
    assert refused.status_code == 422 and "already booked" in text(refused)
    db.session.expire_all()
    assert db.session.get(InterpreterBooking, booking.id).starts_at == local(DAY, 14)
    moved = client.post(url, data=booking_form(interpreter, starts="12:00", ends="13:00"))
    assert moved.status_code == 302
    db.session.expire_all()
    stored = db.session.get(InterpreterBooking, booking.id)
    assert stored.starts_at == local(DAY, 12) and stored.status == "requested"


def test_a_booking_of_another_case_is_a_404(as_role):
    case, other = case_in_frankfurt(), case_in_frankfurt()
    interpreter = make_interpreter()
    booking = make_interpreter_booking(case, interpreter, starts_at=local(DAY, 10), status="requested")
    db.session.commit()
    client = as_role("coordinator")
    responses = [
        client.post(f"/cases/{other.id}/interpreters/{booking.id}/confirm"),
        client.post(f"/cases/{other.id}/interpreters/{booking.id}/cancel"),
        client.get(f"/cases/{other.id}/interpreters/{booking.id}/edit"),
        client.post(f"/cases/{other.id}/interpreters/{booking.id}/edit", data=booking_form(interpreter)),
        client.post(f"/cases/{case.id}/interpreters/999999/confirm"),
        client.get("/cases/999999/interpreters"),
        client.get("/cases/999999/interpreters/book"),
    ]
    assert [response.status_code for response in responses] == [404] * 7
    db.session.expire_all()
    assert db.session.get(InterpreterBooking, booking.id).status == "requested"


def test_the_case_bookings_page_runs_a_fixed_number_of_statements(as_role, count_queries):
    client = as_role("coordinator")
    case = case_in_frankfurt()
    make_interpreter_booking(case, make_interpreter(name="Interpreter 0"), starts_at=local(DAY, 8))
    db.session.commit()
    with count_queries() as few:
        assert client.get(f"/cases/{case.id}/interpreters").status_code == 200
    for n in range(1, 21):
        make_interpreter_booking(case, make_interpreter(name=f"Interpreter {n}"), starts_at=local(DAY, 8))
    db.session.commit()
    with count_queries() as many:
        page = text(client.get(f"/cases/{case.id}/interpreters"))
    assert page.count("Interpreter ") >= 21
    assert len(few) == len(many)


def test_a_cancelled_case_offers_only_cancelling_its_interpreter_bookings(as_role):
    case = case_in_frankfurt()
    interpreter = make_interpreter(name="Layla Haddad")
    booking = make_interpreter_booking(case, interpreter, starts_at=local(DAY, 10), status="requested")
    case.state = "cancelled"
    db.session.commit()
    client = as_role("coordinator")
    page = text(client.get(f"/cases/{case.id}/interpreters"))
    assert "Cancel booking" in page and "Book an interpreter" not in page and ">Confirm<" not in page
    response = client.post(f"/cases/{case.id}/interpreters/book", data=booking_form(interpreter, starts="14:00"))
    assert response.status_code == 422 and "is cancelled" in text(response)
    assert client.post(f"/cases/{case.id}/interpreters/{booking.id}/cancel").status_code == 302
    assert count(InterpreterBooking) == 1
