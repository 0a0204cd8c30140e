"""Billing documents for finance: the dispute letter to a hospital (PDF) and the savings report (page, CSV)."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user
from sqlalchemy import select

from backoffice.auth.permissions import BILL_AUDITORS, roles_required
from backoffice.billing import bp, letters, savings
from backoffice.csvfile import csv_text
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Hospital
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.trail import record_event

REPORT_READERS = BILL_AUDITORS


@bp.route("/bills/<int:bill_id>/dispute-letter.pdf")
@roles_required(*REPORT_READERS)
def dispute_letter_pdf(bill_id: int):
    letter = letters.dispute_letter(bill_id, signatory=current_user.name)
    pdf = letters.dispute_letter_pdf(letter)
    record_event(
        "bill_dispute_letter_downloaded",
        actor_id=current_user.id,
        object_type="hospital_bill",
        object_id=letter.bill_id,
        details={
            "reference": letter.reference,
            "case": letter.case_number,
            "lines": len(letter.lines),
            "to_correct": {currency: str(amount) for currency, amount in letter.totals.items()},
        },
    )
    db.session.commit()
    return download(pdf, mimetype="application/pdf", filename=letter.filename)


@bp.route("/savings")
@roles_required(*REPORT_READERS)
def savings_report():
    hospitals = db.session.scalars(select(Hospital).order_by(Hospital.name, Hospital.id)).all()
    try:
        filters = savings.parse_filters(request.args, today=utcnow().date())
    except savings.SavingsFilterError as error:
        return render_template(
            "billing/savings.html", error=error.message, filters=None, report=None, charts=[], hospitals=hospitals
        ), error.status_code
    report = savings.savings_report(filters.period, filters.hospital.id if filters.hospital else None)
    return render_template(
        "billing/savings.html",
        error=None,
        filters=filters,
        report=report,
        charts=savings.bar_charts(report, letters.format_amount),
        hospitals=hospitals,
        format_amount=letters.format_amount,
    )


@bp.route("/savings.csv")
@roles_required(*REPORT_READERS)
def savings_csv():
    filters = savings.parse_filters(request.args, today=utcnow().date())  # a bad filter is a 400 page
    report = savings.savings_report(filters.period, filters.hospital.id if filters.hospital else None)
    body = csv_text(savings.csv_rows(report))
    suffix = f"-{filters.hospital.code}" if filters.hospital else ""
    safe_suffix = "".join(c if c.isalnum() or c in "-_" else "-" for c in suffix)
    return download(body, mimetype="text/csv", filename=f"savings-{filters.year}{safe_suffix}.csv")
