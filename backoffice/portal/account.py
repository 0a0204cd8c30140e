"""The patient's own account in the portal: the language their pages, mails and documents are in.

The password is changed through `auth.operations.change_password`, the one rule of every account; the language is
the preferred language on the patient record the account opens (`patients.preferred_language`), the same field the
coordinator sees, so a mail made for the patient afterwards is in it too. The interpreter's language is another
field, untouched here.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.languages import NATIVE_NAMES, PATIENT_LANGUAGES
from backoffice.patients.models import Patient
from backoffice.patients.operations import set_preferred_language


class LanguageRefused(DomainError):
    status_code = 422


def patient_of_account(user_id: int) -> Patient:
    """The patient record the portal account opens (NotFound for an account linked to none)."""
    patient = db.session.scalar(select(Patient).where(Patient.user_id == user_id))
    if patient is None:
        raise NotFound(_("Your account is not linked to a patient record; please ask your coordinator."))
    return patient


def change_language(user_id: int, code: str, *, remote_addr: str | None = None) -> Patient:
    """The patient chooses the language of their portal, mails and documents; audited with before and after.

    Only a language the portal speaks (English, German, Russian, Arabic) may be chosen here; flushes.
    """
    if code not in PATIENT_LANGUAGES:
        raise LanguageRefused(_("Choose one of the languages offered."))
    patient = patient_of_account(user_id)
    set_preferred_language(patient, code, actor_id=user_id, by="patient", remote_addr=remote_addr)
    return patient


def language_name(code: str) -> str:
    return NATIVE_NAMES.get(code, code)
