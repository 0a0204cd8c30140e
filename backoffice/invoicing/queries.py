"""Finding invoices: for a patient's portal, for staff by number."""

from __future__ import annotations

from sqlalchemy import select

from backoffice.extensions import db
from backoffice.invoicing.models import Invoice


def issued_documents_of_patient(patient_id: int) -> list[Invoice]:
    """The patient's issued invoices and credit notes, newest first (drafts are never shown). One statement."""
    query = (
        select(Invoice)
        .where(Invoice.patient_id == patient_id, Invoice.status != "draft")
        .order_by(Invoice.issue_date.desc(), Invoice.number.desc())
    )
    return list(db.session.scalars(query))


def issued_by_number(number: str, *, patient_id: int | None = None) -> Invoice | None:
    """An issued invoice or credit note by its number; with `patient_id`, only if it is that patient's."""
    if not number or len(number) > 20:
        return None
    query = select(Invoice).where(Invoice.number == number, Invoice.status != "draft")
    if patient_id is not None:
        query = query.where(Invoice.patient_id == patient_id)
    return db.session.scalar(query)
