"""The one way a hospital's bill file is read, by the app's upload and by `flask bills audit` alike: a CSV, or an
e-invoice (UBL 2.1 XML, UN/CEFACT CII XML, or a ZUGFeRD / Factur-X PDF with the CII embedded), told apart by the
content, never by the file name.

An e-invoice is checked against the hospital and against itself (`e_invoices.check_document`) before any line is
audited; whatever makes the file unusable raises `BillFileError`, and nothing is stored."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _

from backoffice.billing.audit import RawLine
from backoffice.billing.bills.csv_file import DEFAULT_MAX_LINES, BillFileError, read_bill_csv
from backoffice.billing.bills.e_invoices import check_document, raw_lines
from backoffice.collector import collector_paused
from backoffice.directory.models import Hospital
from backoffice.einvoice.document import Document, EInvoiceError
from backoffice.einvoice.reading import is_einvoice, read_with_format

CSV = "csv"
# What an archived original is served as, and the suffix it is stored with.
MIMETYPES = {"csv": "text/csv", "ubl": "application/xml", "cii": "application/xml", "facturx": "application/pdf"}
SUFFIXES = {"csv": "csv", "ubl": "xml", "cii": "xml", "facturx": "pdf"}


@dataclass(frozen=True, slots=True)
class BillFile:
    """A bill file read: its form (csv, ubl, cii or facturx), its lines, and for an e-invoice the document itself
    (its number, issue date, seller and totals)."""

    format: str
    lines: list[RawLine]
    document: Document | None = None


def read_bill(data: bytes, hospital: Hospital, *, max_bytes: int, max_lines: int = DEFAULT_MAX_LINES) -> BillFile:
    """The bill in `data`, or `BillFileError` saying why it cannot be used (in the page's language, or English)."""
    with collector_paused():  # a 10,000-line bill is some 50,000 objects and no cycle: see `collector`
        return _read(data, hospital, max_bytes=max_bytes, max_lines=max_lines)


def _read(data: bytes, hospital: Hospital, *, max_bytes: int, max_lines: int) -> BillFile:
    if not is_einvoice(data):
        return BillFile(CSV, read_bill_csv(data, max_bytes=max_bytes, max_lines=max_lines))
    if len(data) > max_bytes:
        raise BillFileError(_("the file is larger than %(size)s; split the bill", size=_mb(max_bytes)))
    try:
        form, document = read_with_format(data, max_bytes=max_bytes)
    except EInvoiceError as error:
        raise BillFileError(error.message.rstrip(".")) from None
    check_document(document, hospital)
    lines = raw_lines(document)
    if len(lines) > max_lines:
        raise BillFileError(_("the e-invoice has more than %(count)s lines", count=f"{max_lines:,}"))
    return BillFile(form, lines, document)


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"
