"""Billing pages. Resident tariffs: finance and administrators import them; coordinators read them."""

from __future__ import annotations

from collections.abc import Sequence

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, COORDINATOR, FINANCE, roles_required
from backoffice.billing import bp, tariffs
from backoffice.billing.forms import TariffImportForm, TariffSearchForm
from backoffice.extensions import db
from backoffice.money import format_money
from backoffice.params import page_number

TARIFF_READERS = (ADMIN, FINANCE, COORDINATOR)
TARIFF_IMPORTERS = (ADMIN, FINANCE)


format_price = format_money  # unit prices keep every decimal they have


@bp.route("/tariffs")
@roles_required(*TARIFF_READERS)
def list_tariffs():
    page, current = tariffs.hospitals_with_tariffs(page=page_number(request.args.get("page")))
    return render_template("billing/tariffs.html", page=page, current=current)


@bp.route("/tariffs/<int:hospital_id>")
@roles_required(*TARIFF_READERS)
def show_tariff(hospital_id: int):
    return _render_tariff(hospital_id)


def _render_tariff(
    hospital_id: int, status: int = 200, *, import_form: TariffImportForm | None = None, problems: Sequence[str] = ()
):
    """The hospital's current tariff (searched, filtered by date, one page), its import history and the import
    form; after a refused import, the same page with the problems listed."""
    hospital = tariffs.get_hospital(hospital_id)
    search = TariffSearchForm(formdata=request.args)
    search.validate()
    date_error = search.valid_on_error()
    if date_error and status == 200:
        status = 400
    page = tariffs.search_tariff(
        hospital.id,
        (search.q.data or "")[:100],
        on_date=None if date_error else search.valid_on.data,
        page=page_number(request.args.get("page")),
    )
    history = tariffs.tariff_imports(hospital.id)
    can_import = current_user.role in TARIFF_IMPORTERS
    return render_template(
        "billing/tariff.html",
        hospital=hospital,
        page=page,
        search=search,
        date_error=date_error,
        history=history,
        current=history[0] if history else None,
        import_form=(import_form or TariffImportForm(formdata=None)) if can_import else None,
        problems=problems,
        format_price=format_price,
    ), status


@bp.route("/tariffs/<int:hospital_id>/import", methods=["POST"])
@roles_required(*TARIFF_IMPORTERS)
def import_tariff(hospital_id: int):
    tariffs.get_hospital(hospital_id)  # an unknown hospital is a 404 before the upload is read
    form = TariffImportForm()
    if not form.validate_on_submit():
        problems = [error for errors in form.errors.values() for error in errors] or ["Choose a CSV file to import."]
        flash("Nothing was imported.", "error")
        return _render_tariff(hospital_id, 422, import_form=form, problems=problems)
    upload = form.file.data
    data = upload.stream.read(tariffs.max_tariff_bytes() + 1)  # one byte more than allowed is enough to refuse
    try:
        tariff_import = tariffs.import_tariff(hospital_id, data, upload.filename, current_user.id)
    except tariffs.TariffImportRefused as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_tariff(hospital_id, error.status_code, import_form=form, problems=error.problems)
    db.session.commit()
    count = tariff_import.item_count
    flash(
        f"Imported {count} item{'s' if count != 1 else ''} from “{tariff_import.filename}”: "
        "this is now the hospital's resident tariff.",
        "success",
    )
    return redirect(url_for("billing.show_tariff", hospital_id=hospital_id))
