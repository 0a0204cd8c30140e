"""Parsing XML that comes from outside (a hospital's e-invoice): nothing in the file may make the parser read a file,
call a URL or blow up in memory.

The parser resolves no entity, loads no DTD, opens no network connection and keeps libxml2's limits (no
`huge_tree`: at most 256 levels deep, no text node over 10 MB); any DOCTYPE is refused outright, since an invoice
never needs one and every entity attack (XXE, "billion laughs") starts with one. A file over `max_bytes` is refused
before it is parsed. What is refused raises `EInvoiceError` with a message for people.
"""

from __future__ import annotations

import re

from flask_babel import gettext as _
from lxml import etree

from backoffice.einvoice.document import EInvoiceError

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

UBL_INVOICE = "{urn:oasis:names:specification:ubl:schema:xsd:Invoice-2}Invoice"
UBL_CREDIT_NOTE = "{urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2}CreditNote"
CII_INVOICE = "{urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100}CrossIndustryInvoice"
INVOICE_ROOTS = (UBL_INVOICE, UBL_CREDIT_NOTE, CII_INVOICE)

# A DOCTYPE or an entity declaration, in any ASCII-compatible encoding (UTF-16 is refused before this is asked).
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_pis=True,
        remove_comments=True,
    )


def parse(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """The root element of untrusted XML, or `EInvoiceError`: too large, a DOCTYPE, malformed or truncated, nested
    deeper than libxml2's limit (256 levels)."""
    if len(data) > max_bytes:
        raise EInvoiceError(
            _("The file is larger than %(size)s MB; nothing was read.", size=f"{max_bytes / (1024 * 1024):g}")
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:4] in (b"\x00<\x00?", b"<\x00?\x00"):
        raise EInvoiceError(_("The XML is UTF-16; an e-invoice is read in UTF-8."))
    if b"!" in data and _DECLARATION.search(data):  # a byte rare in XML looked for first: 10 MB in 1 ms, not 8
        raise EInvoiceError(
            _("The XML declares a DOCTYPE or entities, which no e-invoice needs; it is refused for safety.")
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as error:
        raise EInvoiceError(
            _(
                "The XML is malformed or cut short (line %(line)s: %(problem)s).",
                line=error.lineno or "?",
                problem=(error.msg or "").strip()[:200],
            )
        ) from None
    except ValueError as error:  # e.g. an unknown encoding declaration
        raise EInvoiceError(_("The XML cannot be read (%(problem)s).", problem=str(error)[:200])) from None
    if root is None:
        raise EInvoiceError(_("The file holds no XML element."))
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise EInvoiceError(
            _("The XML declares a DOCTYPE or entities, which no e-invoice needs; it is refused for safety.")
        )
    return root


def local_name(element: etree._Element) -> str:
    return etree.QName(element).localname


def check_invoice_root(root: etree._Element) -> str:
    """The root's Clark name when it is an UBL invoice or credit note or a CII invoice; `EInvoiceError` naming what it
    is otherwise (an Order, an HTML page ...)."""
    tag = root.tag
    if isinstance(tag, str) and tag in INVOICE_ROOTS:
        return tag
    name = local_name(root) if isinstance(tag, str) else "?"
    raise EInvoiceError(
        _(
            "The XML is a “%(name)s”, not an invoice or credit note (UBL Invoice or CreditNote, or CII "
            "CrossIndustryInvoice).",
            name=name[:60],
        )
    )
