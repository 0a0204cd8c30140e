"""Invoices to patients: deposit and final invoices, credit notes, payments, and their archived PDFs."""

from flask import Blueprint

bp = Blueprint("invoicing", __name__)

from backoffice.invoicing import case_page, immutability, views  # noqa: E402,F401
