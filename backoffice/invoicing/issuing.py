"""Issuing: a draft becomes a numbered, archived, unchangeable invoice, all in one transaction.

The order matters. First the draft's row is claimed with `UPDATE ... WHERE status = 'draft' AND version = ?`: a
second click, a second tab or a colleague gets nothing to update and is told it is issued already (on PostgreSQL the
row lock makes them wait for the first to finish; SQLite has one writer at a time). Then the rules are checked again
against what others issued meanwhile, the number is taken from the series' counter row (locked until commit, so
numbers are unique and consecutive), the PDF rendered and archived. Any failure rolls everything back, the number
included, and removes the archived file: no number is consumed by a failed issue. One exception: when the commit
itself is cut off (the database went away), it may have been committed without the answer reaching us, so the file
is kept (an unused one is named by its hash and served by nothing).
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import update

from backoffice.cases.operations import get_case
from backoffice.config import settings
from backoffice.dbtypes import operator_today, utcnow
from backoffice.einvoice.document import EInvoiceError
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.invoicing import payments
from backoffice.invoicing.credit_notes import check_credit_note_at_issue
from backoffice.invoicing.deposits import check_deposit_at_issue
from backoffice.invoicing.drafts import retax
from backoffice.invoicing.e_invoices import factur_x_pdf
from backoffice.invoicing.finals import final_in_force, refresh_deductions
from backoffice.invoicing.invoices import (
    InvoiceConflict,
    InvoiceError,
    check_bound,
    get_invoice,
    lock_case_of,
    record_invoice_event,
    shown_label,
    totals_of,
)
from backoffice.invoicing.models import SERIES, Invoice
from backoffice.invoicing.offer_difference import check_difference_at_issue
from backoffice.invoicing.patient_mail import tell_patient
from backoffice.invoicing.printing import issuer_details
from backoffice.languages import for_patient
from backoffice.numbering import next_number
from backoffice.patients.restriction import refuse_changes
from backoffice.storage import archive
from backoffice.storage.transactions import discard_on_rollback


def _claim(invoice_id: int, expected_version: int | None) -> None:
    claim = (
        update(Invoice)
        .where(Invoice.id == invoice_id, Invoice.status == "draft")
        .values(version=Invoice.version + 1)
        .execution_options(synchronize_session=False)
    )
    if expected_version is not None:
        claim = claim.where(Invoice.version == expected_version)
    if db.session.execute(claim).rowcount == 1:
        return
    current = db.session.get(Invoice, invoice_id, populate_existing=True)
    if current is None:
        raise NotFound(_("There is no such invoice."))
    if not current.is_draft:
        raise InvoiceConflict(
            _("This draft was issued already as %(number)s; nothing was issued twice.", number=current.number)
        )
    raise InvoiceConflict(
        _(
            "%(invoice)s was changed by someone else meanwhile. Look at it again and retry.",
            invoice=shown_label(current),
        )
    )


def _check(invoice: Invoice) -> None:
    if not invoice.lines:
        raise InvoiceError(_("An invoice without lines cannot be issued: add what it charges first."))
    if not invoice.bill_to_name.strip() or not invoice.bill_to_address.strip():
        raise InvoiceError(_("Enter the patient's name and full address: an invoice cannot be issued without them."))
    if invoice.service_from is None and invoice.kind != "deposit":
        raise InvoiceError(_("Enter the service period (at least its first day) before issuing."))
    if not invoice.bill_to_country:
        raise InvoiceError(_("Enter the payer's country code (such as DE): an invoice cannot be issued without it."))
    if invoice.currency != invoice.base_currency and (invoice.exchange_rate is None or not invoice.exchange_rate_on):
        raise InvoiceError(_("Enter the exchange rate and its date before issuing."))
    totals = totals_of(invoice)
    check_bound(totals.total)
    if totals.total <= 0:
        raise InvoiceError(_("The invoice's total is 0: there is nothing to issue."))
    if invoice.kind == "deposit":
        check_deposit_at_issue(invoice)
    elif invoice.kind == "final":
        other = final_in_force(invoice.case_id, exclude_id=invoice.id)
        if other is not None and not other.is_draft:
            raise InvoiceError(
                _("%(invoice)s is in force for this case; credit it in full first.", invoice=shown_label(other))
            )
        check_difference_at_issue(invoice)
    else:
        check_credit_note_at_issue(invoice)


def issue_invoice(
    invoice_id: int, *, actor_id: int | None, expected_version: int | None = None, issued_on: date | None = None
) -> Invoice:
    """Issue a draft: check it, number it, freeze it with the issuer's details, archive its PDF, and queue the
    "invoice issued" mail to the patient (number, total, portal link). Flushes; the caller commits (a rollback
    removes the archived PDF, gives the number back and drops the mail).

    An invoice is dated the operator's today; `issued_on` (never later than today) writes the demo's history, whose
    patients have invoices issued weeks ago."""
    lock_case_of(invoice_id)  # deposits vs the estimate, credit notes vs what is left: one issuer a case
    _claim(invoice_id, expected_version)
    invoice = get_invoice(invoice_id, refresh=True)
    refuse_changes(invoice.patient_id)  # an erased patient's draft is never issued
    refresh_deductions(invoice)
    # VAT per rate again, against the credit notes issued meanwhile; written while the invoice is still a draft.
    retax(invoice)
    db.session.flush()
    _check(invoice)
    case = get_case(invoice.case_id)
    issue_date = min(issued_on or operator_today(), operator_today())
    series = SERIES[invoice.kind]
    number = f"{series}-{issue_date.year}-{next_number(series, issue_date.year):05d}"
    totals = totals_of(invoice)
    invoice.number = number
    invoice.issue_date = issue_date
    # A deposit asked for before the treatment is booked is dated by its request.
    invoice.service_from = invoice.service_from or issue_date
    invoice.service_to = invoice.service_to or invoice.service_from
    if not invoice.is_credit_note and not (invoice.due_on and invoice.due_on >= issue_date):
        # A deposit drafted from an offer's schedule keeps its instalment's due date while it is not past.
        invoice.due_on = issue_date + timedelta(days=settings().invoice_payment_days)
    invoice.issuer = issuer_details()
    invoice.net_total, invoice.tax_total, invoice.total = totals.net, totals.tax, totals.total
    invoice.deductions_total = totals.deductions
    invoice.issued_at = utcnow()
    invoice.issued_by_id = actor_id
    tell_patient(invoice, "invoice_issued")
    try:
        # In the patient's language as of today: the archived bytes keep it, whatever they prefer later. A PDF/A-3b
        # with its CII XML attached (Factur-X EN 16931): the archived PDF is the e-invoice.
        pdf = factur_x_pdf(invoice, case_number=case.number, language=for_patient(case.patient.preferred_language))
    except EInvoiceError as exc:
        raise InvoiceError(
            _(
                "The e-invoice of %(number)s could not be made (%(problem)s); nothing was issued.",
                number=number,
                problem=exc.message,
            )
        ) from exc
    except Exception as exc:
        current_app.logger.exception("rendering %s failed", number)
        raise InvoiceError(
            _(
                "The PDF of %(number)s could not be made (%(problem)s); nothing was issued.",
                number=number,
                problem=type(exc).__name__,
            )
        ) from exc
    stored = archive.store_pdf(number, issue_date.year, pdf, kind="invoice")
    discard_on_rollback(archive.AREA + stored.filename)  # a failed issue gives its number back, and its PDF
    invoice.pdf_filename, invoice.pdf_sha256, invoice.pdf_size = stored.filename, stored.sha256, stored.size
    invoice.status = "issued"
    db.session.flush()
    payments.refresh_status(invoice)
    if invoice.is_credit_note:
        payments.refresh_status(get_invoice(invoice.credited_invoice_id))
    db.session.flush()
    payments.refresh_deposits(invoice.case_id)  # a final invoice in force settles them; cancelling it reopens them
    record_invoice_event(
        invoice,
        case,
        actor_id,
        "issued",
        f"{invoice.kind_label} {number} issued: {_amount(totals.total)} {invoice.currency}",
        total=str(totals.total),
        currency=invoice.currency,
        sha256=stored.sha256,
    )
    return invoice


def _amount(value: Decimal) -> str:
    return f"{value:,.2f}"
