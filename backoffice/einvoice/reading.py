"""One way in for an e-invoice: `read_document(data)` tells by the content (never the file name) whether the bytes
are a PDF with an embedded CII XML (ZUGFeRD / Factur-X), a UBL 2.1 invoice or credit note, or a CII invoice, and
reads them into a `Document`. Everything else raises `EInvoiceError` with a message for people."""

from __future__ import annotations

from flask_babel import gettext as _

from backoffice.einvoice import safe_xml
from backoffice.einvoice.document import Document, EInvoiceError
from backoffice.einvoice.pdf_xml import is_pdf, xml_from_pdf
from backoffice.einvoice.read_cii import read_cii
from backoffice.einvoice.read_ubl import read_ubl

UBL = "ubl"
CII = "cii"
FACTURX = "facturx"  # a PDF with the CII embedded (ZUGFeRD / Factur-X)


def looks_like_xml(data: bytes) -> bool:
    """The content starts (after a byte-order mark and white space) with `<`: XML, or something posing as it."""
    return data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"<"


def is_einvoice(data: bytes) -> bool:
    """Whether the bytes are meant as an e-invoice (XML or PDF) rather than as a CSV."""
    return is_pdf(data) or looks_like_xml(data) or data.startswith((b"\xff\xfe<", b"\xfe\xff\x00<"))


def read_with_format(data: bytes, *, max_bytes: int = safe_xml.DEFAULT_MAX_BYTES) -> tuple[str, Document]:
    """The document and the form it came in: 'facturx' (PDF), 'ubl' or 'cii'."""
    if is_pdf(data):
        xml = xml_from_pdf(data, max_bytes=max_bytes)
        root = safe_xml.parse(xml, max_bytes=max_bytes)
        if safe_xml.check_invoice_root(root) != safe_xml.CII_INVOICE:
            raise EInvoiceError(_("The PDF's embedded XML is not a CII invoice (CrossIndustryInvoice)."))
        return FACTURX, read_cii(root)
    if not is_einvoice(data):
        raise EInvoiceError(_("The file is neither XML nor PDF, so it is no e-invoice."))
    root = safe_xml.parse(data, max_bytes=max_bytes)
    if safe_xml.check_invoice_root(root) == safe_xml.CII_INVOICE:
        return CII, read_cii(root)
    return UBL, read_ubl(root)


def read_document(data: bytes, *, max_bytes: int = safe_xml.DEFAULT_MAX_BYTES) -> Document:
    """The e-invoice in `data` (UBL, CII or a Factur-X / ZUGFeRD PDF), detected by its content."""
    return read_with_format(data, max_bytes=max_bytes)[1]
