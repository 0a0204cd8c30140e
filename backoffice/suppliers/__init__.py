"""Supplier invoices: what hotels, transfer services and interpreters charge for a case's bookings, received as
e-invoices (or their PDFs) and checked against the bookings (dates, nights, hours, agreed price)."""

from flask import Blueprint

bp = Blueprint("suppliers", __name__)

# Its panel on the case page (connected on import), and its pages.
from backoffice.suppliers import case_page, views  # noqa: E402,F401
