"""The patient's account page: the language of their portal, mails and documents (saved on their patient record,
audited, the next page speaks it) and their password (the one rule and operation of every account)."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.patients.models import Patient
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_patient
from tests.helpers import login_as

NEW_PASSWORD = "a lantern by the old gate"


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def paula(users) -> int:
    """Paula signs in with `users["patient"]`; she reads Arabic; answers her patient record's id."""
    patient = make_patient(name="Paula Marchetti", email=users["patient"].email, preferred_language="ar")
    patient.user_id = users["patient"].id
    patient.languages = "it"  # the interpreter's language: another field
    make_case(patient=patient)
    db.session.commit()
    return patient.id


def preferred(patient_id: int) -> tuple[str, str]:
    db.session.expire_all()
    patient = db.session.get(Patient, patient_id)
    return patient.preferred_language, patient.languages


def test_the_account_page_speaks_the_patients_language_right_to_left(client, users, paula):
    login_as(client, users["patient"])
    body = page(client.get("/portal/account"))
    assert '<html lang="ar" dir="rtl">' in body and "تغيير كلمة المرور" in body and "كلمة المرور الحالية" in body
    assert '<option selected value="ar">العربية</option>' in body or 'value="ar" selected' in body


def test_a_patient_chooses_a_language_and_the_next_page_speaks_it(client, users, paula):
    login_as(client, users["patient"])
    response = client.post("/portal/account/language", data={"language": "ru"})

    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/account")
    assert preferred(paula) == ("ru", "it"), "the interpreter's language stays as it was"
    body = page(client.get("/portal/account"))
    assert '<html lang="ru"' in body and "Сохранено: теперь Ваши страницы и письма на языке Русский." in body
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.language_changed")).all()
    assert event.actor_id == users["patient"].id and event.object_id == str(paula)
    assert event.details["before"] == "ar" and event.details["after"] == "ru"


@pytest.mark.parametrize("language", ["es", "xx", ""])
def test_a_language_the_portal_does_not_speak_is_refused(client, users, paula, language):
    login_as(client, users["patient"])
    response = client.post("/portal/account/language", data={"language": language})
    assert response.status_code == 422
    assert preferred(paula) == ("ar", "it")


def test_a_patient_changes_their_password_on_the_account_page(app, client, users, paula):
    login_as(client, users["patient"])
    response = client.post(
        "/portal/account/password",
        data={"current": "correct horse battery", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/account")
    assert "تم تغيير كلمة المرور" in page(client.get("/portal/account")), "this session stays signed in"
    login_as(app.test_client(), users["patient"], password=NEW_PASSWORD)


def test_a_wrong_current_password_is_refused_in_the_patients_language(client, users, paula):
    login_as(client, users["patient"])
    response = client.post(
        "/portal/account/password",
        data={"current": "not my password", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 422 and "كلمة المرور الحالية غير صحيحة." in page(response)


def test_a_weak_or_mismatched_new_password_is_refused_in_the_patients_language(client, users, paula):
    login_as(client, users["patient"])
    weak = client.post(
        "/portal/account/password",
        data={"current": "correct horse battery", "password": "password1234", "confirm": "password1234"},
    )
    assert weak.status_code == 422 and "من أكثر كلمات المرور شيوعًا" in page(weak)
    mismatched = client.post(
        "/portal/account/password",
        data={"current": "correct horse battery", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "!"},
    )
    assert mismatched.status_code == 422 and "كلمتا المرور غير متطابقتين." in page(mismatched)


def test_the_patients_menu_leads_to_messages_and_the_account(client, users, paula):
    login_as(client, users["patient"])
    body = page(client.get("/portal/account"))
    assert 'href="/portal/messages"' in body and "الرسائل" in body
    assert 'href="/portal/account#password"' in body
