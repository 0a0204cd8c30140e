"""The public request form /request, as a patient or relative uses it, and what it stores."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.directory.models import PausedDestination
from backoffice.extensions import db
from backoffice.geo import country_name
from backoffice.intake.models import IntakeAttempt
from backoffice.patients.models import Patient
from backoffice.trail import AuditEvent
from tests.factories import make_hospital
from tests.helpers import change_settings

NUMBER = re.compile(r"C-\d{4}-\d{5}")


def request_data(**changes):
    data = {
        "name": "Layla Haddad",
        "email": "Layla.Haddad@example.org",
        "phone": "+971 50 123 4567",
        "country": "AE",
        "preferred_language": "ar",
        "requested_treatment": "Type 1 diabetes, stem cell therapy",
        "destination_country": "DE",
        "message": "Diagnosed in 2019, insulin since then.",
        "consent": "y",
        "website": "",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def send(client, addr="198.51.100.20", **changes):
    return client.post("/request", data=request_data(**changes), environ_base={"REMOTE_ADDR": addr})


def stored():
    """How many patients, cases and intake attempts exist."""
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Patient, Case, IntakeAttempt))


def attempts():
    return [(a.outcome, a.remote_addr) for a in db.session.scalars(select(IntakeAttempt).order_by(IntakeAttempt.id))]


@pytest.fixture(autouse=True)
def germany_is_a_destination():
    """The form offers only destinations with a hospital (and paused ones); the requests below go to Germany."""
    make_hospital(country="DE", city="Frankfurt am Main")
    db.session.commit()


@pytest.fixture
def paused():
    """The demo's paused destinations, with open hospitals in Germany and Austria."""
    make_hospital(country="AT", city="Vienna")
    for code in ("TR", "CH", "KR", "IN"):
        db.session.add(PausedDestination(country=code, reason="Demo"))
    db.session.commit()


# ---------------------------------------------------------------------------------------------- the page


def test_the_form_is_public_and_shows_only_the_brand_to_anonymous_visitors(client):
    response = client.get("/request")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Request treatment abroad" in page
    assert "within 24 hours" in page
    assert "processes the health data" in page
    assert 'name="csrf_token"' in page
    assert "Sign out" not in page and "Dashboard" not in page
    assert "<script" not in page and "style=" not in page


def test_the_form_lists_the_open_destinations(client, paused):
    page = client.get("/request").get_data(as_text=True)
    assert "We currently arrange treatment in:" in page
    assert "Austria, Germany." in page


