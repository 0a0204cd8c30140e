"""The finance list of every invoice and credit note, filtered and searched, with its totals per currency and its
CSV (every invoice the filters select, not one page)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from flask import render_template, request

from backoffice.auth.permissions import roles_required
from backoffice.csvfile import csv_text
from backoffice.dbtypes import operator_today
from backoffice.downloads import download
from backoffice.invoicing import bp, listing
from backoffice.invoicing.models import KIND_LABELS
from backoffice.invoicing.views.pages import INVOICE_WORKERS

CSV_HEADER = (
    "number",
    "kind",
    "status",
    "case",
    "patient",
    "bill_to",
    "issued_on",
    "due_on",
    "days_overdue",
    "currency",
    "total",
    "left_to_pay",
)


@bp.route("/invoices")
@roles_required(*INVOICE_WORKERS)
def list_invoices():
    filters = listing.InvoiceFilters.from_args(request.args)  # a filter naming nothing: a 400 with a message
    return render_template(
        "invoicing/list.html",
        page=listing.list_invoices(filters),
        totals=listing.list_totals(filters),
        restricted=listing.restricted_count(filters),
        filters=filters,
        statuses=listing.STATUS_LABELS,
        kinds=KIND_LABELS,
        today=operator_today(),
    )


@bp.route("/invoices.csv")
@roles_required(*INVOICE_WORKERS)
def export_invoices():
    filters = listing.InvoiceFilters.from_args(request.args)
    body = csv_text(csv_rows(listing.all_invoices(filters)))
    return download(body, mimetype="text/csv", filename=f"invoices-{operator_today().isoformat()}.csv")


def csv_rows(entries: Sequence[listing.InvoiceEntry]) -> Iterable[list]:
    """The listed invoices as CSV rows, header first; amounts as Decimals (a credit note's "left" is empty)."""
    yield list(CSV_HEADER)
    for entry in entries:
        invoice = entry.invoice
        yield [
            invoice.number or f"draft-{invoice.id}",
            invoice.kind,
            invoice.status,
            entry.case_number,
            entry.patient_name,
            invoice.bill_to_name,
            invoice.issue_date,
            invoice.due_on,
            entry.days_overdue,
            invoice.currency,
            entry.total,
            entry.outstanding,
        ]
