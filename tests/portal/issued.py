"""Issued invoices for portal tests, inserted directly with their PDF in the test archive (no issuing operation)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.invoicing.models import Invoice
from backoffice.storage import archive


def make_issued_invoice(
    case,
    number: str = "INV-2026-00001",
    *,
    kind: str = "deposit",
    status: str = "issued",
    total: str = "1500.00",
    issue_date: date = date(2026, 3, 2),
    credited_invoice=None,
    pdf: bytes | None = None,
) -> Invoice:
    pdf = pdf if pdf is not None else f"%PDF-1.7\n% test invoice {number}\n%%EOF\n".encode()
    archived = archive.store_pdf(number, issue_date.year, pdf, kind="invoice")
    invoice = Invoice(
        case_id=case.id,
        patient_id=case.patient_id,
        kind=kind,
        status=status,
        number=number,
        currency="EUR",
        base_currency="EUR",
        credited_invoice_id=credited_invoice.id if credited_invoice else None,
        bill_to_name="Test Patient",
        bill_to_address="1 Test Street\nDubai",
        issue_date=issue_date,
        net_total=Decimal(total),
        tax_total=Decimal("0.00"),
        total=Decimal(total),
        pdf_filename=archived.filename,
        pdf_sha256=archived.sha256,
        pdf_size=archived.size,
        issued_at=utcnow(),
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice


def make_draft_invoice(case, *, kind: str = "final", total: str = "9000.00") -> Invoice:
    invoice = Invoice(
        case_id=case.id,
        patient_id=case.patient_id,
        kind=kind,
        status="draft",
        currency="EUR",
        base_currency="EUR",
        bill_to_name="Test Patient",
        total=Decimal(total),
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice
