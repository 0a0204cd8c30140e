"""The pharmacies medicine orders are bought from: the list for coordinators, adding and editing for admins."""

from __future__ import annotations

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, CARE_COORDINATORS, roles_required
from backoffice.forms import choices, form_status
from backoffice.geo import country_name
from backoffice.languages import page_language
from backoffice.params import page_number
from backoffice.shipments import bp, pharmacies
from backoffice.shipments.forms import PharmacyForm
from backoffice.trail import list_events
from backoffice.transactions import commit_change

PHARMACY_READERS = CARE_COORDINATORS
PHARMACY_EDITORS = (ADMIN,)


@bp.route("/pharmacies")
@roles_required(*PHARMACY_READERS)
def list_pharmacies():
    page = pharmacies.list_pharmacies(page=page_number(request.args.get("page")))
    providers = {pharmacy.provider for pharmacy in page.items}
    return render_template(
        "shipments/pharmacies.html",
        page=page,
        may_edit=current_user.role in PHARMACY_EDITORS,
        provider_labels={provider: pharmacies.provider_label(provider) for provider in providers},
        sandbox={provider: pharmacies.is_sandbox(provider) for provider in providers},
        country_name=lambda code: country_name(code, page_language()),
    )


def _render_pharmacy_form(form: PharmacyForm, pharmacy_id: int | None, status: int):
    form.provider.choices = choices(pharmacies.provider_choices())
    pharmacy = pharmacies.get_pharmacy(pharmacy_id) if pharmacy_id is not None else None
    events = list_events(object_type="pharmacy", object_id=pharmacy_id) if pharmacy_id is not None else None
    return render_template("shipments/pharmacy_form.html", form=form, pharmacy=pharmacy, events=events), status


@bp.route("/pharmacies/new", methods=["GET", "POST"])
@roles_required(*PHARMACY_EDITORS)
def create_pharmacy():
    form = PharmacyForm()
    if not form.validate_on_submit():
        return _render_pharmacy_form(form, None, form_status(form))
    return commit_change(
        lambda: pharmacies.create_pharmacy(actor_id=current_user.id, **form.values()),
        success=lambda pharmacy: _("%(name)s is in the pharmacy directory.", name=pharmacy.name),
        target=url_for("shipments.list_pharmacies"),
        on_refusal=lambda status: _render_pharmacy_form(form, None, status),
    )


@bp.route("/pharmacies/<int:pharmacy_id>/edit", methods=["GET", "POST"])
@roles_required(*PHARMACY_EDITORS)
def edit_pharmacy(pharmacy_id: int):
    pharmacy = pharmacies.get_pharmacy(pharmacy_id)
    fields = ("name", "country", "city", "address", "email", "phone", "provider", "cold_chain", "active")
    form = PharmacyForm(data={name: getattr(pharmacy, name) for name in fields})
    if not form.validate_on_submit():
        return _render_pharmacy_form(form, pharmacy_id, form_status(form))
    return commit_change(
        lambda: pharmacies.update_pharmacy(pharmacy_id, actor_id=current_user.id, **form.values()),
        success=lambda pharmacy: _("%(name)s: changes saved.", name=pharmacy.name),
        target=url_for("shipments.list_pharmacies"),
        on_refusal=lambda status: _render_pharmacy_form(form, pharmacy_id, status),
    )
