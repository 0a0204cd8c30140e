"""A patient's language: the preferred language on their record is also their portal account's saved preference."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.languages import saved_preference
from backoffice.patients.models import Patient


@saved_preference.connect
def preferred_language_of_the_account(user) -> str | None:
    """The page language of a signed-in patient: the preferred language of the patient record their account opens."""
    if not user.is_patient:
        return None
    return db.session.scalar(select(Patient.preferred_language).where(Patient.user_id == user.id))
