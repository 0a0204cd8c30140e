"""Finance's DATEV pages: choose a period and see what an export would carry, export it, the past exports with
what each carried, and each one's file as given out."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask_babel import ngettext
from flask_login import current_user

from backoffice.accounting import bp, exports
from backoffice.accounting.forms import ExportForm
from backoffice.auth.permissions import INVOICERS, roles_required
from backoffice.config import settings
from backoffice.downloads import download
from backoffice.errors import DomainError, render_error
from backoffice.transactions import commit_answer


def _page(form: ExportForm, status: int = 200, error: str = ""):
    preview = None
    if not error:
        try:
            preview = exports.preview(exports.parse_period(form.period_from.data, form.period_to.data))
        except exports.PeriodError as refusal:
            error, status = refusal.message, refusal.status_code
    if preview is not None and not form.period_from.data:
        form.period_from.data = preview.period.start.isoformat()
        form.period_to.data = preview.period.end.isoformat()
    past = exports.list_exports()
    page = render_template(
        "accounting/exports.html",
        form=form,
        preview=preview,
        error=error,
        exports=past,
        exporters=exports.exporters(past),
        chart=settings().datev_chart,
    )
    return page, status


@bp.route("/datev")
@roles_required(*INVOICERS)
def list_datev_exports():
    form = ExportForm(formdata=None)
    form.period_from.data = request.args.get("from", "")[:20]
    form.period_to.data = request.args.get("to", "")[:20]
    return _page(form)


def _exported(export) -> str:
    message = ngettext("%(num)d new booking exported.", "%(num)d new bookings exported.", export.booking_count)
    if export.earlier_count:
        message += " " + ngettext(
            "%(num)d booking of the period was left out: an earlier export carried it.",
            "%(num)d bookings of the period were left out: earlier exports carried them.",
            export.earlier_count,
        )
    return message


@bp.route("/datev", methods=["POST"])
@roles_required(*INVOICERS)
def export_datev():
    form = ExportForm()
    if not form.validate():
        return _page(form, 400, " ".join(str(e) for errors in form.errors.values() for e in errors))

    def refused(error: DomainError):
        return _page(form, error.status_code, error.message)

    return commit_answer(
        lambda: exports.export_period(
            exports.parse_period(form.period_from.data, form.period_to.data),
            actor_id=current_user.id,
            exported_by=current_user.name,
        ),
        success=_exported,
        answer=lambda export: redirect(url_for("accounting.show_datev_export", export_id=export.id)),
        on_refusal=refused,
    )


@bp.route("/datev/<int:export_id>")
@roles_required(*INVOICERS)
def show_datev_export(export_id: int):
    export = exports.get_export(export_id)
    period = exports.Period(export.period_from, export.period_to)
    earlier = [other for other in exports.overlapping_exports(period) if other.id != export.id]
    return render_template(
        "accounting/export.html",
        export=export,
        earlier=earlier,
        name=exports.download_name(export),
        exporter=exports.exporters([export]).get(export.created_by_id),
    )


@bp.route("/datev/<int:export_id>/file")
@roles_required(*INVOICERS)
def download_datev_export(export_id: int):
    """The file as archived when it was exported, byte for byte (its SHA-256 checked); who downloaded it is logged."""
    return commit_answer(
        lambda: exports.read_export(export_id, actor_id=current_user.id),
        answer=lambda read: download(read[1], mimetype="text/csv", filename=exports.download_name(read[0])),
        on_refusal=lambda error: render_error(error.status_code, error.message),
    )
