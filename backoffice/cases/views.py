"""What a coordinator does on the case page (the page itself is in case_page); the list is in list_views, documents
in document_views."""

from __future__ import annotations

from flask import flash, request
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import CASE_TAKERS, roles_required
from backoffice.auth.reads import reads_health_data
from backoffice.cases import assignment, bp, history, operations, patient_language, programme, screening, states
from backoffice.cases.case_page import (
    CASE_READERS,
    CASE_WORKERS,
    change_case,
    coordinator_choices,
    physician_choices,
    programme_choices,
    refuse_form,
    render_case_page,
)
from backoffice.cases.forms import (
    AssignForm,
    NoteForm,
    PatientLanguageForm,
    ProgrammeForm,
    ResolveForm,
    TransitionForm,
    VersionedForm,
)
from backoffice.languages import NATIVE_NAMES


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
        return refuse_form(case_id, form, transition_form=form)
    label = states.shown(form.to_state.data)
    return change_case(
        case_id,
        lambda: operations.transition(
            case_id,
            form.to_state.data,
            actor_id=current_user.id,
            note=form.note.data,
            expected_version=form.version.data,
        ),
        _("The case is now: %(state)s.", state=label),
        transition_form=form,
    )


@bp.route("/<int:case_id>/take", methods=["POST"])
@roles_required(*CASE_TAKERS)
def take_case(case_id: int):
    form = VersionedForm()
    if not form.validate():
        return refuse_form(case_id, form)
    return change_case(
        case_id,
        lambda: assignment.take_case(case_id, actor_id=current_user.id, expected_version=form.version.data),
        _("The case is yours now."),
    )


@bp.route("/<int:case_id>/assign", methods=["POST"])
@roles_required(*CASE_WORKERS)
def assign_case(case_id: int):
    form = AssignForm()
    form.coordinator_id.choices = coordinator_choices()
    if not form.validate():
        return refuse_form(case_id, form, assign_form=form)
    coordinator_id = int(form.coordinator_id.data) if form.coordinator_id.data else None
    return change_case(
        case_id,
        lambda: assignment.assign_coordinator(
            case_id, coordinator_id, actor_id=current_user.id, expected_version=form.version.data
        ),
        _("Coordinator updated."),
        assign_form=form,
    )


@bp.route("/<int:case_id>/programme", methods=["POST"])
@roles_required(*CASE_WORKERS)
def set_programme(case_id: int):
    form = ProgrammeForm()
    form.programme_id.choices = programme_choices()
    form.physician_id.choices = physician_choices()
    if not form.validate() or not form.programme_id.data:
        if not form.programme_id.data:
            form.programme_id.errors = [*form.programme_id.errors, _("Choose a programme.")]
        return refuse_form(case_id, form, programme_form=form)
    return change_case(
        case_id,
        lambda: programme.set_programme(
            case_id,
            programme_id=int(form.programme_id.data),
            physician_id=int(form.physician_id.data) if form.physician_id.data else None,
            actor_id=current_user.id,
            expected_version=form.version.data,
        ),
        _("Programme recorded."),
        programme_form=form,
    )


@bp.route("/<int:case_id>/screening", methods=["POST"])
@roles_required(*CASE_WORKERS)
def answer_screening(case_id: int):
    form = VersionedForm()
    if not form.validate():
        return refuse_form(case_id, form)
    answers: dict[int, str] = {}
    for key, value in request.form.items():
        if key.startswith("answer_"):
            answer_id = key.removeprefix("answer_")
            if not answer_id.isdigit():
                flash(_("The screening form was not understood; reload the page."), "error")
                return render_case_page(case_id, 400)
            answers[int(answer_id)] = value
    return change_case(
        case_id,
        lambda: screening.answer_screening(
            case_id, answers, actor_id=current_user.id, expected_version=form.version.data
        ),
        _("Screening saved."),
    )


@bp.route("/<int:case_id>/screening/resolve", methods=["POST"])
@roles_required(*CASE_WORKERS)
def resolve_contraindication(case_id: int):
    form = ResolveForm()
    if not form.validate():
        return refuse_form(case_id, form, resolve_form=form)
    return change_case(
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
        _("Resolution recorded."),
        resolve_form=form,
    )


@bp.route("/<int:case_id>/notes", methods=["POST"])
@roles_required(*CASE_WORKERS)
def add_note(case_id: int):
    form = NoteForm()
    if not form.validate():
        return refuse_form(case_id, form, note_form=form)
    return change_case(
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
        _("Note added."),
        note_form=form,
    )


@bp.route("/<int:case_id>/patient-language", methods=["POST"])
@roles_required(*CASE_WORKERS)
def change_patient_language(case_id: int):
    """The language of the patient's mails and documents (the patient changes it in the portal too)."""
    form = PatientLanguageForm()
    if not form.validate():
        return refuse_form(case_id, form)
    return change_case(
        case_id,
        lambda: patient_language.change_patient_language(
            case_id, form.preferred_language.data, actor_id=current_user.id, seen=form.seen.data or None
        ),
        lambda code: _("The patient's mails and documents are now in %(language)s.", language=NATIVE_NAMES[code]),
        anchor="patient",
    )
