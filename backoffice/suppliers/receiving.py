"""Receiving a supplier's e-invoice for a case, checked against the case's bookings of its kind, and finance's
decision on it.

The file (UBL, CII or a ZUGFeRD / Factur-X PDF, told apart by its content) is read whole or refused whole; the
original is archived unchanged with its SHA-256 as the invoice's legal original. Its lines are held against the
bookings (`checking.py`) and every difference is stored as a finding.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from backoffice.cases.documents import display_name
from backoffice.cases.operations import get_case, record_case_event
from backoffice.dbtypes import operator_today, utcnow
from backoffice.einvoice.document import Document, EInvoiceError
from backoffice.einvoice.reading import read_with_format
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.logistics.models import HotelStay, InterpreterBooking, Transfer
from backoffice.patients.restriction import refuse_changes
from backoffice.storage import archive
from backoffice.suppliers.checking import Booked, check_invoice
from backoffice.suppliers.models import KINDS, SupplierFinding, SupplierInvoice, SupplierInvoiceLine
from backoffice.trail import record_event

MAX_BYTES = 10 * 1024 * 1024
MAX_LINES = 1_000
DECISIONS = ("approved", "disputed")
BOOKING_MODELS = {"hotel": HotelStay, "transfer": Transfer, "interpreter": InterpreterBooking}
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class SupplierInvoiceError(DomainError):
    status_code = 422


class Conflict(SupplierInvoiceError):
    """Received already, or changed meanwhile."""

    status_code = 409


def _local_day(moment: datetime, timezone: str) -> date:
    """The day of a stored UTC moment in the place's own time zone."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(ZoneInfo(timezone)).date()


