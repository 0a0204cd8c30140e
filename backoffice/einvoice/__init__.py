"""E-invoices (EN 16931): reading XRechnung / ZUGFeRD / Factur-X documents as UBL 2.1 or UN/CEFACT CII XML, or a PDF
with the CII XML embedded, into one neutral `Document`, and writing a `Document` as CII (embedded in a PDF/A-3 by
Factur-X) or UBL (XRechnung). No feature is imported here: billing reads hospital bills through it, invoicing writes
the operator's invoices through it."""