@pytest.mark.parametrize("role", ["patient", "coordinator", "admin"])
def test_signed_in_patients_and_staff_may_use_the_form_too(as_role, role):
    client = as_role(role)
    assert client.get("/request").status_code == 200
    response = send(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/request/thanks")
    assert stored() == (1, 1, 1)


# ---------------------------------------------------------------------------------------------- accepted


def test_an_accepted_request_opens_a_new_case_due_for_first_contact_within_24_hours(client):
    response = send(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/request/thanks")

    patient = db.session.scalars(select(Patient)).one()
    case = db.session.scalars(select(Case)).one()
    assert (patient.name, patient.email, patient.phone) == (
        "Layla Haddad",
        "layla.haddad@example.org",
        "+971 50 123 4567",
    )
    assert (patient.country, patient.preferred_language) == ("AE", "ar")
    assert case.patient_id == patient.id
    assert NUMBER.fullmatch(case.number)
    assert case.number.startswith(f"C-{case.requested_at.year}-")
    assert (case.state, case.source, case.destination_country) == ("new", "web", "DE")
    assert case.requested_treatment == "Type 1 diabetes, stem cell therapy"
    assert case.message == "Diagnosed in 2019, insulin since then."
    assert case.health_data_consent_at == case.requested_at
    assert case.first_response_due_at == case.requested_at + timedelta(hours=24)
    attempt = db.session.scalars(select(IntakeAttempt)).one()
    assert (attempt.outcome, attempt.case_id, attempt.remote_addr) == ("accepted", case.id, "198.51.100.20")
    actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"case_opened", "patient_registered"} <= actions


def test_the_thank_you_page_shows_the_case_number_and_promises_contact_within_24_hours(client):
    page = client.get(send(client).headers["Location"]).get_data(as_text=True)
    number = db.session.scalar(select(Case.number))
    assert number in page
    assert "Thank you, Layla Haddad" in page
    assert "within 24 hours" in page
    assert "layla.haddad@example.org" not in page  # nothing more about the request than its number and name


def test_the_thank_you_page_is_shown_once(client):
    thanks = send(client).headers["Location"]
    assert client.get(thanks).status_code == 200
    assert client.get(thanks).headers["Location"] == "/request"


def test_no_preference_leaves_the_destination_open(client):
    assert send(client, destination_country="").status_code == 302
    assert db.session.scalar(select(Case.destination_country)) is None


def test_each_request_gets_its_own_unique_number(client):
    for addr in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert send(client, addr=addr).status_code == 302
    numbers = list(db.session.scalars(select(Case.number).order_by(Case.id)))
    assert len(set(numbers)) == 3
    assert [int(n[-5:]) for n in numbers] == [1, 2, 3]


def test_the_thank_you_page_without_a_request_sends_back_to_the_form(client):
    response = client.get("/request/thanks")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/request")


# ---------------------------------------------------------------------------------------------- refused


def test_without_consent_the_request_is_refused_and_nothing_is_stored(client):
    response = send(client, consent=None)
    assert response.status_code == 422
    assert "We can only take the request with this consent." in response.get_data(as_text=True)
    assert stored() == (0, 0, 0)


def test_a_paused_destination_is_refused_naming_the_open_destinations(client, paused):
    response = send(client, destination_country="TR")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"We are not taking new requests for treatment in {country_name('TR')} at the moment." in page
    assert "Destinations open now: Austria, Germany." in page
    # What the person typed is still there.
    assert 'value="Layla Haddad"' in page
    assert "Diagnosed in 2019, insulin since then." in page
    assert stored() == (0, 0, 1)
    assert attempts() == [("paused_destination", "198.51.100.20")]


def test_an_open_destination_is_accepted_while_others_are_paused(client, paused):
    assert send(client, destination_country="AT").status_code == 302
    assert db.session.scalar(select(Case.destination_country)) == "AT"


def test_the_rate_limit_refuses_an_address_after_its_allowance_but_not_other_addresses(app, client, monkeypatch):
    change_settings(monkeypatch, app, intake_max_per_address=2)
    assert send(client, addr="203.0.113.7").status_code == 302
    assert send(client, addr="203.0.113.7").status_code == 302

    response = send(client, addr="203.0.113.7")
    assert response.status_code == 429
    assert (
        "Too many requests from your connection; please try again in an hour, or write to us at"
        in response.get_data(as_text=True)
    )
    assert int(response.headers["Retry-After"]) > 0
    assert stored()[:2] == (2, 2)

    assert send(client, addr="198.51.100.99").status_code == 302
    assert stored()[:2] == (3, 3)
    assert [outcome for outcome, addr in attempts() if addr == "203.0.113.7"] == [
        "accepted",
        "accepted",
        "rate_limited",
    ]


def test_the_rate_limit_ends_when_the_requests_leave_the_window(app, client, monkeypatch):
    change_settings(monkeypatch, app, intake_max_per_address=1)
    assert send(client).status_code == 302
    assert send(client).status_code == 429
    db.session.execute(
        update(IntakeAttempt).values(attempted_at=utcnow() - settings(app).intake_window - timedelta(seconds=1))
    )
    db.session.commit()
    assert send(client).status_code == 302


def test_refused_paused_destinations_do_not_use_up_the_allowance(app, client, monkeypatch, paused):
    change_settings(monkeypatch, app, intake_max_per_address=1)
    for _ in range(3):
        assert send(client, destination_country="CH").status_code == 422
    assert send(client, destination_country="DE").status_code == 302


def test_a_filled_honeypot_gets_the_thank_you_page_but_nothing_is_created(client):
    response = send(client, website="http://cheap-pills.example")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Thank you" in page and "within 24 hours" in page
    assert not NUMBER.search(page)
    assert stored() == (0, 0, 1)
    assert attempts() == [("rejected", "198.51.100.20")]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"message": "see http://a.example http://b.example www.c.example https://d.example"},
            "no more than 3 web links",
        ),
        ({"requested_treatment": "?!?!... ---"}, "not only punctuation"),
        ({"name": "!!!"}, "not only punctuation"),
    ],
    ids=["four-links", "punctuation-treatment", "punctuation-name"],
)
def test_junk_is_refused_and_only_the_attempt_is_kept(client, changes, message):
    response = send(client, **changes)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert stored() == (0, 0, 1)
    assert attempts() == [("rejected", "198.51.100.20")]


