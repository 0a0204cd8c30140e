"""The savings report for finance: the page (with its charts) and its CSV."""

from __future__ import annotations

from flask import render_template, request
from flask_babel import format_date, format_percent, ngettext
from sqlalchemy import select

from backoffice.auth.permissions import BILL_AUDITORS, roles_required
from backoffice.billing import bp
from backoffice.billing.figures import format_amount
from backoffice.billing.savings.chart import bar_charts
from backoffice.billing.savings.export import csv_rows
from backoffice.billing.savings.filters import SavingsFilterError, parse_filters
from backoffice.billing.savings.report import HUNDRED
from backoffice.billing.savings.report import savings_report as build_report
from backoffice.csvfile import csv_text
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Hospital
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.languages import page_language

REPORT_READERS = BILL_AUDITORS


@bp.route("/savings")
@roles_required(*REPORT_READERS)
def savings_report():
    hospitals = db.session.scalars(select(Hospital).order_by(Hospital.name, Hospital.id)).all()
    try:
        filters = parse_filters(request.args, today=utcnow().date())
    except SavingsFilterError as error:
        return render_template(
            "billing/savings.html", error=error.message, filters=None, report=None, charts=[], hospitals=hospitals
        ), error.status_code
    report = build_report(filters.period, filters.hospital.id if filters.hospital else None)
    language = page_language()

    def page_amount(amount, currency):
        return format_amount(amount, currency, language)

    return render_template(
        "billing/savings.html",
        error=None,
        filters=filters,
        report=report,
        charts=bar_charts(report, page_amount),
        hospitals=hospitals,
        format_amount=page_amount,
        month_name=lambda month: format_date(month, "LLLL yyyy"),
        format_percent=_percent,
        promised_note=_promised_note,
    )


@bp.route("/savings.csv")
@roles_required(*REPORT_READERS)
def savings_csv():
    filters = parse_filters(request.args, today=utcnow().date())  # a bad filter is a 400 page
    report = build_report(filters.period, filters.hospital.id if filters.hospital else None)
    body = csv_text(csv_rows(report))
    suffix = f"-{filters.hospital.code}" if filters.hospital else ""
    safe_suffix = "".join(c if c.isalnum() or c in "-_" else "-" for c in suffix)
    return download(body, mimetype="text/csv", filename=f"savings-{filters.year}{safe_suffix}.csv")


def _percent(value) -> str:
    """A percentage to one decimal, as the page's language writes it (36.7%, 36,7 %)."""
    return format_percent(value / HUNDRED, "#,##0.0%")


def _promised_note(offers: int, percent) -> str:
    """Under a promised saving: how many offers were accepted, and the saving's share of the foreign-patient price."""
    accepted = ngettext("%(num)d offer accepted", "%(num)d offers accepted", offers)
    return accepted if percent is None else f"{accepted} · {_percent(percent)}"
