"""The language of the patient's mails and documents, changed by the coordinator on the case page (issue 17): saved
on the patient record, audited, on the case's timeline, used by the next mail; refused to finance, for a language the
mails are not written in, and when the patient changed it meanwhile in the portal."""

from __future__ import annotations

import html

import pytest
from sqlalchemy import select

from backoffice.extensions import db
from backoffice.messages.models import Message
from backoffice.patients.models import Patient
from backoffice.trail import AuditEvent
from tests.factories import make_case, make_patient


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def language_of(patient_id: int) -> tuple[str, str]:
    db.session.expire_all()
    patient = db.session.get(Patient, patient_id)
    return patient.preferred_language, patient.languages


@pytest.fixture
def case(users):
    """A case of Layla, who asked in English and speaks Italian with her interpreter."""
    case = make_case(
        patient=make_patient(name="Layla Haddad", preferred_language="en", languages="it"),
        coordinator=users["coordinator"],
    )
    db.session.commit()
    return case


def test_the_case_page_shows_the_language_of_the_patients_mails_and_offers_the_patient_languages(as_role, case):
    body = page(as_role("coordinator").get(f"/cases/{case.id}"))
    assert "Mails and documents in" in body and 'name="preferred_language"' in body
    for code, name in (("en", "English"), ("de", "Deutsch"), ("ru", "Русский"), ("ar", "العربية")):
        assert f'value="{code}"' in body and name in body
    assert 'name="seen" type="hidden" value="en"' in body


def test_a_coordinators_change_is_saved_audited_and_used_by_the_next_mail(as_role, users, case):
    client = as_role("coordinator")
    response = client.post(f"/cases/{case.id}/patient-language", data={"preferred_language": "de", "seen": "en"})

    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}#patient"
    assert language_of(case.patient_id) == ("de", "it"), "the interpreter's language stays as it was"
    [event] = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "patient.language_changed")).all()
    assert event.actor_id == users["coordinator"].id and event.object_id == str(case.patient_id)
    assert event.details == {"before": "en", "after": "de", "by": "coordinator", "case": case.number}
    body = page(client.get(f"/cases/{case.id}"))
    assert "The patient's mails and documents are now in Deutsch." in body
    assert "Language of the patient's mails and documents: en → de" in body

    client.post(f"/cases/{case.id}/portal-invite")
    [mail] = db.session.scalars(select(Message).where(Message.kind == "portal_invite")).all()
    assert mail.language == "de" and "Patientenportal" in mail.subject


def test_the_change_shows_on_the_timeline_finance_reads(as_role, case):
    as_role("coordinator").post(f"/cases/{case.id}/patient-language", data={"preferred_language": "ru"})
    body = page(as_role("finance").get(f"/cases/{case.id}"))
    assert "Language of the patient's mails and documents: en → ru" in body and "Русский" in body


def test_finance_may_not_change_the_patients_language(as_role, case):
    client = as_role("finance")
    assert 'name="preferred_language"' not in page(client.get(f"/cases/{case.id}"))
    response = client.post(f"/cases/{case.id}/patient-language", data={"preferred_language": "de"})
    assert response.status_code == 403
    assert language_of(case.patient_id) == ("en", "it")


@pytest.mark.parametrize("code", ["es", "xx", "it", "de-DE", "<b>"])
def test_a_language_the_mails_are_not_written_in_is_a_400_with_a_clear_message(as_role, case, code):
    response = as_role("coordinator").post(f"/cases/{case.id}/patient-language", data={"preferred_language": code})
    assert response.status_code == 400
    assert (
        "Choose one of the languages of the patient's mails and documents: English, Deutsch, Русский, العربية."
        in page(response)
    )
    assert language_of(case.patient_id) == ("en", "it")
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "patient.language_changed")) is None


def test_no_language_chosen_is_refused(as_role, case):
    response = as_role("coordinator").post(f"/cases/{case.id}/patient-language", data={})
    assert response.status_code == 422 and "Choose a language." in page(response)
    assert language_of(case.patient_id) == ("en", "it")


def test_a_change_the_patient_made_meanwhile_in_the_portal_is_not_overwritten(as_role, case):
    patient = db.session.get(Patient, case.patient_id)
    patient.preferred_language = "ar"  # the patient, in the portal, after the coordinator loaded the page
    db.session.commit()
    response = as_role("coordinator").post(
        f"/cases/{case.id}/patient-language", data={"preferred_language": "de", "seen": "en"}
    )
    assert response.status_code == 409 and "changed meanwhile" in page(response)
    assert language_of(case.patient_id) == ("ar", "it")
    assert 'name="seen" type="hidden" value="ar"' in page(response), "the page shows the language in force now"


def test_a_patient_whose_language_is_not_shipped_gets_english_mails_and_the_page_says_so(as_role, users):
    case = make_case(patient=make_patient(preferred_language="it"), coordinator=users["coordinator"])
    db.session.commit()
    body = page(as_role("coordinator").get(f"/cases/{case.id}"))
    assert '<dd data-mail-language="">English</dd>' in body or "<dd data-mail-language>English</dd>" in body
