"""The case page: what `cases` shows itself, plus the panels other features contribute through `signals.case_page`.

Every view that shows the case again (after a refused change, in cases, logistics or the portal invitation) answers
with `render_case_page`, so the page looks the same whichever feature's form was submitted.
"""

from __future__ import annotations

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from backoffice.auth.models import User
from backoffice.auth.permissions import CARE_COORDINATORS, COORDINATOR, STAFF_ROLES
from backoffice.cases import history, operations, programme, reminders, screening, signals, sla, states
from backoffice.cases.document_changes import may_remove_documents, types_changeable
from backoffice.cases.document_forms import (
    DocumentRemoveForm,
    DocumentRequestForm,
    DocumentTypeForm,
    DocumentUploadForm,
)
from backoffice.cases.document_sharing import open_requests
from backoffice.cases.documents import list_documents
from backoffice.cases.forms import (
    AssignForm,
    NoteForm,
    PatientLanguageForm,
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
from backoffice.forms import ConfirmForm, choices
from backoffice.languages import NATIVE_NAMES, for_patient
from backoffice.patients.restriction import check_may_see
from backoffice.transactions import commit_change

CASE_READERS = STAFF_ROLES
CASE_WORKERS = CARE_COORDINATORS


def programme_choices() -> list[SelectChoice]:
    programmes = db.session.scalars(
        select(Programme).where(Programme.active.is_(True)).options(joinedload(Programme.hospital))
    ).all()
    options = sorted(((str(p.id), f"{p.hospital.name} — {p.name}") for p in programmes), key=lambda item: item[1])
    return choices([("", _("Choose a programme")), *options])


def physician_choices() -> list[SelectChoice]:
    physicians = db.session.scalars(
        select(Physician).where(Physician.active.is_(True)).options(joinedload(Physician.hospital))
    ).all()
    options = sorted(
        ((str(p.id), f"{p.hospital.name} — {p.name}, {p.specialty}") for p in physicians), key=lambda item: item[1]
    )
    return choices([("", _("No physician yet")), *options])


def coordinator_choices() -> list[SelectChoice]:
    coordinators = db.session.scalars(
        select(User).where(User.role == COORDINATOR, User.active.is_(True)).order_by(User.name)
    ).all()
    return choices([("", _("Queue (unassigned)")), *((str(u.id), u.name) for u in coordinators)])


def contributed_panels(case, forms: dict) -> dict:
    """What the features above `cases` show on the page: each receiver of `signals.case_page` returns its keys."""
    panels: dict = {}
    for receiver, contribution in signals.case_page.send(case, forms=forms):
        clash = panels.keys() & contribution.keys()
        if clash:
            raise RuntimeError(f"{receiver.__module__} shows {sorted(clash)} on the case page, already shown")
        panels.update(contribution)
    return panels


def render_case_page(case_id: int, status: int = 200, **forms):
    """The case page; after a refused change, with the submitted form (and its errors) shown again.

    Every form carries the case's current version: the page shows the case as it is now, so a change made from it
    is based on what the user sees (after a "changed by someone else" refusal too). An erased patient's case is
    shown to finance and administrators only, read-only, under the restriction banner (`patients.restriction`).
    """
    case = operations.get_case(case_id)
    check_may_see(case.patient)
    may_work = current_user.role in CASE_WORKERS and not case.patient.is_erased
    health_data = history.sees_health_data(current_user.role)
    context = {
        "case": case,
        "states": states,
        "next_steps": operations.next_steps(case) if may_work else [],
        "overdue": sla.is_overdue(case),
        "timeline": history.timeline(case.id, health_data=health_data),
        "channel_labels": history.CHANNEL_LABELS,
        "counterpart_names": history.COUNTERPART_NAMES,
        "contraindications": screening.open_contraindications(case) if health_data else [],
        **contributed_panels(case, forms),
        "may_work": may_work,
        "known_contacts": patients_sharing_contact(
            case.patient.email, case.patient.phone, exclude_patient_id=case.patient_id
        )
        if may_work
        else [],
        "health_data": health_data,
        # Every mail and document made for the patient is in this language (theirs when shipped, else English).
        "mail_language": NATIVE_NAMES[for_patient(case.patient.preferred_language)],
        "transition_form": forms.get("transition_form") or TransitionForm(formdata=None),
        "version_form": VersionedForm(formdata=None),
    }
    if may_work:
        assign_form = forms.get("assign_form") or AssignForm(
            formdata=None, coordinator_id=str(case.coordinator_id or "")
        )
        assign_form.coordinator_id.choices = coordinator_choices()
        programme_form = forms.get("programme_form") or ProgrammeForm(
            formdata=None,
            programme_id=str(case.programme_id or ""),
            physician_id=str(case.physician_id or ""),
        )
        programme_form.programme_id.choices = programme_choices()
        programme_form.physician_id.choices = physician_choices()
        context.update(
            assign_form=assign_form,
            programme_form=programme_form,
            programme_editable=programme.programme_editable(case),
            screening_editable=screening.screening_editable(case),
            resolve_form=forms.get("resolve_form") or ResolveForm(formdata=None),
            note_form=forms.get("note_form") or NoteForm(formdata=None),
            # Always as the patient's record is now: after a refusal too, the page shows the language in force.
            language_form=PatientLanguageForm(
                formdata=None,
                preferred_language=for_patient(case.patient.preferred_language),
                seen=case.patient.preferred_language,
            ),
            reminders=reminders.open_reminders(case.id),
            reminder_owner=reminders.owner_shown,
            reminders_addable=reminders.reminders_addable(case),
            reminder_form=forms.get("reminder_form") or ReminderForm(formdata=None),
            reminder_done_form=ReminderDoneForm(formdata=None),
            documents=list_documents(case.id),
            clearances=list_documents(case.id, document_type="clearance"),
            upload_form=forms.get("upload_form") or DocumentUploadForm(formdata=None),
            type_form=DocumentTypeForm(formdata=None),
            remove_form=DocumentRemoveForm(formdata=None),
            share_form=ConfirmForm(formdata=None),
            request_form=forms.get("request_form") or DocumentRequestForm(formdata=None),
            document_requests=open_requests([case.id]),
            document_types=DOCUMENT_TYPES,
            document_types_changeable=types_changeable(case),
            documents_removable=may_remove_documents(case, current_user.role),
        )
    for form in context.values():
        if isinstance(form, VersionedForm):
            form.version.data = case.version
    return render_template("cases/detail.html", **context), status


def change_case(case_id: int, change, success, *, anchor: str | None = None, **forms):
    """Run one change of a case; on refusal show the case again with the reason, the error's status and `forms`.

    A case the user may not see (an erased patient's, for a coordinator) is a 404 before anything is tried."""
    check_may_see(operations.get_case(case_id).patient)
    return commit_change(
        change,
        success=success,
        target=url_for("cases.show_case", case_id=case_id, _anchor=anchor),
        on_refusal=lambda status: render_case_page(case_id, status, **forms),
    )


def refuse_form(case_id: int, form, **forms):
    """A form that did not validate: say which fields and why, and show the case again (422) with `forms`."""
    messages = [
        _("%(field)s: %(error)s", field=getattr(form, name).label.text, error=errors[0])
        if name != "version"
        else _("The page was incomplete; reload it and try again.")
        for name, errors in form.errors.items()
    ]
    flash(" ".join(messages) or _("The form was incomplete."), "error")
    return render_case_page(case_id, 422, **forms)
