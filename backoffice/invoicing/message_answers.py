"""Invoicing's answer to `messages.signals.case_attachables`: the PDFs of the case's issued invoices and credit
notes, exactly the bytes issued (checked against their SHA-256 when attached).

An invoice's lines name the treatment: it is health data, so it goes only to the case's patient, physician or
hospital.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.cases.models import Case
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice
from backoffice.messages import signals
from backoffice.messages.signals import Attachable
from backoffice.storage import archive


def _attachable(invoice: Invoice) -> Attachable:
    filename, sha256 = invoice.pdf_filename, invoice.pdf_sha256
    if invoice.kind == "credit_note":
        label = _("Credit note %(number)s (PDF)", number=invoice.number)
    else:
        label = _("Invoice %(number)s (PDF)", number=invoice.number)
    return Attachable(
        key=f"invoice:{invoice.id}",
        label=label,
        filename=f"{invoice.number}.pdf",
        content_type="application/pdf",
        health_data=True,
        source="invoice",
        load=lambda: archive.read_pdf(filename, sha256),
    )


@signals.case_attachables.connect
def issued_invoices(case: Case) -> list[Attachable]:
    """The case's issued invoices and credit notes, newest first (one statement; drafts are never sent)."""
    invoices = db.session.scalars(
        select(Invoice)
        .where(Invoice.case_id == case.id, Invoice.status != "draft", Invoice.pdf_filename.is_not(None))
        .order_by(Invoice.issue_date.desc(), Invoice.number.desc())
    ).all()
    return [_attachable(invoice) for invoice in invoices]
