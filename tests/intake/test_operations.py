"""submit_request: the rules of the public request, without the form."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.directory.models import PausedDestination
from backoffice.extensions import db
from backoffice.intake import operations
from backoffice.intake.models import IntakeAttempt
from backoffice.patients.models import Patient
from tests.factories import make_hospital
from tests.helpers import change_settings

ADDR = "192.0.2.10"


def submit(**changes):
    values = {
        "name": "Ivan Petrov",
        "email": "ivan@example.org",
        "country": "KZ",
        "preferred_language": "ru",
        "requested_treatment": "Knee replacement",
        "destination_country": None,
        "message": "",
        "consent": True,
        "remote_addr": ADDR,
    }
    values.update(changes)
    return operations.submit_request(**values)


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def outcomes():
    return list(db.session.scalars(select(IntakeAttempt.outcome).order_by(IntakeAttempt.id)))


def test_an_accepted_request_is_a_new_case_of_a_new_patient():
    case = submit()
    assert case.state == "new"
    assert case.source == "web"
    assert case.first_response_due_at - case.requested_at == timedelta(hours=24)
    assert db.session.get(Patient, case.patient_id).preferred_language == "ru"
    assert outcomes() == ["accepted"]


def test_the_same_email_twice_makes_two_patients_and_two_cases():
    first, second = submit(), submit(remote_addr="192.0.2.11")
    assert first.patient_id != second.patient_id
    assert first.number != second.number


def test_a_request_without_consent_is_refused():
    with pytest.raises(operations.RequestRejected, match="consent"):
        submit(consent=False)
    assert (count(Patient), count(Case), outcomes()) == (0, 0, ["rejected"])


def test_a_filled_honeypot_creates_nothing_and_says_nothing():
    assert submit(honeypot="I am a bot") is None
    assert (count(Patient), count(Case), outcomes()) == (0, 0, ["rejected"])


def test_a_paused_destination_carries_the_open_destinations():
    make_hospital(country="AT")
    make_hospital(country="TR")
    db.session.add(PausedDestination(country="TR"))
    db.session.flush()
    with pytest.raises(operations.DestinationPaused) as refusal:
        submit(destination_country="tr")
    assert refusal.value.country == "TR"
    assert refusal.value.open_destinations == [("AT", "Austria")]
    assert refusal.value.status_code == 422
    assert (count(Patient), count(Case), outcomes()) == (0, 0, ["paused_destination"])


def test_a_paused_destination_with_nothing_open_suggests_no_preference():
    db.session.add(PausedDestination(country="IN"))
    db.session.flush()
    with pytest.raises(operations.DestinationPaused, match="No preference"):
        submit(destination_country="IN")


def test_a_refusal_of_the_case_leaves_no_patient_behind_but_keeps_the_attempt():
    with pytest.raises(operations.RequestRejected, match="not a two-letter country code"):
        submit(destination_country="QQ")
    assert (count(Patient), count(Case), outcomes()) == (0, 0, ["rejected"])


def test_accepted_and_rejected_attempts_count_towards_the_limit_paused_and_limited_ones_do_not(app, monkeypatch):
    change_settings(monkeypatch, app, intake_max_per_address=2)
    db.session.add(PausedDestination(country="CH"))
    db.session.flush()
    submit()
    for _ in range(3):
        with pytest.raises(operations.DestinationPaused):
            submit(destination_country="CH")
    submit(honeypot="x")
    with pytest.raises(operations.TooManyRequests) as refusal:
        submit()
    assert refusal.value.status_code == 429
    assert timedelta(0) < refusal.value.retry_after <= settings(app).intake_window
    assert outcomes()[-1] == "rate_limited"
    assert submit(remote_addr="192.0.2.99") is not None


def test_the_window_slides(app, monkeypatch):
    change_settings(monkeypatch, app, intake_max_per_address=1)
    long_ago = utcnow() - settings(app).intake_window - timedelta(minutes=1)
    submit(now=long_ago)
    assert submit() is not None
    with pytest.raises(operations.TooManyRequests):
        submit()


@pytest.mark.parametrize(
    "changes",
    [
        {"message": "http://1.example https://2.example http://3.example www.4.example"},
        {"requested_treatment": "http://a.example", "message": "http://b.example http://c.example http://d.example"},
        {"requested_treatment": "..."},
        {"message": " ?!  "},
        {"name": "Ivan\x0bPetrov"},
    ],
)
def test_junk_is_rejected(changes):
    with pytest.raises(operations.RequestRejected):
        submit(**changes)
    assert (count(Patient), count(Case), outcomes()) == (0, 0, ["rejected"])


@pytest.mark.parametrize(
    "changes",
    [
        {"message": "Links: http://1.example https://2.example www.3.example"},
        {"message": "Line one\r\n\tLine two"},
        {"name": "李小龙", "requested_treatment": "糖尿病"},
        {"name": "ليلى حداد", "requested_treatment": "سكري النوع الأول"},
        {"requested_treatment": "IVF (2nd attempt) - 40+"},
    ],
)
def test_ordinary_text_in_any_script_is_accepted(changes):
    assert submit(**changes) is not None
