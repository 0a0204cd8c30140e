"""The coordinator's offer pages: a case's offer (items, problems, totals, schedule, terms, versions), building a draft,
sending it, the archived PDF, the next version, and the patient's answer received outside the portal.

Coordinators and administrators build, send and record; finance reads. Every change is one operation through
`commit_change` and carries the offer's `row_version` the user saw: refused (a rule, bad input, a stale tab), nothing is
stored and the page is shown again with the reason and a 4xx.
"""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice import vat
from backoffice.auth.permissions import OFFER_MAKERS, STAFF_ROLES, may_make_offers, roles_required
from backoffice.cases import documents
from backoffice.cases.case_page import render_case_page
from backoffice.downloads import download
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.jobs import outbox
from backoffice.languages import N_
from backoffice.offers import bp, operations, pricing, recorded, services
from backoffice.offers.case_page import needs_rate, schedule_amounts, start_form, status_label
from backoffice.offers.forms import (
    SCHEDULE_ROWS,
    SECTION_LABELS,
    AcceptanceForm,
    DeclineForm,
    ItemForm,
    ScheduleForm,
    StartOfferForm,
    TermsForm,
    VersionForm,
)
from backoffice.offers.models import Offer
from backoffice.offers.pricing import OfferError
from backoffice.patients.restriction import check_may_see
from backoffice.storage import archive
from backoffice.templating import format_page_money
from backoffice.transactions import commit_change

# Where an item's foreign-patient price comes from (models.FOREIGN_SOURCES), as the items table says it.
FOREIGN_SOURCE_LABELS = {
    "": N_("none: no saving claimed"),
    "international": N_("international list"),
    "coefficient": N_("coefficient"),
}


def offer_of_case(case_id: int, offer_id: int) -> Offer:
    """The offer, loaded; a 404 when there is none, it is another case's, or an erased patient's for someone other
    than finance and administrators (`patients.restriction`)."""
    offer = operations.get_offer(offer_id)
    if offer.case_id != case_id:
        raise NotFound(_("There is no such offer."))
    check_may_see(offer.case.patient)
    return offer


def _item_form(item) -> ItemForm:
    return ItemForm(
        formdata=None,
        item_id=item.id,
        section=item.section,
        code=item.code,
        description=item.description,
        quantity=f"{item.quantity.normalize():f}",
        unit_price=f"{item.unit_price.normalize():f}" if item.unit_price is not None else "",
        vat_category=item.vat_category,
        optional=item.optional,
    )


def _own_ids(form: ItemForm, prefix: str) -> ItemForm:
    """Each item's form gets ids of its own, so its labels (and the new item's) name their own fields."""
    for field in form:
        field.id = f"{prefix}-{field.id}"
        field.label.field_id = field.id
    return form


def _draft_forms(offer: Offer, forms: dict) -> dict:
    terms_form = forms.get("terms_form") or TermsForm(
        formdata=None,
        treatment_on=offer.treatment_on,
        valid_until=offer.valid_until,
        included=offer.included,
        excluded=offer.excluded,
        cancellation_terms=offer.cancellation_terms,
        exchange_rate=f"{offer.exchange_rate.normalize():f}" if offer.exchange_rate is not None else "",
        exchange_rate_on=offer.exchange_rate_on,
    )
    schedule_form = forms.get("schedule_form")
    if schedule_form is None:
        rows = [
            {"payment": i.label, "percent": f"{i.percent.normalize():f}", "due_on": i.due_on} for i in offer.instalments
        ]
        schedule_form = ScheduleForm(formdata=None, rows=rows[:SCHEDULE_ROWS])
    submitted_item = forms.get("item_form")
    item_forms = {item.id: _item_form(item) for item in offer.items}
    if submitted_item is not None and submitted_item.item_id.data in item_forms:
        item_forms[submitted_item.item_id.data] = submitted_item
    item_forms = {item_id: _own_ids(form, f"item-{item_id}") for item_id, form in item_forms.items()}
    new_item = submitted_item if submitted_item is not None and not submitted_item.item_id.data else None
    return {
        "terms_form": terms_form,
        "schedule_form": schedule_form,
        "item_forms": item_forms,
        "new_item_form": new_item or ItemForm(formdata=None),
    }


