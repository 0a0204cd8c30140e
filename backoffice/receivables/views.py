"""Finance's receivables pages: the ageing report and its buckets, the payments journal, revenue by VAT category (each
with its CSV), and sending a payment reminder. Who may: those who work on invoices (the invoice list's audience)."""

from __future__ import annotations

from datetime import date

from flask import render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import INVOICERS, roles_required
from backoffice.csvfile import csv_text
from backoffice.dbtypes import operator_today
from backoffice.downloads import download
from backoffice.forms import ConfirmForm
from backoffice.invoicing.list_filters import FilterError, parse_currency, parse_period
from backoffice.invoicing.models import PAYMENT_METHOD_LABELS, RECEIVED_METHODS
from backoffice.invoicing.views.invoice_page import render_invoice_page
from backoffice.invoicing.views.pages import percent
from backoffice.jobs import outbox
from backoffice.params import positive_int
from backoffice.receivables import bp, exports
from backoffice.receivables.ageing import BUCKETS, ageing_report, bucket_invoices, find_bucket
from backoffice.receivables.journal import payments_journal
from backoffice.receivables.reminders import ReminderPanel, level_name, panel_of, reminder_pdf, send_reminder
from backoffice.receivables.revenue import revenue_by_vat, revenue_totals
from backoffice.transactions import commit_change

FINANCE = INVOICERS


@bp.app_template_global("reminder_panel")
def reminder_panel(invoice) -> ReminderPanel | None:
    """The reminders of an issued invoice for its page's panel (`receivables/_invoice_reminders.html`)."""
    return None if invoice.is_draft or invoice.is_credit_note else panel_of(invoice)


@bp.app_template_global("reminder_form")
def reminder_form() -> ConfirmForm:
    return ConfirmForm(formdata=None)


@bp.route("/receivables/ageing")
@roles_required(*FINANCE)
def ageing():
    return render_template("receivables/ageing.html", report=ageing_report(), buckets=BUCKETS, today=operator_today())


@bp.route("/receivables/ageing/<bucket>")
@roles_required(*FINANCE)
def ageing_bucket(bucket: str):
    chosen = find_bucket(bucket)  # an unknown bucket: a 404 with a message
    currency = parse_currency(request.args)
    return render_template(
        "receivables/bucket.html",
        bucket=chosen,
        currency=currency,
        invoices=bucket_invoices(chosen.key, currency),
        today=operator_today(),
        form=ConfirmForm(formdata=None),
    )


@bp.route("/receivables/ageing.csv")
@roles_required(*FINANCE)
def ageing_csv():
    body = csv_text(exports.ageing_rows(bucket_invoices(None, restricted=True)))  # the books: every open invoice
    return download(body, mimetype="text/csv", filename=f"ageing-{operator_today().isoformat()}.csv")


def _journal_filters() -> tuple[date | None, date | None, str | None]:
    first, last = parse_period(request.args)
    if not request.args.get("from") and not request.args.get("to"):
        today = operator_today()
        first, last = today.replace(day=1), today
    method = (request.args.get("method") or "").strip() or None
    if method is not None and method not in RECEIVED_METHODS:
        raise FilterError(
            _("There is no payment method %(method)s; choose one from the filter.", method=repr(method[:30]))
        )
    return first, last, method


@bp.route("/receivables/payments")
@roles_required(*FINANCE)
def payments():
    first, last, method = _journal_filters()
    return render_template(
        "receivables/journal.html",
        journal=payments_journal(first, last, method),
        first=first,
        last=last,
        method=method,
        methods={key: PAYMENT_METHOD_LABELS[key] for key in RECEIVED_METHODS},
    )


@bp.route("/receivables/payments.csv")
@roles_required(*FINANCE)
def payments_csv():
    first, last, method = _journal_filters()
    body = csv_text(exports.journal_rows(payments_journal(first, last, method)))
    return download(body, mimetype="text/csv", filename=f"payments-{exports.period_name(first, last)}.csv")


def _revenue_period() -> tuple[date | None, date | None]:
    first, last = parse_period(request.args)
    if not request.args.get("from") and not request.args.get("to"):
        today = operator_today()
        first, last = date(today.year, 1, 1), date(today.year, 12, 31)
    return first, last


@bp.route("/receivables/revenue")
@roles_required(*FINANCE)
def revenue():
    first, last = _revenue_period()
    rows = revenue_by_vat(first, last)
    return render_template(
        "receivables/revenue.html",
        rows=rows,
        totals=revenue_totals(rows),
        first=first,
        last=last,
        month_name=lambda month: format_date(month, "LLLL yyyy"),
        percent=percent,
    )


@bp.route("/receivables/revenue.csv")
@roles_required(*FINANCE)
def revenue_csv():
    first, last = _revenue_period()
    body = csv_text(exports.revenue_rows(revenue_by_vat(first, last)))
    return download(body, mimetype="text/csv", filename=f"revenue-{exports.period_name(first, last)}.csv")


@bp.route("/invoices/<int:invoice_id>/reminders", methods=["POST"])
@roles_required(*FINANCE)
def send_payment_reminder(invoice_id: int):
    level = positive_int(request.form.get("level")) or 0
    back = request.form.get("bucket", "")
    bucket = next((item.key for item in BUCKETS if item.key == back), None)
    target = (
        url_for("receivables.ageing_bucket", bucket=bucket)
        if bucket
        else url_for("invoicing.show_invoice", invoice_id=invoice_id)
    )
    return commit_change(
        lambda: send_reminder(invoice_id, level, actor_id=current_user.id),
        success=lambda sent: _sent_message(sent, level),
        target=target,
        on_refusal=lambda status: render_invoice_page(invoice_id, status),
        after_commit=outbox.kick,  # the patient's mail goes out now
    )


def _sent_message(sent, level: int) -> str:
    if sent.message is None:
        return _(
            "The %(level)s of %(number)s is archived; no mail went out (no address, or the mail is switched off).",
            level=level_name(level),
            number=sent.number,
        )
    return _(
        "The %(level)s of %(number)s is archived and mailed to %(addresses)s.",
        level=level_name(level),
        number=sent.number,
        addresses=sent.message.to_addresses,
    )


@bp.route("/reminders/<int:reminder_id>.pdf")
@roles_required(*FINANCE)
def download_reminder(reminder_id: int):
    reminder, pdf = reminder_pdf(reminder_id, actor_id=current_user.id)
    return download(pdf, mimetype="application/pdf", filename=f"reminder-{reminder.level}-{reminder.invoice_id}.pdf")
