"""The finance list of every invoice and credit note, filtered and searched."""

from __future__ import annotations

from flask import render_template, request

from backoffice.auth.permissions import roles_required
from backoffice.invoicing import bp, listing
from backoffice.invoicing.models import KIND_LABELS
from backoffice.invoicing.views.pages import INVOICE_WORKERS


@bp.route("/invoices")
@roles_required(*INVOICE_WORKERS)
def list_invoices():
    filters = listing.InvoiceFilters.from_args(request.args)  # a filter naming nothing: a 400 with a message
    return render_template(
        "invoicing/list.html",
        page=listing.list_invoices(filters),
        filters=filters,
        statuses=listing.STATUS_LABELS,
        kinds=KIND_LABELS,
    )
