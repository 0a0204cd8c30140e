"""An erased patient's records are restricted: kept for the tax law, read by finance only, in no list, changed by none.

The erasure (GDPR Art. 17, `rights.erasing`) keeps a patient's invoices, credit notes, payments, reminders, offers,
hospital bills and supplier invoices under the pseudonym their name became, because the books must stay complete
(Art. 17(3)(b) with the retention duties of the tax law); from then on their processing is restricted (Art. 18). This
module is the one place every feature asks about it:

- a list or a search (cases, invoices, bills, the dunning list, the dashboard's panels) adds `not_erased()` to its
  query, for every role: a restricted record turns up in no list;
- the books do not: the payments journal, revenue, the ageing totals, the DATEV export and the savings report stay
  complete and show the pseudonym;
- a record page calls `check_may_see(patient)`: finance and administrators (`may_see_restricted`) see the record under
  the banner of `templates/patients/_restricted.html`; anyone else finds nothing, as for a record that does not exist;
- an operation that changes a record, makes a new one or writes to the patient calls `refuse_changes(patient)` first.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, exists
from sqlalchemy.orm import aliased

from backoffice.auth.permissions import may_invoice_patients
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.patients.models import Patient

RESTRICTED = N_("This patient's data was erased; their records are kept for the tax law only and cannot be changed.")


class RecordRestricted(DomainError):
    """A change of an erased patient's record, or a new one for them: refused whoever asks."""

    status_code = 409


def not_erased(patient_id: ColumnElement | None = None) -> ColumnElement[bool]:
    """The condition a list adds to leave out erased patients' records.

    Without an argument, for a query that joins `Patient`: its `erased_at` is NULL. Given the column that holds the
    patient's id (`Case.patient_id`, `Invoice.patient_id`), for a query that does not join patients: no erased patient
    has that id (NOT EXISTS on the primary key, through an alias of its own so it never correlates to a join).
    """
    if patient_id is None:
        return Patient.erased_at.is_(None)
    erased = aliased(Patient, name="erased_patients")
    return ~exists().where(erased.id == patient_id, erased.erased_at.is_not(None))


def may_see_restricted(role: str | None = None) -> bool:
    """Whether `role` (by default the signed-in user's) reads erased patients' records: those who keep the books,
    finance and administrators (the invoice list's audience)."""
    return may_invoice_patients(role)


def _patient(patient: Patient | int | None) -> Patient | None:
    if patient is None or isinstance(patient, Patient):
        return patient
    return db.session.get(Patient, patient)


def check_may_see(patient: Patient | int | None, role: str | None = None) -> None:
    """A record page of an erased patient's record (the patient or their id): shown to finance and administrators,
    to anyone else as unknown as a record that does not exist (404)."""
    found = _patient(patient)
    if found is not None and found.is_erased and not may_see_restricted(role):
        raise NotFound(_("There is nothing at this address."))


def refuse_changes(patient: Patient | int | None) -> None:
    """Refuse (409) a change of an erased patient's record, a new record for them, or a mail to them: what the
    erasure kept is kept as it was, for the tax law only."""
    found = _patient(patient)
    if found is not None and found.is_erased:
        raise RecordRestricted(_(RESTRICTED))
