"""The one adapter to the `factur-x` package for writing: a PDF/A-3b (as WeasyPrint writes it) with the CII XML
embedded as `factur-x.xml`, the Factur-X / ZUGFeRD profile EN 16931.

`factur-x` checks the XML against the official schema it ships (offline) before embedding it, and writes the XMP
metadata that names the profile; it calls no server (its schematron check, which would, stays off).
"""

from __future__ import annotations

import facturx

from backoffice.einvoice.document import Document, EInvoiceError

FILENAME = "factur-x.xml"
LEVEL = "en16931"


def embed_cii(pdf: bytes, xml: bytes, document: Document, *, language: str = "") -> bytes:
    """`pdf` (PDF/A-3b) with `xml` attached as factur-x.xml: the Factur-X PDF of `document`. A CII the schema
    refuses raises EInvoiceError, so nothing half-made is given out."""
    metadata = {
        "author": document.seller.name,
        "keywords": "Factur-X, ZUGFeRD, EN 16931",
        "title": f"{document.seller.name}: {document.number}",
        "subject": f"Factur-X {document.number} {document.issue_date.isoformat()}",
    }
    try:
        return facturx.generate_from_binary(
            pdf,
            xml,
            flavor="factur-x",
            level=LEVEL,
            check_xsd=True,
            check_schematron=False,
            pdf_metadata=metadata,
            lang=language or None,
        )
    except Exception as error:  # the package raises plain Exceptions for an XML its schema refuses
        raise EInvoiceError(f"the e-invoice XML of {document.number} was refused: {error}") from error
