"""The patient hears of an issued invoice (or credit note) and of a payment received, by mail.

The mail names the document's number and total and points to the portal, where the PDF is: no line, no treatment, no
other amount (mail crosses servers we do not control). Queued in the transaction that issues or records, so it exists
exactly when the invoice or payment does; with its kind switched off by an administrator, nothing is queued.
"""

from __future__ import annotations

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice
from backoffice.messages import automatic
from backoffice.messages.models import Message
from backoffice.patients.models import Patient


def tell_patient(invoice: Invoice, kind: str) -> Message | None:
    """Queue `invoice_issued` or `payment_received` about `invoice` to the case's patient (None: no address, or off)."""
    case = db.session.get(Case, invoice.case_id)
    patient = db.session.get(Patient, case.patient_id)
    return automatic.to_patient(
        kind,
        patient,
        case_id=case.id,
        document=invoice.kind,
        number=invoice.number,
        total=invoice.total,
        currency=invoice.currency,
        paid_in_full=invoice.status in ("paid", "settled"),
        portal_link=automatic.public_link("portal.list_invoices"),
    )
