"""The CII XML a ZUGFeRD / Factur-X PDF carries as an embedded file (`factur-x.xml`, `zugferd-invoice.xml`,
`xrechnung.xml`), taken out with pypdf (what the `factur-x` package's `get_xml_from_pdf` uses, without its own XML
parse: the XML is parsed once, by `safe_xml`). A PDF without an embedded XML, an encrypted or a broken PDF raises
`EInvoiceError`."""

from __future__ import annotations

import io
import logging

from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.errors import LimitReachedError

from backoffice.einvoice.document import EInvoiceError

# The names the standards give the embedded invoice, in the order they are looked for; then any other *.xml.
EMBEDDED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")


def is_pdf(data: bytes) -> bool:
    """A PDF starts with %PDF- within its first kilobyte (readers allow leading bytes)."""
    return b"%PDF-" in data[:1024]


def xml_from_pdf(data: bytes, *, max_bytes: int) -> bytes:
    """The embedded e-invoice XML of a PDF, unparsed."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise EInvoiceError(_("The PDF is encrypted; ask the hospital for the bill without a password."))
        attachments = reader.attachments
    except EInvoiceError:
        raise
    except Exception as error:  # pypdf raises many kinds of errors on a damaged file; each means "cannot be read"
        logging.getLogger(__name__).info("unreadable PDF: %r", error)
        raise EInvoiceError(_("The PDF cannot be read (damaged or cut short).")) from None
    by_name = {name.lower(): name for name in attachments}
    chosen = next((by_name[name] for name in EMBEDDED_NAMES if name in by_name), None)
    if chosen is None:
        chosen = next((name for lower, name in by_name.items() if lower.endswith(".xml")), None)
    if chosen is None:
        raise EInvoiceError(
            _(
                "The PDF carries no embedded e-invoice XML (factur-x.xml): it is not a ZUGFeRD / Factur-X invoice. "
                "Ask the hospital for the e-invoice or the CSV."
            )
        )
    try:
        contents = attachments[chosen]
    except LimitReachedError:  # pypdf stops inflating a stream at 75 MB: a decompression bomb
        raise EInvoiceError(_("The PDF's embedded XML is too large to be an invoice.")) from None
    except Exception:  # as above: a damaged embedded file stream
        raise EInvoiceError(_("The PDF's embedded XML cannot be read (damaged).")) from None
    xml = contents[0] if contents else b""
    if len(xml) > max_bytes:
        raise EInvoiceError(_("The PDF's embedded XML is too large to be an invoice."))
    if not xml:
        raise EInvoiceError(_("The PDF's embedded XML file is empty."))
    return xml
