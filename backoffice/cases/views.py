"""The case page and what a coordinator does on it; the list is in list_views, documents in document_views."""

from __future__ import annotations

from flask import flash, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from backoffice.auth.models import User
from backoffice.auth.permissions import ADMIN, COORDINATOR, FINANCE, roles_required
from backoffice.auth.reads import reads_health_data
from backoffice.billing.bills import listing as bill_listing
from backoffice.billing.bills import states as bill_states
from backoffice.cases import bp, history, operations, programme, reminders, screening, states
from backoffice.cases.document_forms import DocumentRemoveForm, DocumentTypeForm, DocumentUploadForm
from backoffice.cases.documents import list_documents, may_remove_documents, types_changeable
from backoffice.cases.forms import (
    AssignForm,
    NoteForm,
    ProgrammeForm,
    ReminderDoneForm,
    ReminderForm,
    ResolveForm,
    TransitionForm,
    VersionedForm,
)
from backoffice.cases.models import DOCUMENT_TYPES
from backoffice.cases.opening import patients_sharing_contact
from backoffice.directory.models import Physician, Programme
from backoffice.extensions import db
from backoffice.forms import choices
from backoffice.invoicing import listing as invoicing_listing
from backoffice.logistics import follow_ups as logistics_follow_ups
from backoffice.logistics import itinerary as logistics_itinerary
from backoffice.money import MoneyError, parse_money
from backoffice.portal.invites import portal_status_of_patient
from backoffice.shipments import operations as shipments_operations
from backoffice.transactions import commit_change

CASE_READERS = (ADMIN, COORDINATOR, FINANCE)
CASE_WORKERS = (ADMIN, COORDINATOR)


def _programme_choices() -> list[SelectChoice]:
    programmes = db.session.scalars(
        select(Programme).where(Programme.active.is_(True)).options(joinedload(Programme.hospital))
    ).all()
    options = sorted(((str(p.id), f"{p.hospital.name} — {p.name}") for p in programmes), key=lambda item: item[1])
    return choices([("", "Choose a programme"), *options])


def _physician_choices() -> list[SelectChoice]:
    physicians = db.session.scalars(
        select(Physician).where(Physician.active.is_(True)).options(joinedload(Physician.hospital))
    ).all()
    options = sorted(
        ((str(p.id), f"{p.hospital.name} — {p.name}, {p.specialty}") for p in physicians), key=lambda item: item[1]
    )
    return choices([("", "No physician yet"), *options])


def _coordinator_choices() -> list[SelectChoice]:
    coordinators = db.session.scalars(
        select(User).where(User.role == COORDINATOR, User.active.is_(True)).order_by(User.name)
    ).all()
    return choices([("", "Queue (unassigned)"), *((str(u.id), u.name) for u in coordinators)])


