"""Tariff pages, a hospital's resident tariff and its international price list (`?kind=international`): finance and
administrators import them; coordinators read them."""

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
from backoffice.billing.tariffs.kinds import INTERNATIONAL, KIND_LABELS, RESIDENT, TARIFF_KINDS, page_kind
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
    return render_template("billing/tariffs.html", page=page, current=current, kinds=TARIFF_KINDS)


@bp.route("/tariffs/<int:hospital_id>")
@roles_required(*TARIFF_READERS)
def show_tariff(hospital_id: int):
    return _render_tariff(hospital_id)


def _render_tariff(
    hospital_id: int,
    status: int = 200,
    *,
    kind: str | None = None,
    import_form: TariffImportForm | None = None,
    problems: Sequence[str] = (),
):
    """The hospital's current list of the page's kind (searched, filtered by date, one page), its import history and
    the import form; after a refused import, the same page with the problems listed."""
    hospital = get_hospital(hospital_id)
    kind = kind or page_kind(request.args.get("kind"))
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
        kind=kind,
    )
    history = tariff_imports(hospital.id, kind=kind)
    can_import = current_user.role in TARIFF_IMPORTERS
    return render_template(
        "billing/tariff.html",
        hospital=hospital,
        page=page,
        search=search,
        date_error=date_error,
        history=history,
        current=history[0] if history else None,
        kind=kind,
        kinds=KIND_LABELS,
        import_form=(import_form or TariffImportForm(formdata=None, kind=kind)) if can_import else None,
        problems=problems,
        format_price=format_page_money,  # unit prices keep every decimal they have, in the page's language
    ), status


@bp.route("/tariffs/<int:hospital_id>/import", methods=["POST"])
@roles_required(*TARIFF_IMPORTERS)
def import_tariff(hospital_id: int):
    get_hospital(hospital_id)  # an unknown hospital is a 404 before the upload is read
    form = TariffImportForm()
    shown_kind = form.kind.data if form.kind.data in TARIFF_KINDS else RESIDENT  # the page shown on a refusal
    if not form.validate_on_submit():
        flash(_("Nothing was imported."), "error")
        listed = form_errors(form) or [_("Choose a CSV file to import.")]
        return _render_tariff(hospital_id, 422, kind=shown_kind, import_form=form, problems=listed)
    upload = form.file.data
    data = upload.stream.read(importing.max_tariff_bytes() + 1)  # one byte more than allowed is enough to refuse
    problems: list[str] = []  # of a refused file, listed on the page shown again

    def import_file():
        try:
            return importing.import_tariff(hospital_id, data, upload.filename, current_user.id, kind=form.kind.data)
        except importing.TariffImportRefused as error:
            problems.extend(error.problems)
            raise

    def imported(tariff_import) -> str:
        count, filename = tariff_import.item_count, tariff_import.filename
        if tariff_import.kind == INTERNATIONAL:
            return ngettext(
                "Imported %(num)d item from “%(filename)s”: this is now the hospital's international price list.",
                "Imported %(num)d items from “%(filename)s”: this is now the hospital's international price list.",
                count,
                filename=filename,
            )
        return ngettext(
            "Imported %(num)d item from “%(filename)s”: this is now the hospital's resident tariff.",
            "Imported %(num)d items from “%(filename)s”: this is now the hospital's resident tariff.",
            count,
            filename=filename,
        )

    return commit_change(
        import_file,
        success=imported,
        target=lambda tariff_import: _tariff_page(hospital_id, tariff_import.kind),
        on_refusal=lambda status: _render_tariff(
            hospital_id, status, kind=shown_kind, import_form=form, problems=problems
        ),
    )


def _tariff_page(hospital_id: int, kind: str) -> str:
    """The address of a hospital's list of that kind (the resident tariff's has no `kind`)."""
    return url_for("billing.show_tariff", hospital_id=hospital_id, kind=None if kind == RESIDENT else kind)