def render_offer_page(case_id: int, offer_id: int, status: int = 200, **forms):
    """The offer's page; after a refused change, with the submitted form (and its errors) shown again. Every form
    carries the offer's current row_version."""
    offer = offer_of_case(case_id, offer_id)
    versions = operations.offers_of(case_id)
    context = {
        "offer": offer,
        "case": offer.case,
        "versions": versions,
        "status_label": status_label,
        "problems": operations.problems(offer) if offer.status == "draft" else [],
        "saving_percent": pricing.saving_percent(offer),
        "item_saving_percent": pricing.item_saving_percent,
        "schedule": schedule_amounts(offer),
        "foreign_source_labels": FOREIGN_SOURCE_LABELS,
        "section_labels": SECTION_LABELS,
        "vat_labels": vat.LABELS,
        "needs_rate": needs_rate(offer.case),
        "version_form": VersionForm(formdata=None),
        "expired": operations.is_expired(offer),
        "may_work": may_make_offers() and not offer.case.patient.is_erased,  # an erased patient's: read-only
    }
    may_work = context["may_work"]
    if may_work and offer.status == "draft":
        context.update(_draft_forms(offer, forms))
    elif may_work:
        context.update(
            next_form=start_form(offer.case, forms.get("start_offer_form"), versions[0] if versions else None),
            acceptance_form=forms.get("acceptance_form") or AcceptanceForm(formdata=None),
            decline_form=forms.get("decline_form") or DeclineForm(formdata=None),
            newest=versions[0].id == offer.id,
        )
    for form in [*context.values(), *context.get("item_forms", {}).values()]:
        if isinstance(form, VersionForm):
            form.version.data = offer.row_version
    return render_template("offers/offer.html", **context), status


def _offer_page(case_id: int, offer_id: int, **forms):
    return lambda status: render_offer_page(case_id, offer_id, status, **forms)


def submit(case_id: int, offer_id: int, form, change, success, *, anchor=None, shown_as=None, on_failed_commit=None):
    """One change of the case's offer from `form`: an unreadable form or a refused change shows the offer again
    (422, or the error's status) with the reason and, under the name `shown_as`, the submitted form; else
    `change(form)` is committed and the user goes back to the offer at `anchor`."""
    offer_of_case(case_id, offer_id)  # another case's offer: a 404 before anything else
    forms = {shown_as: form} if shown_as else {}
    if not form.validate():
        flash(_("Nothing was changed: %(problems)s", problems=" ".join(_problems(form))), "error")
        return render_offer_page(case_id, offer_id, 422, **forms)
    return commit_change(
        lambda: change(form),
        success=success,
        target=url_for("offers.show_offer", case_id=case_id, offer_id=offer_id, _anchor=anchor),
        on_refusal=_offer_page(case_id, offer_id, **forms),
        on_failed_commit=on_failed_commit,
    )


def _problems(form) -> list[str]:
    return [
        _("%(field)s: %(error)s", field=getattr(form, name).label.text, error=errors[0])
        if name not in ("version", "csrf_token", "rows")
        else (_("The form is out of date: reload the page.") if name != "rows" else _("Check the payments' dates."))
        for name, errors in form.errors.items()
    ]