def render_case_page(case_id: int, status: int = 200, **forms):
    """The case page; after a refused change, with the submitted form (and its errors) shown again.

    Every form carries the case's current version: the page shows the case as it is now, so a change made from it
    is based on what the user sees (after a "changed by someone else" refusal too).
    """
    case = operations.get_case(case_id)
    may_work = current_user.role in CASE_WORKERS
    health_data = history.sees_health_data(current_user.role)
    context = {
        "case": case,
        "states": states,
        "next_steps": operations.next_steps(case) if may_work else [],
        "overdue": operations.is_overdue(case),
        "timeline": history.timeline(case.id, health_data=health_data),
        "follow_ups": logistics_follow_ups.case_follow_ups(case_id),
        "add_follow_up_form": forms.get("add_follow_up_form"),
        "findings": logistics_itinerary.case_findings(case_id),
        "contraindications": screening.open_contraindications(case) if health_data else [],
        "bills": bill_listing.bills_of_case(case_id),
        "portal_status": portal_status_of_patient(case.patient_id),
        "medicine_orders": shipments_operations.orders_of_case(case_id),
        **invoicing_listing.case_invoices_panel(case_id),
        "billable_states": bill_states.BILLABLE_STATES,
        "may_work": may_work,
        "known_contacts": patients_sharing_contact(
            case.patient.email, case.patient.phone, exclude_patient_id=case.patient_id
        )
        if may_work
        else [],
        "health_data": health_data,
        "transition_form": forms.get("transition_form") or TransitionForm(formdata=None),
        "version_form": VersionedForm(formdata=None),
    }
    if may_work:
        assign_form = forms.get("assign_form") or AssignForm(
            formdata=None, coordinator_id=str(case.coordinator_id or "")
        )
        assign_form.coordinator_id.choices = _coordinator_choices()
        programme_form = forms.get("programme_form") or ProgrammeForm(
            formdata=None,
            programme_id=str(case.programme_id or ""),
            physician_id=str(case.physician_id or ""),
            estimate_amount=str(case.cost_estimate.amount) if case.cost_estimate else "",
            estimate_currency=case.cost_estimate.currency if case.cost_estimate else "EUR",
        )
        programme_form.programme_id.choices = _programme_choices()
        programme_form.physician_id.choices = _physician_choices()
        context.update(
            assign_form=assign_form,
            programme_form=programme_form,
            programme_editable=programme.programme_editable(case),
            screening_editable=screening.screening_editable(case),
            resolve_form=forms.get("resolve_form") or ResolveForm(formdata=None),
            note_form=forms.get("note_form") or NoteForm(formdata=None),
            reminders=reminders.open_reminders(case.id),
            reminders_addable=reminders.reminders_addable(case),
            reminder_form=forms.get("reminder_form") or ReminderForm(formdata=None),
            reminder_done_form=ReminderDoneForm(formdata=None),
            documents=list_documents(case.id),
            clearances=list_documents(case.id, document_type="clearance"),
            upload_form=forms.get("upload_form") or DocumentUploadForm(formdata=None),
            type_form=DocumentTypeForm(formdata=None),
            remove_form=DocumentRemoveForm(formdata=None),
            document_types=DOCUMENT_TYPES,
            document_types_changeable=types_changeable(case),
            documents_removable=may_remove_documents(case, current_user.role),
        )
    for form in context.values():
        if isinstance(form, VersionedForm):
            form.version.data = case.version
    return render_template("cases/detail.html", **context), status


def _change(case_id: int, change, success: str, **forms):
    """Run one change of a case; on refusal show the case again with the reason and the error's status."""
    return commit_change(
        change,
        success=success,
        target=url_for("cases.show_case", case_id=case_id),
        on_refusal=lambda status: render_case_page(case_id, status, **forms),
    )


def _invalid(case_id: int, form, **forms):
    messages = [
        f"{getattr(form, name).label.text}: {errors[0]}"
        if name != "version"
        else "The page was incomplete; reload it and try again."
        for name, errors in form.errors.items()
    ]
    flash(" ".join(messages) or "The form was incomplete.", "error")
    return render_case_page(case_id, 422, **forms)


@bp.route("/<int:case_id>")
@roles_required(*CASE_READERS)
@reads_health_data(case_arg="case_id")
def show_case(case_id: int):
    return render_case_page(case_id)


@bp.route("/<int:case_id>/transition", methods=["POST"])
@roles_required(*CASE_WORKERS)
def transition_case(case_id: int):
    form = TransitionForm()
    if not form.validate():
        return _invalid(case_id, form, transition_form=form)
    label = states.label(form.to_state.data)
    return _change(
        case_id,
        lambda: operations.transition(
            case_id,
            form.to_state.data,
            actor_id=current_user.id,
            note=form.note.data,
            expected_version=form.version.data,
        ),
        f"The case is now: {label}.",
        transition_form=form,
    )


@bp.route("/<int:case_id>/take", methods=["POST"])
@roles_required(COORDINATOR)
def take_case(case_id: int):
    form = VersionedForm()
    if not form.validate():
        return _invalid(case_id, form)
    return _change(
        case_id,
        lambda: operations.take_case(case_id, actor_id=current_user.id, expected_version=form.version.data),
        "The case is yours now.",
    )


