"""Supplier invoices: what hotels, transfer services and interpreters charge for a case's bookings, received as
e-invoices (or their PDFs) and checked against the bookings (dates, nights, hours, agreed price)."""
