"""Invoices to patients: deposit and final invoices, credit notes, payments, and their archived PDFs."""

from flask import Blueprint

bp = Blueprint("invoicing", __name__)

# Imported for their routes and listeners; plain imports, so `backoffice.invoicing.payments` stays the operations
# module (a `from ... import payments` here would bind the views module of the same name on the package).
import backoffice.invoicing.case_page  # noqa: E402
import backoffice.invoicing.immutability  # noqa: E402
import backoffice.invoicing.message_answers  # noqa: E402
import backoffice.invoicing.offer_answers  # noqa: E402
import backoffice.invoicing.views.case_invoices  # noqa: E402
import backoffice.invoicing.views.credit_notes  # noqa: E402
import backoffice.invoicing.views.documents  # noqa: E402
import backoffice.invoicing.views.invoice_page  # noqa: E402
import backoffice.invoicing.views.lists  # noqa: E402
import backoffice.invoicing.views.payments  # noqa: E402,F401
