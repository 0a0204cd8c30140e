"""When a patient's data may be erased (GDPR Art. 17), and what the tax law keeps of it.

Erasure is refused, with each reason, while a case is still running (treatment, travel or aftercare ahead: close or
cancel it first) or money is open: an issued invoice with something left to pay, credit owed back to the patient, a
draft invoice, a hospital bill still being audited, approved and unpaid, or disputed without its correction, a
supplier invoice not yet decided.

What the law keeps is restricted, not erased (`RESTRICTED`): each kind with the stored-file kind whose retention
setting it follows (`storage.retention`) and the law named in the certificate.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.billing.bills.states import STATUS_LABELS as BILL_STATUS_LABELS
from backoffice.billing.models import HospitalBill
from backoffice.cases.models import Case
from backoffice.cases.states import FINAL, label
from backoffice.extensions import db
from backoffice.invoicing.listing import case_accounts, credit_balances, invoices_of_case
from backoffice.invoicing.models import Invoice
from backoffice.money import format_money
from backoffice.suppliers.models import SupplierInvoice

INVOICES_LAW = "section 147 AO, section 14b UStG"
LETTERS_LAW = "section 147 AO, section 257 HGB"


@dataclass(frozen=True)
class Kept:
    storage_kind: str  # its retention follows this kind of stored file's setting
    law: str


# restricted kind -> how long and why it is kept
RESTRICTED = {
    "invoice": Kept("invoice", INVOICES_LAW),
    "credit_note": Kept("invoice", INVOICES_LAW),
    "payment": Kept("invoice", INVOICES_LAW),
    "payment_reminder": Kept("payment_reminder", LETTERS_LAW),
    "offer": Kept("offer", LETTERS_LAW),
    "hospital_bill": Kept("bill_original", INVOICES_LAW),
    "supplier_invoice": Kept("supplier_invoice", INVOICES_LAW),
    "letter": Kept("letter", LETTERS_LAW),
}
OPEN_BILL_STATUSES = ("received", "under_review", "approved")


def cases_of(patient_id: int) -> list[Case]:
    return list(db.session.scalars(select(Case).where(Case.patient_id == patient_id).order_by(Case.id)))


def refusals(patient_id: int) -> list[str]:
    """Every reason the patient's data may not be erased now (empty: it may)."""
    reasons = []
    cases = cases_of(patient_id)
    for case in cases:
        if case.state not in FINAL:
            reasons.append(
                _(
                    "Case %(number)s is “%(state)s”: close or cancel it first.",
                    number=case.number,
                    state=label(case.state),
                )
            )
        reasons += _money_open(case)
    case_ids = [case.id for case in cases]
    if not case_ids:
        return reasons
    drafts = db.session.scalars(
        select(Invoice.case_id).where(Invoice.case_id.in_(case_ids), Invoice.status == "draft").distinct()
    ).all()
    numbers = {case.id: case.number for case in cases}
    reasons += [_("Case %(number)s has a draft invoice: issue or delete it first.", number=numbers[i]) for i in drafts]
    bills = db.session.scalars(select(HospitalBill).where(HospitalBill.case_id.in_(case_ids))).all()
    corrected = {bill.supersedes_id for bill in bills if bill.supersedes_id}
    for bill in bills:
        if bill.status in OPEN_BILL_STATUSES or (bill.status == "disputed" and bill.id not in corrected):
            reasons.append(
                _(
                    "Hospital bill %(reference)s of case %(number)s is not settled yet (%(status)s).",
                    reference=bill.reference,
                    number=numbers[bill.case_id],
                    status=_(BILL_STATUS_LABELS[bill.status]),
                )
            )
    received = db.session.scalars(
        select(SupplierInvoice).where(SupplierInvoice.case_id.in_(case_ids), SupplierInvoice.status == "received")
    ).all()
    reasons += [
        _(
            "Supplier invoice %(reference)s of case %(number)s is not decided yet.",
            reference=invoice.reference,
            number=numbers[invoice.case_id],
        )
        for invoice in received
    ]
    return reasons


def _money_open(case: Case) -> list[str]:
    reasons = []
    for account in case_accounts(invoices_of_case(case.id), credit_balances(case.id)):
        if account.outstanding > 0:
            reasons.append(
                _(
                    "Case %(number)s has %(amount)s open on its invoices.",
                    number=case.number,
                    amount=format_money(account.outstanding, account.currency),
                )
            )
        if account.refund_due > 0:
            reasons.append(
                _(
                    "Case %(number)s owes the patient %(amount)s: pay it back first.",
                    number=case.number,
                    amount=format_money(account.refund_due, account.currency),
                )
            )
    return reasons
