"""A patient's own invoices and credit notes in the portal: the list and the archived PDFs.

A patient reaches only the issued documents of the Patient record their account is linked to. Any number that is
not one of those (another patient's, a draft's, a made-up one) gets the same answer, and the attempt is audited.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.cases.models import Case
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.invoicing import listing, queries
from backoffice.invoicing.listing import CreditBalance
from backoffice.invoicing.models import Invoice
from backoffice.languages import N_
from backoffice.patients.models import Patient
from backoffice.storage import archive

# How a patient reads an invoice's status and kind (staff pages use the bookkeeping words), in the page's language.
STATUS_WORDS = {
    "issued": N_("Awaiting payment"),
    "partially_paid": N_("Partly paid"),
    "paid": N_("Paid"),
    "refund_due": N_("Refund due to you"),
    "credited": N_("Cancelled by a credit note"),
    "settled": N_("Settled by the final invoice"),
}
CREDIT_NOTE_STATUS_WORDS = {"issued": N_("Issued"), "refund_due": N_("Refund due to you"), "paid": N_("Settled")}
DOCUMENT_WORDS = {"deposit": N_("Deposit invoice"), "final": N_("Final invoice"), "credit_note": N_("Credit note")}
AUDITED_NUMBER_LENGTH = 40


class InvoiceNotFound(NotFound):
    def __init__(self, *, trace: dict | None = None):
        super().__init__(_("There is no such invoice among yours."), trace=trace)


def status_in_words(invoice: Invoice) -> str:
    if invoice.is_credit_note and invoice.status in CREDIT_NOTE_STATUS_WORDS:
        return _(CREDIT_NOTE_STATUS_WORDS[invoice.status])
    if invoice.status in STATUS_WORDS:
        return _(STATUS_WORDS[invoice.status])
    return invoice.status.replace("_", " ").capitalize()


def document_in_words(invoice: Invoice) -> str:
    """ "Deposit invoice", "Final invoice", "Credit note" in the page's language."""
    return _(DOCUMENT_WORDS[invoice.kind]) if invoice.kind in DOCUMENT_WORDS else invoice.kind_label


def patient_id_of_user(user_id: int) -> int | None:
    """The Patient record a portal account belongs to; None for an account not linked to one."""
    return db.session.scalar(select(Patient.id).where(Patient.user_id == user_id))


def documents_of_user(user_id: int) -> list[Invoice]:
    """The issued invoices and credit notes of the account's patient, newest first (two statements)."""
    patient_id = patient_id_of_user(user_id)
    return [] if patient_id is None else queries.issued_documents_of_patient(patient_id)


def credit_of_user(user_id: int) -> list[CreditBalance]:
    """What the operator holds for the account's patient, per currency (paid beyond what their invoices asked)."""
    patient_id = patient_id_of_user(user_id)
    if patient_id is None:
        return []
    case_ids = list(db.session.scalars(select(Case.id).where(Case.patient_id == patient_id)))
    totals: dict[str, Decimal] = {}
    for case_balances in listing.credit_balances_of_cases(case_ids).values():
        for balance in case_balances:
            totals[balance.currency] = totals.get(balance.currency, Decimal(0)) + balance.amount
    return [CreditBalance(currency, amount) for currency, amount in sorted(totals.items())]


def open_pdf(number: str, *, user_id: int) -> tuple[Invoice, bytes]:
    """An issued document of the account's patient and its archived PDF, exactly as issued.

    Anything else is InvoiceNotFound, carrying a "portal.invoice_refused" audit event that the error handler keeps
    although the answer is a 404. A PDF missing from the archive or differing from the one issued raises
    ArchiveError (503). Every download is written to the audit log.
    """
    patient_id = patient_id_of_user(user_id)
    invoice = None if patient_id is None else queries.issued_by_number(number, patient_id=patient_id)
    if invoice is None:
        raise InvoiceNotFound(
            trace={
                "action": "portal.invoice_refused",
                "actor_id": user_id,
                "object_type": "invoice",
                "details": {"number": (number or "")[:AUDITED_NUMBER_LENGTH]},
            }
        )
    pdf = archive.read_recorded(
        invoice.pdf_filename,
        invoice.pdf_sha256,
        action="portal.invoice_downloaded",
        actor_id=user_id,
        object_type="invoice",
        object_id=invoice.id,
        details={"number": invoice.number, "sha256": invoice.pdf_sha256},
    )
    return invoice, pdf
