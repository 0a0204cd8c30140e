"""Recording patients, and changing what staff keep up to date on their record."""

from __future__ import annotations

from flask_babel import gettext as _

from backoffice.auth.models import User
from backoffice.auth.permissions import may_coordinate_care
from backoffice.errors import DomainError, NotFound, PermissionDenied
from backoffice.extensions import db
from backoffice.geo import check_country, check_languages
from backoffice.languages import NATIVE_NAMES, PATIENT_LANGUAGES
from backoffice.patients.models import Patient
from backoffice.patients.restriction import refuse_changes
from backoffice.trail import record_event


class PatientError(DomainError):
    pass


class UnknownLanguage(PatientError):
    status_code = 400


class PatientChanged(PatientError):
    """Someone else (the patient in the portal, a colleague) changed the record since this user loaded it."""

    status_code = 409


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


def change_preferred_language(
    patient_id: int, code: str, *, actor_id: int, seen: str | None = None, details: dict | None = None
) -> tuple[str, str]:
    """A coordinator (or an administrator) sets the language of the patient's mails and documents; flushes.

    Only a language the patient's mails and documents are written in (English, German, Russian, Arabic) may be
    chosen; the interpreter's language (`languages`) is another field, untouched. `seen` is the language the user
    saw: when the patient (in the portal) or a colleague changed it meanwhile, the change is refused. Audited with
    before and after, like the patient's own change in the portal. Returns (before, after).
    """
    actor = db.session.get(User, actor_id)
    if actor is None or not actor.active or not may_coordinate_care(actor.role):
        raise PermissionDenied(_("Only medical coordinators and administrators change a patient's language."))
    if code not in PATIENT_LANGUAGES:
        raise UnknownLanguage(
            _(
                "Choose one of the languages of the patient's mails and documents: %(languages)s.",
                languages=", ".join(NATIVE_NAMES[language] for language in PATIENT_LANGUAGES),
            )
        )
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(_("There is no such patient."))
    refuse_changes(patient)
    before = patient.preferred_language
    if seen is not None and seen != before:
        raise PatientChanged(
            _(
                "The patient's language was changed meanwhile (by the patient in the portal or by a colleague); "
                "nothing was stored. Look at it again and retry."
            )
        )
    set_preferred_language(patient, code, actor_id=actor_id, by=actor.role, details=details)
    return before, code


def set_preferred_language(
    patient: Patient,
    code: str,
    *,
    actor_id: int,
    by: str,
    details: dict | None = None,
    remote_addr: str | None = None,
) -> None:
    """Store the language of the patient's mails and documents (already checked), audited with before, after and
    who (`by`: the patient in the portal, or the staff member's role) when it changes; flushes."""
    before = patient.preferred_language
    if code == before:
        return
    patient.preferred_language = code
    db.session.flush()
    record_event(
        "patient.language_changed",
        actor_id=actor_id,
        object_type="patient",
        object_id=patient.id,
        details={"before": before, "after": code, "by": by, **(details or {})},
        remote_addr=remote_addr,
    )
