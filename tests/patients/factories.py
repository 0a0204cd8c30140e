"""A patient as the erasure leaves them (`rights.erasing`): the records made before it stay, restricted."""

from __future__ import annotations

from datetime import UTC, datetime

from backoffice.extensions import db
from backoffice.patients.models import Patient

ERASED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
PSEUDONYM = "Erased P-3F9A2C"


def erase(patient: Patient, *, pseudonym: str | None = None, erased_at: datetime = ERASED_AT) -> Patient:
    """The patient erased as `rights.erasing` does it to the record: their name becomes the pseudonym, their email,
    phone, address and date of birth are cleared, the day is kept. Make the invoices, offers and bills first (with
    the usual factories), then erase; committed. A second erased patient in a test needs a `pseudonym` of its own."""
    pseudonym = pseudonym or PSEUDONYM
    patient.name = pseudonym
    patient.pseudonym = pseudonym
    patient.erased_at = erased_at
    patient.email = ""
    patient.phone = ""
    patient.address = ""
    patient.date_of_birth = None
    db.session.commit()
    return patient


# What finance and administrators read on every page of an erased patient's record, and why a change is refused.
BANNER = "Restricted: this patient's data was erased on"
BANNER_END = "Kept for the tax law; finance only."
REFUSAL = "This patient's data was erased; their records are kept for the tax law only and cannot be changed."
