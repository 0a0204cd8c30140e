"""The demo's patient to erase: a closed case with everything paid, so that an administrator can try the patient's
right to erasure (a second administrator, admin2@demo.test, confirms it) and finance can see what the tax law keeps
of it, restricted."""

from __future__ import annotations

from sqlalchemy import func, select

from backoffice.cases.models import Case
from backoffice.demo.invoices import paid_in_full
from backoffice.extensions import db
from backoffice.geo import country_name
from backoffice.invoicing import deposits, issuing
from backoffice.patients.models import Patient

DEPOSIT_SHARE = "30"  # percent of the accepted offer


def seed_erasable(actor_id: int | None) -> list[str]:
    """Invoice and pay a deposit on a closed case whose patient has no other case and no portal login; returns the
    seed's output line (none when there is no such case)."""
    only_case = select(Case.patient_id).group_by(Case.patient_id).having(func.count(Case.id) == 1).scalar_subquery()
    case = db.session.scalars(
        select(Case)
        .join(Patient, Patient.id == Case.patient_id)
        .where(Case.state == "closed", Case.patient_id.in_(only_case), Patient.user_id.is_(None))
        .order_by(Case.id)
        .limit(1)
    ).first()
    if case is None:
        return []
    patient = db.session.get(Patient, case.patient_id)
    if not patient.address:  # an invoice needs it
        patient.address = f"Harbour Road 12\n{country_name(patient.country)}"
    draft = deposits.create_deposit_draft(case.id, actor_id=actor_id, share_percent=DEPOSIT_SHARE)
    invoice = issuing.issue_invoice(draft.id, actor_id=actor_id)
    paid_in_full(invoice, actor_id, reference=f"SEPA transfer, {invoice.number}")
    return [
        f"To erase: {patient.name}, case {case.number} closed, deposit invoice {invoice.number} paid "
        "(Data requests: an administrator asks, admin2@demo.test confirms; finance then finds the invoice restricted)."
    ]