@bp.route("/cases/<int:case_id>/offers", methods=["POST"])
@roles_required(*OFFER_MAKERS)
def start_offer(case_id: int):
    form = StartOfferForm()
    refused = lambda status: render_case_page(case_id, status, start_offer_form=form)  # noqa: E731
    if not form.validate():
        problems = " ".join(str(error) for errors in form.errors.values() for error in errors)
        flash(_("Nothing was stored: %(problems)s", problems=problems), "error")
        return refused(422)
    return commit_change(
        lambda: operations.start_offer(
            case_id,
            actor_id=current_user.id,
            exchange_rate=form.exchange_rate.data or None,
            exchange_rate_on=form.exchange_rate_on.data,
        ),
        success=lambda offer: _("Offer version %(version)s is a draft: check it and send it.", version=offer.version),
        target=lambda offer: url_for("offers.show_offer", case_id=case_id, offer_id=offer.id),
        on_refusal=refused,
    )


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>")
@roles_required(*STAFF_ROLES)
def show_offer(case_id: int, offer_id: int):
    return render_offer_page(case_id, offer_id)


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>/terms", methods=["POST"])
@roles_required(*OFFER_MAKERS)
def change_offer_terms(case_id: int, offer_id: int):
    def change(form: TermsForm):
        return operations.change_terms(
            offer_id,
            actor_id=current_user.id,
            treatment_on=form.treatment_on.data,
            valid_until=form.valid_until.data,
            included=form.included.data,
            excluded=form.excluded.data,
            cancellation_terms=form.cancellation_terms.data,
            exchange_rate=form.exchange_rate.data or None,
            exchange_rate_on=form.exchange_rate_on.data,
            expected_version=form.version.data,
        )

    saved = _("The offer's dates and terms are saved.")
    return submit(case_id, offer_id, TermsForm(), change, saved, anchor="terms", shown_as="terms_form")


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>/items", methods=["POST"])
@roles_required(*OFFER_MAKERS)
def save_offer_item(case_id: int, offer_id: int):
    def change(form: ItemForm):
        return operations.save_item(
            offer_id,
            actor_id=current_user.id,
            item_id=form.item_id.data,
            section=form.section.data,
            code=form.code.data or "",
            description=form.description.data or "",
            quantity=form.quantity.data,
            unit_price=form.unit_price.data,
            vat_category=form.vat_category.data,
            optional=form.optional.data,
            expected_version=form.version.data,
        )

    saved = lambda item: _("Item %(position)s saved.", position=item.position)  # noqa: E731
    return submit(case_id, offer_id, ItemForm(), change, saved, anchor="items", shown_as="item_form")


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>/items/<int:item_id>/remove", methods=["POST"])
@roles_required(*OFFER_MAKERS)
def remove_offer_item(case_id: int, offer_id: int, item_id: int):
    def change(form: VersionForm):
        return operations.remove_item(offer_id, item_id, actor_id=current_user.id, expected_version=form.version.data)

    return submit(case_id, offer_id, VersionForm(), change, _("The item was removed."), anchor="items")


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>/services", methods=["POST"])
@roles_required(*OFFER_MAKERS)
def add_booked_services(case_id: int, offer_id: int):
    def change(form: VersionForm):
        return services.add_booked_services(offer_id, actor_id=current_user.id, expected_version=form.version.data)

    def added(answer: services.ServicesAdded) -> str:
        return _(
            "%(added)s services added from the bookings; %(left_out)s left out (no cost yet, or in another currency).",
            added=answer.added,
            left_out=answer.left_out,
        )

    return submit(case_id, offer_id, VersionForm(), change, added, anchor="items")


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>/schedule", methods=["POST"])
@roles_required(*OFFER_MAKERS)
def set_offer_schedule(case_id: int, offer_id: int):
    def change(form: ScheduleForm):
        return operations.set_schedule(
            offer_id, form.lines(), actor_id=current_user.id, expected_version=form.version.data
        )

    saved = _("The payment schedule is saved.")
    return submit(case_id, offer_id, ScheduleForm(), change, saved, anchor="schedule", shown_as="schedule_form")


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>/send", methods=["POST"])
@roles_required(*OFFER_MAKERS)
def send_offer(case_id: int, offer_id: int):
    def change(form: VersionForm):
        return operations.send_offer(offer_id, actor_id=current_user.id, expected_version=form.version.data)

    def sent(offer: Offer) -> str:
        return _(
            "Offer version %(version)s was sent: %(total)s. Its PDF is archived.",
            version=offer.version,
            total=format_page_money(offer.total, offer.currency),
        )

    answer = submit(case_id, offer_id, VersionForm(), change, sent)
    outbox.kick()  # the patient's "an offer waits" mail goes out now, not at the dispatcher's next round
    return answer


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>/pdf")
@roles_required(*STAFF_ROLES)
def download_offer_pdf(case_id: int, offer_id: int):
    """The archived PDF of a sent offer, exactly the bytes given out (checked against its SHA-256)."""
    offer = offer_of_case(case_id, offer_id)
    if offer.pdf_filename is None or offer.pdf_sha256 is None:
        raise OfferError(_("This offer has no PDF: a draft gets one when it is sent."))
    pdf = archive.read_recorded(  # missing or altered: a 503 with a message
        offer.pdf_filename,
        offer.pdf_sha256,
        action="offer.downloaded",
        actor_id=current_user.id,
        object_type="offer",
        object_id=offer.id,
        details={"case_id": offer.case_id, "version": offer.version},
    )
    filename = f"{offer.case.number}-offer-v{offer.version}.pdf"
    db.session.commit()
    return download(pdf, mimetype="application/pdf", filename=filename)


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>/acceptance", methods=["POST"])
@roles_required(*OFFER_MAKERS)
def record_offer_acceptance(case_id: int, offer_id: int):
    def change(form: AcceptanceForm):
        return recorded.record_acceptance(
            offer_id,
            actor_id=current_user.id,
            name=form.name.data,
            signed=form.file.data,
            expected_version=form.version.data,
        )

    def recorded_message(answer) -> str:
        return _(
            "The acceptance of version %(version)s is recorded; the signed offer is with the case's documents.",
            version=answer[0].version,
        )

    return submit(
        case_id,
        offer_id,
        AcceptanceForm(),
        change,
        recorded_message,
        shown_as="acceptance_form",
        on_failed_commit=lambda answer, error: documents.upload_not_committed(answer[1], error),
    )


@bp.route("/cases/<int:case_id>/offers/<int:offer_id>/decline", methods=["POST"])
@roles_required(*OFFER_MAKERS)
def decline_offer(case_id: int, offer_id: int):
    def change(form: DeclineForm):
        return recorded.record_decline(
            offer_id, actor_id=current_user.id, reason=form.reason.data, expected_version=form.version.data
        )

    declined = lambda offer: _("Version %(version)s is recorded as declined.", version=offer.version)  # noqa: E731
    return submit(case_id, offer_id, DeclineForm(), change, declined, shown_as="decline_form")