@bp.route("/<int:case_id>/assign", methods=["POST"])
@roles_required(*CASE_WORKERS)
def assign_case(case_id: int):
    form = AssignForm()
    form.coordinator_id.choices = _coordinator_choices()
    if not form.validate():
        return _invalid(case_id, form, assign_form=form)
    coordinator_id = int(form.coordinator_id.data) if form.coordinator_id.data else None
    return _change(
        case_id,
        lambda: operations.assign_coordinator(
            case_id, coordinator_id, actor_id=current_user.id, expected_version=form.version.data
        ),
        "Coordinator updated.",
        assign_form=form,
    )


@bp.route("/<int:case_id>/programme", methods=["POST"])
@roles_required(*CASE_WORKERS)
def set_programme(case_id: int):
    form = ProgrammeForm()
    form.programme_id.choices = _programme_choices()
    form.physician_id.choices = _physician_choices()
    if not form.validate() or not form.programme_id.data:
        if not form.programme_id.data:
            form.programme_id.errors = [*form.programme_id.errors, "Choose a programme."]
        return _invalid(case_id, form, programme_form=form)
    try:
        estimate = (
            parse_money(form.estimate_amount.data, form.estimate_currency.data or "EUR")
            if (form.estimate_amount.data or "").strip()
            else None
        )
    except MoneyError as error:
        flash(f"Cost estimate: {error}", "error")
        return render_case_page(case_id, 422, programme_form=form)
    return _change(
        case_id,
        lambda: programme.set_programme(
            case_id,
            programme_id=int(form.programme_id.data),
            physician_id=int(form.physician_id.data) if form.physician_id.data else None,
            cost_estimate=estimate,
            actor_id=current_user.id,
            expected_version=form.version.data,
        ),
        "Programme and estimate recorded.",
        programme_form=form,
    )


@bp.route("/<int:case_id>/screening", methods=["POST"])
@roles_required(*CASE_WORKERS)
def answer_screening(case_id: int):
    form = VersionedForm()
    if not form.validate():
        return _invalid(case_id, form)
    answers: dict[int, str] = {}
    for key, value in request.form.items():
        if key.startswith("answer_"):
            answer_id = key.removeprefix("answer_")
            if not answer_id.isdigit():
                flash("The screening form was not understood; reload the page.", "error")
                return render_case_page(case_id, 400)
            answers[int(answer_id)] = value
    return _change(
        case_id,
        lambda: screening.answer_screening(
            case_id, answers, actor_id=current_user.id, expected_version=form.version.data
        ),
        "Screening saved.",
    )


@bp.route("/<int:case_id>/screening/resolve", methods=["POST"])
@roles_required(*CASE_WORKERS)
def resolve_contraindication(case_id: int):
    form = ResolveForm()
    if not form.validate():
        return _invalid(case_id, form, resolve_form=form)
    return _change(
        case_id,
        lambda: screening.resolve_contraindication(
            case_id,
            form.answer_id.data,
            resolution=form.resolution.data,
            resolved_on=form.resolved_on.data,
            clearance_document_id=form.clearance_id,
            actor_id=current_user.id,
            expected_version=form.version.data,
        ),
        "Resolution recorded.",
        resolve_form=form,
    )


@bp.route("/<int:case_id>/notes", methods=["POST"])
@roles_required(*CASE_WORKERS)
def add_note(case_id: int):
    form = NoteForm()
    if not form.validate():
        return _invalid(case_id, form, note_form=form)
    return _change(
        case_id,
        lambda: history.add_note(
            case_id,
            body=form.body.data,
            actor_id=current_user.id,
            kind=form.kind.data,
            channel=form.channel.data or None,
            direction=form.direction.data or None,
            counterpart=form.counterpart.data or None,
        ),
        "Note added.",
        note_form=form,
    )