def _hours(start: datetime, end: datetime) -> Decimal:
    return (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01")).normalize()


def bookings_of(case_id: int, kind: str) -> list[Booked]:
    """The case's bookings of one kind as the check reads them (cancelled ones too: invoicing one is a finding)."""
    model = BOOKING_MODELS[kind]
    rows = db.session.scalars(select(model).where(model.case_id == case_id).order_by(model.id)).all()
    booked = []
    for row in rows:
        if kind == "hotel":
            first, last, label, hours = row.check_in_on, row.check_out_on, row.hotel_name, None
        elif kind == "transfer":
            first = last = _local_day(row.pickup_at, row.timezone)
            label, hours = f"{row.from_place} \u2192 {row.to_place}", None
        else:
            first = last = _local_day(row.starts_at, row.timezone)
            label, hours = f"{row.place} ({row.language})", _hours(row.starts_at, row.ends_at)
        booked.append(
            Booked(
                booking_type=model.__tablename__,
                booking_id=row.id,
                label=label[:200],
                cancelled=row.status == "cancelled",
                first_day=first,
                last_day=last,
                cost=row.cost_amount,
                currency=row.cost_currency,
                hours=hours,
            )
        )
    return booked


def _read(data: bytes | None, name: str) -> tuple[str, Document]:
    if not data:
        raise SupplierInvoiceError(_("Choose the supplier's e-invoice (XML or PDF) to upload."))
    if len(data) > MAX_BYTES:
        raise SupplierInvoiceError(_("Nothing was stored: the file is larger than 10 MB."))
    try:
        form, document = read_with_format(data, max_bytes=MAX_BYTES)
    except EInvoiceError as error:
        raise SupplierInvoiceError(
            _("Nothing was stored from “%(name)s”: %(problem)s", name=name or "?", problem=error.message)
        ) from None
    if document.is_credit_note:
        raise SupplierInvoiceError(
            _("“%(name)s” is a credit note; record it with the invoice it corrects, not as a new invoice.", name=name)
        )
    if not document.lines or len(document.lines) > MAX_LINES:
        raise SupplierInvoiceError(
            _(
                "An invoice needs between 1 and %(most)s lines; “%(name)s” has %(count)s.",
                most=MAX_LINES,
                name=name,
                count=len(document.lines),
            )
        )
    if not document.number.strip() or not document.seller.name.strip():
        raise SupplierInvoiceError(_("The e-invoice names no invoice number or no seller."))
    return form, document


def receive_supplier_invoice(
    case_id: int, kind: str, data: bytes | None, filename: str, actor_id: int | None
) -> SupplierInvoice:
    """Store a supplier's e-invoice for a case with its lines and the findings of its check against the case's
    bookings of `kind` (hotel, transfer, interpreter). The same invoice number of the same seller is received once
    per case. An erased patient's case takes none (`patients.restriction`)."""
    case = get_case(case_id)
    refuse_changes(case.patient)
    if kind not in KINDS:
        raise SupplierInvoiceError(
            _("Choose whether the invoice is a hotel's, a transfer service's or an interpreter's.")
        )
    name = display_name(filename)
    form, document = _read(data, name)
    reference, seller = document.number.strip()[:60], document.seller.name.strip()[:200]
    taken = select(SupplierInvoice.id).where(
        SupplierInvoice.case_id == case.id,
        SupplierInvoice.seller_name == seller,
        SupplierInvoice.reference == reference,
    )
    if db.session.scalar(taken) is not None:
        raise Conflict(
            _(
                "Invoice %(reference)s of %(seller)s was already received for this case.",
                reference=reference,
                seller=seller,
            )
        )
    check = check_invoice(document, bookings_of(case.id, kind))
    today = operator_today()
    safe = _UNSAFE.sub("-", f"{case.number}-{kind}-{reference}")[:80]
    stored = archive.store_file(
        safe, today.year, data, suffix="pdf" if form == "facturx" else "xml", kind="supplier_invoice"
    )
    invoice = SupplierInvoice(
        case_id=case.id,
        kind=kind,
        reference=reference,
        issued_on=document.issue_date,
        received_on=today,
        seller_name=seller,
        seller_vat_id=document.seller.vat_id[:20],
        currency=document.currency,
        net_total=document.tax_exclusive_total,
        tax_total=document.tax_total,
        total=document.grand_total,
        original_format=form,
        original_filename=stored.filename,
        original_sha256=stored.sha256,
        original_size=stored.size,
        source_filename=name[:255],
        created_by_id=actor_id,
    )
    invoice.lines = [
        SupplierInvoiceLine(
            position=position,
            line_id=line.line_id[:40],
            description=line.name[:300],
            period_start=line.period_start,
            period_end=line.period_end,
            quantity=line.quantity,
            unit_code=line.unit_code[:3],
            net_amount=line.net_amount,
            vat_category=line.vat_category[:2],
            vat_rate=line.vat_rate,
            booking_type=booking.booking_type if booking else "",
            booking_id=booking.booking_id if booking else None,
        )
        for position, (line, booking) in enumerate(zip(document.lines, check.matches, strict=True), start=1)
    ]
    invoice.findings = [
        SupplierFinding(
            position=position,
            kind=found.kind,
            booking_type=found.booking.booking_type if found.booking else "",
            booking_id=found.booking.booking_id if found.booking else None,
            line_ids=", ".join(found.line_ids)[:200],
            booked=found.booked[:200],
            invoiced=found.invoiced[:200],
            difference=found.difference,
            currency=found.currency,
        )
        for position, found in enumerate(check.findings, start=1)
    ]
    db.session.add(invoice)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise Conflict(
            _(
                "Invoice %(reference)s of %(seller)s was received a moment ago; reload the case.",
                reference=reference,
                seller=seller,
            )
        ) from None
    record_case_event(
        case,
        "supplier_invoice",
        actor_id,
        note=f"Supplier invoice {reference} of {seller} received: {len(invoice.findings)} finding(s)",
        audit={"supplier_invoice": invoice.id, "sha256": stored.sha256, "findings": len(invoice.findings)},
    )
    return invoice


def get_supplier_invoice(invoice_id: int) -> SupplierInvoice:
    """The invoice with its lines and findings loaded (three SELECTs whatever their number)."""
    invoice = db.session.get(
        SupplierInvoice,
        invoice_id,
        options=[selectinload(SupplierInvoice.lines), selectinload(SupplierInvoice.findings)],
    )
    if invoice is None:
        raise NotFound(_("There is no such supplier invoice."))
    return invoice


def decide(
    invoice_id: int, decision: str, note: str, *, actor_id: int | None, expected_version: int | None
) -> SupplierInvoice:
    """Finance approves the invoice for payment or disputes it with the supplier (a dispute needs its reason); an
    erased patient's is kept as it stands."""
    invoice = get_supplier_invoice(invoice_id)
    refuse_changes(get_case(invoice.case_id).patient)
    if expected_version is not None and expected_version != invoice.version:
        raise Conflict(_("The invoice was changed meanwhile: reload the page."))
    if decision not in DECISIONS:
        raise SupplierInvoiceError(_("Approve or dispute the invoice."))
    note = (note or "").strip()
    if decision == "disputed" and not note:
        raise SupplierInvoiceError(_("Say what is disputed, for the supplier."))
    if len(note) > 2000:
        raise SupplierInvoiceError(_("The note takes at most 2,000 characters."))
    before = invoice.status
    invoice.status, invoice.decision_note = decision, note
    invoice.decided_at, invoice.decided_by_id = utcnow(), actor_id
    db.session.flush()
    record_event(
        f"supplier_invoice_{decision}",
        actor_id=actor_id,
        object_type="supplier_invoice",
        object_id=invoice.id,
        details={"from": before, "note": note[:200]},
    )
    return invoice


def invoices_of_case(case_id: int) -> list[SupplierInvoice]:
    return list(
        db.session.scalars(
            select(SupplierInvoice)
            .where(SupplierInvoice.case_id == case_id)
            .options(selectinload(SupplierInvoice.findings))
            .order_by(SupplierInvoice.id.desc())
        )
    )
