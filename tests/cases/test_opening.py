"""Staff "New case": a paused destination needs a reason, and a known email or phone offers that patient."""

import pytest
from sqlalchemy import func, select

from backoffice.cases.models import Case, CaseEvent
from backoffice.directory.operations import pause_destination
from backoffice.extensions import db
from backoffice.patients.models import Patient
from tests.factories import make_case, make_patient


def phone_case(**changes):
    data = {
        "name": "Omar Haddad",
        "email": "omar@example.org",
        "phone": "+971 50 123 4567",
        "country": "AE",
        "preferred_language": "ar",
        "requested_treatment": "Knee replacement",
        "destination_country": "DE",
        "message": "",
        "source": "phone",
        "consent": "y",
    }
    data.update(changes)
    return data


def counts():
    return tuple(db.session.scalar(select(func.count()).select_from(model)) for model in (Patient, Case))


@pytest.fixture
def known(users):
    """Khalid, a patient with one case, his email and his phone as he gave them."""
    patient = make_patient(name="Khalid Al-Mansouri", email="khalid@example.org")
    patient.phone = "+49 (69) 123-45"
    case = make_case(patient=patient)
    db.session.commit()
    return case


def test_a_paused_destination_needs_a_reason_to_open_a_case_and_the_reason_is_on_the_timeline(as_role, users):
    pause_destination("TR", reason="Travel warning", actor_id=users["admin"].id)
    db.session.commit()
    client = as_role("coordinator")
    assert "Türkiye (intake paused)" in client.get("/cases/new").get_data(as_text=True)

    refused = client.post("/cases/new", data=phone_case(destination_country="TR"))
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and counts() == (0, 0)
    assert "Intake to Türkiye is paused (Travel warning)" in page
    assert "Reason to open it although intake is paused" in page

    opened = client.post(
        "/cases/new",
        data=phone_case(destination_country="TR", paused_override_reason="Patient's own surgeon operates in Istanbul"),
    )
    assert opened.status_code == 302
    case = db.session.scalar(select(Case))
    assert case.destination_country == "TR"
    event = db.session.scalar(select(CaseEvent).where(CaseEvent.kind == "paused_override"))
    assert event.case_id == case.id and event.actor_id == users["coordinator"].id
    timeline = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Opened although intake to Türkiye is paused: Patient&#39;s own surgeon operates in Istanbul" in timeline


def test_a_known_email_warns_and_offers_that_patient_before_anything_is_stored(as_role, known):
    client = as_role("coordinator")
    response = client.post("/cases/new", data=phone_case(name="K. Al Mansouri", email="KHALID@example.org"))
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and counts() == (1, 1)
    assert "This email or phone number is already known" in page and "Khalid Al-Mansouri" in page
    assert f'href="/cases/?patient={known.patient_id}"' in page and known.number in page
    assert f'name="decision" value="patient-{known.patient_id}"' in page and 'name="decision" value="new"' in page

    opened = client.post(
        "/cases/new", data=phone_case(email="khalid@example.org", decision=f"patient-{known.patient_id}")
    )
    assert opened.status_code == 302 and counts() == (1, 2)
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.patient_id == known.patient_id
    # The patient's cases, as the warning's link lists them.
    listed = client.get(f"/cases/?patient={known.patient_id}").get_data(as_text=True)
    assert known.number in listed and case.number in listed


def test_a_known_phone_in_another_format_warns_too(as_role, known):
    response = as_role("coordinator").post("/cases/new", data=phone_case(phone="0049 69 12345"))
    assert response.status_code == 409 and "same phone number" in response.get_data(as_text=True)
    assert counts() == (1, 1)


def test_someone_else_with_a_known_contact_gets_a_new_record_and_the_case_page_warns(as_role, known):
    client = as_role("coordinator")
    opened = client.post("/cases/new", data=phone_case(email="khalid@example.org", decision="new"))
    assert opened.status_code == 302 and counts() == (2, 2)
    case = db.session.scalar(select(Case).order_by(Case.id.desc()))
    assert case.patient_id != known.patient_id
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Possibly a known patient" in page and "Khalid Al-Mansouri" in page and known.number in page


def test_a_choice_of_a_patient_who_does_not_share_the_contact_is_refused(as_role, known):
    stranger = make_patient(name="Somebody Else", email="else@example.org")
    db.session.commit()
    response = as_role("coordinator").post(
        "/cases/new", data=phone_case(email="new@example.org", decision=f"patient-{stranger.id}")
    )
    assert response.status_code == 422 and "choose from the list shown" in response.get_data(as_text=True)
    for bad in ("patient-x", "patient-", "old", "patient-1;drop"):
        assert as_role("coordinator").post("/cases/new", data=phone_case(decision=bad)).status_code == 422, bad
    assert counts() == (2, 1)


def test_new_case_is_for_coordinators_and_admins(app, users):
    from tests.helpers import login_as

    for role, status in (("coordinator", 200), ("admin", 200), ("finance", 403)):
        client = app.test_client()
        login_as(client, users[role])
        assert client.get("/cases/new").status_code == status, role
