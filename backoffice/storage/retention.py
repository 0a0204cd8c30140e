"""How long the law keeps each kind of stored file, counted from the end of the year the document is dated in.

Section 147 AO and 14b UStG: invoices and booking vouchers (issued and received invoices, credit notes) 8 years;
books and records (the accountant's booking batches) 10 years; business letters (offers, reminders, dispute
letters, what was sent by mail) 6 years. Medical records follow the operator's policy (RETENTION_MEDICAL_YEARS) and
are not locked: a patient's erasure deletes them. Each period is a setting, for the operator's tax adviser to set.
"""

from __future__ import annotations

from datetime import date

from backoffice.config import settings

# kind -> the setting with its years; locked kinds are refused deletion until their date (Object Lock where the
# bucket has it).
LOCKED_KINDS = {
    "invoice": "retention_invoice_years",
    "bill_original": "retention_invoice_years",
    "supplier_invoice": "retention_invoice_years",
    "datev_export": "retention_books_years",
    "offer": "retention_letter_years",
    "payment_reminder": "retention_letter_years",
    "letter": "retention_letter_years",
}
# A mail attachment marked as health data (a medical record sent to a hospital) is kept as medical records are, and
# erasable with them; other files sent by mail are business letters ("letter").
UNLOCKED_KINDS = {
    "case_document": "retention_medical_years",
    "mail_attachment": "retention_medical_years",
    "export": None,
}
KINDS = (*LOCKED_KINDS, *UNLOCKED_KINDS)


def years_of(kind: str) -> int | None:
    if kind not in KINDS:
        raise ValueError(f"unknown kind of stored file: {kind!r}")
    name = LOCKED_KINDS.get(kind) or UNLOCKED_KINDS.get(kind)
    return None if name is None else getattr(settings(), name)


def end_of_retention(kind: str, dated: date) -> date | None:
    """The last day a file of this kind dated `dated` must be kept: 31 December, `years` after its year ends."""
    years = years_of(kind)
    return None if years is None else date(dated.year + years, 12, 31)


def lock_until(kind: str, dated: date) -> date | None:
    """The date until which nobody may delete the file (None: its kind is not locked)."""
    return end_of_retention(kind, dated) if kind in LOCKED_KINDS else None