def test_control_characters_and_line_breaks_are_stripped_as_the_request_comes_in(client):
    """Stored as typed they would break the pages and files that show them again (the case's .ics, a header)."""
    response = send(client, name="Ann\r\nLee\u202e", message="hello\x07\x1b[31m world\r\nsecond line")
    assert response.status_code == 302
    patient = db.session.scalar(select(Patient))
    assert patient.name == "Ann Lee"
    assert db.session.scalar(select(Case)).message == "hello[31m world\nsecond line"


def test_junk_uses_up_the_allowance(app, client, monkeypatch):
    change_settings(monkeypatch, app, intake_max_per_address=2)
    send(client, name="???")
    send(client, website="filled")
    assert send(client).status_code == 429
    assert stored()[:2] == (0, 0)


def test_a_post_without_the_csrf_token_is_refused(client):
    response = client.post("/request", data=request_data(), csrf=False)
    assert response.status_code == 400
    assert "security token" in response.get_data(as_text=True)
    assert stored() == (0, 0, 0)


# ---------------------------------------------------------------------------------------------- hostile input


@pytest.mark.parametrize(
    "changes",
    [
        {"name": "N" * 121},
        {"email": "x" * 250 + "@example.org"},
        {"phone": "1" * 41},
        {"phone": "call me maybe"},
        {"requested_treatment": "t" * 301},
        {"message": "m" * 5001},
        {"email": "not an email"},
        {"country": "XX"},
        {"country": ""},
        {"preferred_language": "zz"},
        {"destination_country": "QQ"},
        {"destination_country": "ES"},  # a country, but not one where we arrange treatment
        {"destination_country": "' OR 1=1 --"},
        {"requested_treatment": ""},
        {"name": "   "},
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_stored(client, changes):
    response = send(client, **changes)
    assert response.status_code == 422
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert stored() == (0, 0, 0)


def test_a_nul_byte_is_refused_without_an_error(client):
    assert send(client, name="Layla\x00").status_code == 400
    assert stored() == (0, 0, 0)


def test_markup_and_sql_are_stored_as_text_and_shown_escaped(client, as_role):
    script = "<script>alert('x')</script>"
    response = send(
        client,
        name=f"{script} Robert'); DROP TABLE patients;--",
        requested_treatment=f"<img src=x onerror=alert(1)> knee {script}",
        message="1' OR '1'='1; DELETE FROM cases; --",
    )
    assert response.status_code == 302
    page = client.get("/request/thanks").get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert" in page

    case = db.session.scalars(select(Case)).one()
    assert case.message == "1' OR '1'='1; DELETE FROM cases; --"
    assert db.session.scalar(select(Patient.name)).startswith("<script>alert('x')</script>")

    staff_page = as_role("coordinator").get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.number in staff_page
    assert "<script>alert" not in staff_page and "<img src=x" not in staff_page


# ---------------------------------------------------------------------------------------------- GET changes nothing


def test_a_get_never_changes_anything(client, paused):
    before = (*stored(), db.session.scalar(select(func.count()).select_from(AuditEvent)))
    query = request_data(destination_country="TR")
    assert client.get("/request", query_string=query).status_code == 200
    assert client.get("/request/thanks", query_string=query).status_code == 302
    assert client.get("/request/thanks").status_code == 302
    after = (*stored(), db.session.scalar(select(func.count()).select_from(AuditEvent)))
    assert before == after == (0, 0, 0, 0)


def test_a_request_with_a_known_email_tells_the_visitor_nothing_and_warns_the_coordinator(app, client, users):
    from tests.factories import make_case, make_patient
    from tests.helpers import login_as

    known = make_case(patient=make_patient(name="Layla H. (first request)", email="layla.haddad@example.org"))
    db.session.commit()
    response = send(client, name="Layla Haddad", phone="+971 50 999 0000")
    assert response.status_code == 302
    thanks = client.get("/request/thanks").get_data(as_text=True)
    assert "first request" not in thanks and known.number not in thanks and "known" not in thanks.lower()
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.id != known.id and case.patient_id != known.patient_id  # the visitor's request stands as sent

    coordinator = app.test_client()
    login_as(coordinator, users["coordinator"])
    page = coordinator.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Possibly a known patient" in page and "Layla H. (first request)" in page and known.number in page
    assert f'href="/cases/?patient={known.patient_id}"' in page
