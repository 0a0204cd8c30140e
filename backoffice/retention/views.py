"""The retention pages (finance and administrators, read only): the report, and the restricted records of erased
patients."""

from __future__ import annotations

from flask import render_template, request

from backoffice.auth.permissions import RECORD_KEEPERS, roles_required
from backoffice.cases import states
from backoffice.dbtypes import operator_today
from backoffice.params import page_number
from backoffice.retention import bp, records, report


@bp.route("/retention")
@roles_required(*RECORD_KEEPERS)
def show_report():
    """What the store holds per kind and when it falls due; medical records due by the operator's policy; where the
    erased patients' restricted records stand."""
    today = operator_today()
    return render_template(
        "retention/report.html",
        today=today,
        years=report.retention_settings(),
        kinds=report.files_by_kind(today),
        labels=report.KIND_LABELS,
        medical=report.medical_due(today, page=page_number(request.args.get("page"))),
        erasures=report.erasure_figures(today),
        state_label=states.shown,
    )


@bp.route("/restricted-records")
@roles_required(*RECORD_KEEPERS)
def list_restricted_records():
    """The erased patients' restricted records, per erasure, each linked to its page while it is there."""
    page, groups = records.restricted_page(page_number(request.args.get("page")))
    return render_template("retention/restricted.html", page=page, groups=groups, today=operator_today())
