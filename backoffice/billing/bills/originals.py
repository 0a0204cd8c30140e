"""A hospital bill's legal original: the file it came in (CSV, UBL or CII XML, ZUGFeRD PDF), archived unchanged
(`backoffice/archive.py`) with its form, SHA-256 and size, and what an e-invoice stated of itself (number, issue date,
seller, sum of line net amounts and currency). Served back byte for byte, checked against its hash, each download in
the audit trail."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _

from backoffice.billing.bills.bill_file import MIMETYPES, SUFFIXES, BillFile
from backoffice.billing.models import HospitalBill
from backoffice.directory.models import Hospital
from backoffice.errors import NotFound
from backoffice.languages import N_
from backoffice.money import round_half_up
from backoffice.storage import archive

FORM_LABELS = {  # translated where shown
    "csv": N_("CSV file"),
    "ubl": N_("UBL e-invoice (XRechnung)"),
    "cii": N_("CII e-invoice (ZUGFeRD / XRechnung)"),
    "facturx": N_("ZUGFeRD / Factur-X PDF"),
}
_UNSAFE = re.compile(r"[^A-Za-z0-9_-]+")


def archive_name(hospital_code: str, reference: str) -> str:
    """A file name from the hospital's code and its invoice number, which may hold any character (`/`, `..`)."""
    return "bill-" + (_UNSAFE.sub("-", f"{hospital_code}-{reference}").strip("-")[:80] or "bill")


def keep_original(bill: HospitalBill, hospital: Hospital, data: bytes, received: BillFile) -> None:
    """Archive the file as received and record it, with an e-invoice's own statements, on the bill."""
    stored = archive.store_file(
        archive_name(hospital.code, bill.reference),
        bill.received_on.year,
        data,
        suffix=SUFFIXES[received.format],
        kind="bill_original",
    )
    bill.original_format = received.format
    bill.original_filename = stored.filename
    bill.original_sha256 = stored.sha256
    bill.original_size = stored.size
    document = received.document
    if document is not None:
        bill.issued_on = document.issue_date
        bill.seller_name = document.seller.name[:200]
        bill.seller_vat_id = document.seller.vat_id[:20]
        bill.stated_total = round_half_up(document.line_total, 2)
        bill.stated_currency = document.currency


@dataclass(frozen=True, slots=True)
class Original:
    data: bytes
    mimetype: str
    filename: str


def original_of(bill: HospitalBill, actor_id: int) -> Original:
    """The archived original of a bill, exactly the bytes received; the download is written to the audit trail."""
    if not bill.original_filename or not bill.original_sha256:
        raise NotFound(_("This bill has no original file: its lines were entered by hand."))
    data = archive.read_recorded(  # missing or altered: a 503 with a message
        bill.original_filename,
        bill.original_sha256,
        action="hospital_bill.original_downloaded",
        actor_id=actor_id,
        object_type="hospital_bill",
        object_id=bill.id,
        details={"reference": bill.reference, "case_id": bill.case_id, "format": bill.original_format},
    )
    suffix = SUFFIXES.get(bill.original_format, "bin")
    name = bill.source_filename or f"{archive_name('', bill.reference)}.{suffix}"
    return Original(data, MIMETYPES.get(bill.original_format, "application/octet-stream"), name)
