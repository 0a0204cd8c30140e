"""Resident tariff pages: finance and administrators import tariffs; coordinators read them."""

from __future__ import annotations

from collections.abc import Sequence

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, COORDINATOR, FINANCE, roles_required
from backoffice.billing import bp
from backoffice.billing.tariffs import importing
from backoffice.billing.tariffs.current import get_hospital, hospitals_with_tariffs, search_tariff, tariff_imports
from backoffice.billing.tariffs.forms import TariffImportForm, TariffSearchForm
from backoffice.forms import form_errors
from backoffice.params import page_number
from backoffice.templating import format_page_money
from backoffice.transactions import commit_change

TARIFF_READERS = (ADMIN, FINANCE, COORDINATOR)
TARIFF_IMPORTERS = (ADMIN, FINANCE)


@bp.route("/tariffs")
@roles_required(*TARIFF_READERS)
def list_tariffs():
    page, current = hospitals_with_tariffs(page=page_number(request.args.get("page")))
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
    hospital = get_hospital(hospital_id)
    search = TariffSearchForm(formdata=request.args)
    search.validate()
    date_error = search.valid_on_error()
    if date_error and status == 200:
        status = 400
    page = search_tariff(
        hospital.id,
        (search.q.data or "")[:100],
        on_date=None if date_error else search.valid_on.data,
        page=page_number(request.args.get("page")),
    )
    history = tariff_imports(hospital.id)
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
        format_price=format_page_money,  # unit prices keep every decimal they have, in the page's language
    ), status


@bp.route("/tariffs/<int:hospital_id>/import", methods=["POST"])
@roles_required(*TARIFF_IMPORTERS)
def import_tariff(hospital_id: int):
    get_hospital(hospital_id)  # an unknown hospital is a 404 before the upload is read
    form = TariffImportForm()
    if not form.validate_on_submit():
        flash(_("Nothing was imported."), "error")
        return _render_tariff(
            hospital_id, 422, import_form=form, problems=form_errors(form) or [_("Choose a CSV file to import.")]
        )
    upload = form.file.data
    data = upload.stream.read(importing.max_tariff_bytes() + 1)  # one byte more than allowed is enough to refuse
    problems: list[str] = []  # of a refused file, listed on the page shown again

    def import_file():
        try:
            return importing.import_tariff(hospital_id, data, upload.filename, current_user.id)
        except importing.TariffImportRefused as error:
            problems.extend(error.problems)
            raise

    def imported(tariff_import) -> str:
        count = tariff_import.item_count
        return ngettext(
            "Imported %(num)d item from “%(filename)s”: this is now the hospital's resident tariff.",
            "Imported %(num)d items from “%(filename)s”: this is now the hospital's resident tariff.",
            count,
            filename=tariff_import.filename,
        )

    return commit_change(
        import_file,
        success=imported,
        target=url_for("billing.show_tariff", hospital_id=hospital_id),
        on_refusal=lambda status: _render_tariff(hospital_id, status, import_form=form, problems=problems),
    )
