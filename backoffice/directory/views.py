"""Directory pages. Admins and coordinators change hospitals, physicians and programmes; finance reads them
(bills are audited against them). Paused destinations: admins and coordinators see them, admins change them."""

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, COORDINATOR, FINANCE, roles_required
from backoffice.directory import bp, operations, programmes, signals
from backoffice.directory.forms import (
    HospitalForm,
    PauseDestinationForm,
    PhysicianEditForm,
    PhysicianForm,
    ProgrammeEditForm,
    ProgrammeForm,
)
from backoffice.forms import ConfirmForm, form_status
from backoffice.geo import country_name, language_name
from backoffice.languages import page_language
from backoffice.params import page_number
from backoffice.trail import list_events
from backoffice.transactions import commit_change

READERS = (ADMIN, COORDINATOR, FINANCE)
EDITORS = (ADMIN, COORDINATOR)
HOSPITAL_FIELDS = (
    "code",
    "name",
    "city",
    "country",
    "languages",
    "timezone",
    "address",
    "contact_name",
    "contact_email",
    "contact_phone",
    "foreign_coefficient",
    "foreign_coefficient_source",
    "vat_id",
)
PHYSICIAN_FIELDS = ("name", "specialty", "languages", "email", "phone")
PROGRAMME_FIELDS = (
    "name",
    "description",
    "price_from_amount",
    "price_from_currency",
    "typical_stay_days",
    "follow_up_plan",
    "follow_up_schedule",
    "tariff_codes",
)


@bp.context_processor
def inject_directory_helpers() -> dict[str, Any]:
    role = getattr(current_user, "role", None)
    return {
        "can_edit_directory": role in EDITORS,
        "can_pause_destinations": role == ADMIN,
        "country_name": _country_name,
        "language_names": lambda codes: ", ".join(language_name(code, page_language()) for code in codes or ()),
    }


def _country_name(code: str | None) -> str:
    """A country's name in the page's language."""
    return country_name(code, page_language())


def _values(form, names: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(form, name).data for name in names}


def _row_values(row, names: tuple[str, ...]) -> dict[str, Any]:
    """A row's current values, to fill an edit form."""
    return {name: getattr(row, name) for name in names}


def _history(object_type: str, object_id: int | None = None):
    """The object's audit rows, for admins only: the audit log (actors, addresses) is theirs, as in the nav."""
    if current_user.role != ADMIN:
        return None
    return list_events(object_type=object_type, object_id=object_id)


def _to_hospital(hospital) -> str:
    return url_for("directory.show_hospital", hospital_id=hospital.id)


def _to_physicians_hospital(physician) -> str:
    return url_for("directory.show_hospital", hospital_id=physician.hospital_id)


def _to_programme(programme) -> str:
    return url_for("directory.show_programme", programme_id=programme.id)


# ---------------------------------------------------------------------------------------------- hospitals


@bp.route("/")
@roles_required(*READERS)
def list_hospitals():
    page = operations.list_hospitals(
        page=page_number(request.args.get("page")),
        search=request.args.get("q", "")[:100],
        country=request.args.get("country", "")[:2],
    )
    counts = operations.staff_and_programme_counts([hospital.id for hospital in page.items])
    return render_template(
        "directory/hospitals.html", page=page, counts=counts, countries=operations.hospital_countries()
    )


