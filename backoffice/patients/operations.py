"""Recording patients."""

from __future__ import annotations

from backoffice.errors import DomainError
from backoffice.extensions import db
from backoffice.geo import check_country, check_languages
from backoffice.patients.models import Patient


class PatientError(DomainError):
    pass


def register_patient(
    *, name: str, email: str, phone: str = "", country: str, preferred_language: str = "en", languages: str = ""
) -> Patient:
    """A new patient record. Every request gets its own record: a same email may be a relative asking for two."""
    name, email = (name or "").strip(), (email or "").strip().lower()
    if not name:
        raise PatientError("Enter the patient's name.")
    if "@" not in email:
        raise PatientError("Enter a valid email address.")
    try:
        country = check_country(country)
        [preferred] = check_languages([preferred_language or "en"])
        extra = check_languages(languages or "")
    except ValueError as error:
        raise PatientError(str(error)) from None
    patient = Patient(
        name=name[:120],
        email=email[:254],
        phone=(phone or "").strip()[:40],
        country=country,
        preferred_language=preferred,
        languages=",".join(code for code in extra if code != preferred),
    )
    db.session.add(patient)
    db.session.flush()
    return patient
