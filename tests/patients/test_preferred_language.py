"""The rule of the patient's preferred language, as staff change it: who may, which languages, what is kept."""

from __future__ import annotations

import pytest

from backoffice.errors import PermissionDenied
from backoffice.extensions import db
from backoffice.patients.operations import PatientChanged, UnknownLanguage, change_preferred_language
from tests.factories import make_patient


@pytest.fixture
def patient(users):
    patient = make_patient(preferred_language="en", languages="it")
    db.session.commit()
    return patient


@pytest.mark.parametrize("role", ["coordinator", "admin"])
def test_those_who_coordinate_care_set_a_shipped_language(app, users, patient, role):
    assert change_preferred_language(patient.id, "ar", actor_id=users[role].id) == ("en", "ar")
    assert (patient.preferred_language, patient.languages) == ("ar", "it")


@pytest.mark.parametrize("role", ["finance", "patient"])
def test_others_may_not(app, users, patient, role):
    with pytest.raises(PermissionDenied):
        change_preferred_language(patient.id, "de", actor_id=users[role].id)
    assert patient.preferred_language == "en"


def test_only_the_languages_of_the_patients_mails_are_taken(app, users, patient):
    with pytest.raises(UnknownLanguage) as refused:
        change_preferred_language(patient.id, "es", actor_id=users["coordinator"].id)
    assert refused.value.status_code == 400 and patient.preferred_language == "en"


def test_a_language_changed_since_the_page_was_loaded_is_not_overwritten(app, users, patient):
    with pytest.raises(PatientChanged):
        change_preferred_language(patient.id, "de", actor_id=users["coordinator"].id, seen="ru")
    assert patient.preferred_language == "en"