@bp.route("/hospitals/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create_hospital():
    form = HospitalForm()

    def form_page(status: int):
        return render_template("directory/hospital_form.html", form=form, hospital=None), status

    if not form.validate_on_submit():
        return form_page(form_status(form))
    return commit_change(
        lambda: operations.create_hospital(**_values(form, HOSPITAL_FIELDS), actor_id=current_user.id),
        success=lambda hospital: _("%(name)s (%(code)s) is in the directory.", name=hospital.name, code=hospital.code),
        target=_to_hospital,
        on_refusal=form_page,
    )


@bp.route("/hospitals/<int:hospital_id>")
@roles_required(*READERS)
def show_hospital(hospital_id: int):
    return _render_hospital(hospital_id)


def _render_hospital(hospital_id: int, status: int = 200):
    hospital = operations.get_hospital(hospital_id)
    contributions: dict[str, Any] = {"price_lists": {}}  # what features above the directory show (`signals`)
    for _receiver, contribution in signals.hospital_page.send(hospital):
        contributions.update(contribution or {})
    return render_template(
        "directory/hospital.html",
        **contributions,
        hospital=hospital,
        paused=operations.is_paused(hospital.country),
        events=_history("hospital", hospital.id),
        confirm_form=ConfirmForm(),
    ), status


@bp.route("/hospitals/<int:hospital_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_hospital(hospital_id: int):
    hospital = operations.get_hospital(hospital_id)
    form = HospitalForm(data={**_row_values(hospital, HOSPITAL_FIELDS), "languages": ", ".join(hospital.languages)})

    def form_page(status: int):
        return render_template("directory/hospital_form.html", form=form, hospital=hospital), status

    if not form.validate_on_submit():
        return form_page(form_status(form))
    return commit_change(
        lambda: operations.update_hospital(hospital_id, **_values(form, HOSPITAL_FIELDS), actor_id=current_user.id),
        success=lambda hospital: _("%(name)s: changes saved.", name=hospital.name),
        target=_to_hospital,
        on_refusal=form_page,
    )


@bp.route("/hospitals/<int:hospital_id>/deactivate", methods=["POST"])
@roles_required(*EDITORS)
def deactivate_hospital(hospital_id: int):
    return commit_change(
        lambda: operations.deactivate_hospital(hospital_id, actor_id=current_user.id),
        success=lambda hospital: _(
            "%(name)s is deactivated: it is no longer offered for new cases.", name=hospital.name
        ),
        target=_to_hospital,
        on_refusal=lambda status: _render_hospital(hospital_id, status),
    )


@bp.route("/hospitals/<int:hospital_id>/reactivate", methods=["POST"])
@roles_required(*EDITORS)
def reactivate_hospital(hospital_id: int):
    return commit_change(
        lambda: operations.reactivate_hospital(hospital_id, actor_id=current_user.id),
        success=lambda hospital: _("%(name)s is active again.", name=hospital.name),
        target=_to_hospital,
        on_refusal=lambda status: _render_hospital(hospital_id, status),
    )


# ---------------------------------------------------------------------------------------------- physicians
# Physicians have no page of their own: they are listed, and changed from, their hospital's page.


@bp.route("/hospitals/<int:hospital_id>/physicians/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create_physician(hospital_id: int):
    hospital = operations.get_hospital(hospital_id)
    form = PhysicianForm(languages=", ".join(hospital.languages))

    def form_page(status: int):
        return render_template("directory/physician_form.html", form=form, hospital=hospital, physician=None), status

    if not form.validate_on_submit():
        return form_page(form_status(form))
    return commit_change(
        lambda: operations.create_physician(hospital_id, **_values(form, PHYSICIAN_FIELDS), actor_id=current_user.id),
        success=lambda physician: _("%(name)s is listed at %(hospital)s.", name=physician.name, hospital=hospital.name),
        target=_to_physicians_hospital,
        on_refusal=form_page,
    )


@bp.route("/physicians/<int:physician_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_physician(physician_id: int):
    physician = operations.get_physician(physician_id)
    form = PhysicianEditForm(
        data={
            **_row_values(physician, PHYSICIAN_FIELDS),
            "languages": ", ".join(physician.languages),
            "active": physician.active,
        }
    )

    def form_page(status: int):
        return render_template(
            "directory/physician_form.html", form=form, hospital=physician.hospital, physician=physician
        ), status

    if not form.validate_on_submit():
        return form_page(form_status(form))
    return commit_change(
        lambda: operations.update_physician(
            physician_id, **_values(form, PHYSICIAN_FIELDS), active=form.active.data, actor_id=current_user.id
        ),
        success=lambda physician: _("%(name)s: changes saved.", name=physician.name),
        target=_to_physicians_hospital,
        on_refusal=form_page,
    )


# ---------------------------------------------------------------------------------------------- programmes


@bp.route("/hospitals/<int:hospital_id>/programmes/new", methods=["GET", "POST"])
@roles_required(*EDITORS)
def create_programme(hospital_id: int):
    hospital = operations.get_hospital(hospital_id)
    form = ProgrammeForm()

    def form_page(status: int):
        return render_template("directory/programme_form.html", form=form, hospital=hospital, programme=None), status

    if not form.validate_on_submit():
        return form_page(form_status(form))
    return commit_change(
        lambda: programmes.create_programme(
            hospital_id,
            **_values(form, PROGRAMME_FIELDS),
            phases=form.parsed_phases,
            contraindications=form.parsed_contraindications,
            actor_id=current_user.id,
        ),
        success=lambda programme: _(
            "%(name)s is offered at %(hospital)s.", name=programme.name, hospital=hospital.name
        ),
        target=_to_programme,
        on_refusal=form_page,
    )


@bp.route("/programmes/<int:programme_id>")
@roles_required(*READERS)
def show_programme(programme_id: int):
    programme = programmes.get_programme(programme_id)
    return render_template("directory/programme.html", programme=programme, events=_history("programme", programme.id))


@bp.route("/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@roles_required(*EDITORS)
def edit_programme(programme_id: int):
    programme = programmes.get_programme(programme_id)
    price = programme.price_from
    form = ProgrammeEditForm(
        data={
            **_row_values(
                programme,
                (
                    "name",
                    "description",
                    "typical_stay_days",
                    "follow_up_plan",
                    "follow_up_schedule",
                    "tariff_codes",
                    "active",
                ),
            ),
            "price_from_amount": str(price.amount) if price else "",
            "price_from_currency": price.currency if price else "EUR",
            "phases": programmes.format_phases(programme),
            "contraindications": programmes.format_contraindications(programme),
        }
    )

    def form_page(status: int):
        return render_template(
            "directory/programme_form.html", form=form, hospital=programme.hospital, programme=programme
        ), status

    if not form.validate_on_submit():
        return form_page(form_status(form))
    return commit_change(
        lambda: programmes.update_programme(
            programme_id,
            **_values(form, PROGRAMME_FIELDS),
            active=form.active.data,
            phases=form.parsed_phases,
            contraindications=form.parsed_contraindications,
            actor_id=current_user.id,
        ),
        success=lambda programme: _("%(name)s: changes saved.", name=programme.name),
        target=_to_programme,
        on_refusal=form_page,
    )


# ---------------------------------------------------------------------------------------------- paused destinations


def _render_paused(form: PauseDestinationForm, status: int = 200):
    return render_template(
        "directory/paused_destinations.html",
        form=form,
        paused=operations.list_paused_destinations(),
        open_destinations=operations.open_destinations(),
        events=_history("country"),
        confirm_form=ConfirmForm(),
    ), status


@bp.route("/paused-destinations")
@roles_required(ADMIN, COORDINATOR)
def paused_destinations():
    return _render_paused(PauseDestinationForm())


@bp.route("/paused-destinations", methods=["POST"])
@roles_required(ADMIN)
def pause_destination():
    form = PauseDestinationForm()
    if not form.validate():
        return _render_paused(form, 422)
    return commit_change(
        lambda: operations.pause_destination(form.country.data, reason=form.reason.data, actor_id=current_user.id),
        success=lambda paused: _(
            "Intake to %(country)s is paused: requests for it are refused.", country=_country_name(paused.country)
        ),
        target=lambda paused: url_for("directory.paused_destinations"),
        on_refusal=lambda status: _render_paused(form, status),
    )


@bp.route("/paused-destinations/<country>/resume", methods=["POST"])
@roles_required(ADMIN)
def resume_destination(country: str):
    return commit_change(
        lambda: operations.resume_destination(country, actor_id=current_user.id),
        success=lambda country_code: _("Intake to %(country)s is open again.", country=_country_name(country_code)),
        target=lambda country_code: url_for("directory.paused_destinations"),
        on_refusal=lambda status: _render_paused(PauseDestinationForm(formdata=None), status),
    )
