"""Writing from the case and reading its thread: one message, its HTML in a sandbox, its files; the compose page;
asking the physician in advance.

Reading a message is reading the case's health data: the routes declare it (`reads_health_data`) and let in the
roles that read health data only. Writing is for those who coordinate care.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import CARE_COORDINATORS, HEALTH_DATA_READERS, roles_required
from backoffice.auth.reads import reads_health_data
from backoffice.cases.case_page import render_case_page
from backoffice.cases.operations import get_case
from backoffice.downloads import download
from backoffice.errors import NotFound
from backoffice.forms import choices, form_errors
from backoffice.jobs import outbox
from backoffice.messages import bp, case_page, compose, consultation, portal_thread, thread  # noqa: F401 (case_page)
from backoffice.messages.attachments import read_kept
from backoffice.messages.compose_forms import ComposeForm, ConsultationForm, PortalAnswerForm, SharingConsentForm
from backoffice.messages.operations import undeliverable
from backoffice.params import page_number, positive_int
from backoffice.patients.restriction import check_may_see
from backoffice.transactions import commit_answer, commit_change

THREAD_READERS = HEALTH_DATA_READERS
WRITERS = CARE_COORDINATORS
TYPED = "typed"  # the choice of `to` that means the typed address
PER_PAGE = 50


def _to_thread(case_id: int) -> str:
    return url_for("cases.show_case", case_id=case_id, _anchor="thread")


# ---------------------------------------------------------------------------------------------- the thread


@bp.route("/cases/<int:case_id>/messages")
@roles_required(*THREAD_READERS)
@reads_health_data(case_arg="case_id")
def list_case_messages(case_id: int):
    """Every message of the case, newest first, page by page (the case page shows the newest)."""
    case = get_case(case_id)
    check_may_see(case.patient)
    page = thread.thread_page(case.id, page=page_number(request.args.get("page")), per_page=PER_PAGE)
    return render_template("messages/case_messages.html", case=case, page=page)


@bp.route("/cases/<int:case_id>/messages/<int:message_id>")
@roles_required(*THREAD_READERS)
@reads_health_data(case_arg="case_id")
def show_message(case_id: int, message_id: int):
    """One message of the case; opening a received one marks it read."""
    return commit_answer(
        lambda: thread.open_message(case_id, message_id),
        answer=lambda entry: render_template(
            "messages/message.html", case=get_case(case_id), entry=entry, message=entry.message
        ),
        on_refusal=lambda error: (flash(error.message, "error"), redirect(_to_thread(case_id)))[1],
        passes=(NotFound,),
    )


@bp.route("/cases/<int:case_id>/messages/<int:message_id>/html")
@roles_required(*THREAD_READERS)
@reads_health_data(case_arg="case_id")
def message_html(case_id: int, message_id: int):
    """The HTML body for the message page's sandboxed frame: no script runs, nothing is fetched (the answer's CSP)."""
    html = thread.message_html(case_id, message_id)
    return download(html, mimetype="text/html", filename=f"message-{message_id}.html", inline=True)


@bp.route("/cases/<int:case_id>/messages/<int:message_id>/files/<int:attachment_id>")
@roles_required(*THREAD_READERS)
@reads_health_data(case_arg="case_id")
def download_message_file(case_id: int, message_id: int, attachment_id: int):
    """A file as it was sent with the message, read from the store (refused and audited if its bytes changed)."""
    file = thread.message_file(case_id, message_id, attachment_id)
    return download(read_kept(file), mimetype=file.content_type, filename=file.filename)


# ---------------------------------------------------------------------------------------------- writing


def _compose_choices(case, form: ComposeForm) -> tuple[list, list]:
    """The case's contacts and files, as the form's choices."""
    contacts = compose.case_contacts(case)
    files = compose.case_attachables(case)
    people = [(c.key, f"{c.name} ({thread.counterpart_label(c.counterpart)}) <{c.address}>") for c in contacts]
    form.to.choices = choices([*people, (TYPED, _("An address typed here"))])
    form.attachments.choices = [(file.key, file.label) for file in files]
    return contacts, files


def _compose_page(case_id: int, form: ComposeForm, status: int = 200):
    case = get_case(case_id)
    check_may_see(case.patient)
    contacts, files = _compose_choices(case, form)
    reply_to = form.reply_to_id()
    parent = thread.thread_message(case.id, reply_to) if reply_to else None
    addresses = [c.address for c in contacts] + [(form.typed_address.data or "").strip()]
    page = render_template(
        "messages/compose.html",
        case=case,
        form=form,
        files=files,
        contacts=contacts,
        parent=parent,
        undeliverable=undeliverable(addresses),
        templates=compose.template_labels(),
    )
    return page, status


@bp.route("/cases/<int:case_id>/messages/new", methods=["GET", "POST"])
@roles_required(*WRITERS)
@reads_health_data(case_arg="case_id")
def compose_message(case_id: int):
    """GET: the form, from a template (`?to=physician&template=ask_physician`) or as a reply (`?reply_to=<id>`).
    POST: the message is queued and sent by the outbox."""
    if request.method == "GET":
        return _compose_page(case_id, _start_form(case_id))
    form = ComposeForm()
    _compose_choices(get_case(case_id), form)
    if not form.validate():
        return _refuse_form(case_id, form)
    return commit_change(
        lambda: compose.compose_message(
            case_id,
            actor_id=current_user.id,
            to=form.to.data,
            typed_address=form.typed_address.data or "",
            typed_counterpart=form.typed_counterpart.data,
            subject=form.subject.data,
            body=form.body.data,
            language=form.language.data,
            attachments=form.attachments.data or [],
            reply_to_id=form.reply_to_id(),
        ),
        success=lambda message: _(
            "Message to %(addresses)s queued; it goes out in a moment.", addresses=message.to_addresses
        ),
        target=_to_thread(case_id),
        on_refusal=lambda status: _compose_page(case_id, form, status),
        after_commit=outbox.kick,
    )


@bp.route("/cases/<int:case_id>/portal-messages", methods=["POST"])
@roles_required(*WRITERS)
@reads_health_data(case_arg="case_id")
def answer_in_portal(case_id: int):
    """A message to the patient on the portal's secure thread; the patient is mailed that it waits."""
    form = PortalAnswerForm()
    if not form.validate():
        flash(" ".join(form_errors(form)), "error")
        return render_case_page(case_id, 422, portal_answer_form=form)
    return commit_change(
        lambda: portal_thread.write_to_patient(case_id, actor_id=current_user.id, text=form.text.data),
        success=_("Your message waits for the patient in the portal; a mail tells them, without its text."),
        target=_to_thread(case_id),
        on_refusal=lambda status: render_case_page(case_id, status, portal_answer_form=form),
        after_commit=outbox.kick,
    )


def _start_form(case_id: int) -> ComposeForm:
    """The form as first shown: a reply to a message of the case, or a template for the chosen recipient."""
    case = get_case(case_id)
    reply_to = request.args.get("reply_to", "")
    if reply_to.isdigit():
        parent = thread.thread_message(case.id, int(reply_to)).message
        return ComposeForm(formdata=None, reply_to=str(parent.id), **compose.reply_draft(case, parent))
    template = request.args.get("template", "blank")
    key = request.args.get("to", "patient")
    contact = next((c for c in compose.case_contacts(case) if c.key == key), None)
    draft = compose.draft(case, template, contact, actor=current_user)
    return ComposeForm(
        formdata=None,
        to=contact.key if contact else "typed",
        template=template if template in compose.TEMPLATES else "blank",
        language=draft.language,
        subject=draft.subject,
        body=draft.body,
    )


def _refuse_form(case_id: int, form):
    flash(" ".join(f"{getattr(form, name).label.text}: {errors[0]}" for name, errors in form.errors.items()), "error")
    return _compose_page(case_id, form, 422)


# ---------------------------------------------------------------------------------------------- asking the physician


def _consultation_choices(case, *forms) -> tuple[list, list]:
    """The physicians one may ask and the case's medical records, as the forms' choices."""
    physicians = consultation.physicians_to_ask(case)
    records = [
        (str(d.id), f"{d.original_filename} ({d.type_label.lower()})") for d in consultation.shareable_records(case.id)
    ]
    for form in forms:
        form.physician_id.choices = choices([("", _("Choose a physician")), *physicians])
        form.document_ids.choices = records
    return physicians, records


def _consultation_page(case_id: int, consent_form=None, request_form=None, status: int = 200):
    case = get_case(case_id)
    physician_id = request.args.get("physician_id", "") or str(case.physician_id or "")
    if consent_form is None:
        consent_form = SharingConsentForm(formdata=None, physician_id=physician_id)
    if request_form is None:
        chosen = consultation.physician_of(positive_int(physician_id)) if positive_int(physician_id) else None
        draft = consultation.request_draft(case, chosen, actor=current_user)
        request_form = ConsultationForm(
            formdata=None, physician_id=physician_id, language=draft.language, subject=draft.subject, body=draft.body
        )
    physicians, records = _consultation_choices(case, consent_form, request_form)
    chosen_id = request_form.physician_id.data or ""
    chosen = consultation.physician_of(int(chosen_id)) if str(chosen_id).isdigit() else None
    page = render_template(
        "messages/consultation.html",
        case=case,
        undeliverable=undeliverable([chosen.email] if chosen else []),
        consents=consultation.consents_of_case(case.id),
        physician_names=dict(physicians),
        record_names=dict(records),
        consent_labels={key: _(label) for key, label in consultation.CONSENT_FORMS.items()},
        consent_form=consent_form,
        request_form=request_form,
    )
    return page, status


def _refuse_consultation_form(case_id: int, **forms):
    form = next(iter(forms.values()))
    flash(" ".join(form_errors(form)) or _("The form was incomplete."), "error")
    return _consultation_page(case_id, status=422, **forms)


@bp.route("/cases/<int:case_id>/consultation", methods=["GET", "POST"])
@roles_required(*WRITERS)
@reads_health_data(case_arg="case_id")
def ask_physician(case_id: int):
    """GET: the consents recorded and the request form. POST: the request is queued with the selected records."""
    if request.method == "GET":
        return _consultation_page(case_id)
    form = ConsultationForm()
    _consultation_choices(get_case(case_id), form)  # what the form may choose from
    if not form.validate():
        return _refuse_consultation_form(case_id, request_form=form)
    return commit_change(
        lambda: consultation.request_consultation(
            case_id,
            physician_id=int(form.physician_id.data),
            document_ids=[int(value) for value in form.document_ids.data or []],
            subject=form.subject.data,
            body=form.body.data,
            language=form.language.data,
            actor_id=current_user.id,
        ),
        success=lambda message: _(
            "Consultation request to %(addresses)s queued with the records.", addresses=message.to_addresses
        ),
        target=_to_thread(case_id),
        on_refusal=lambda status: _consultation_page(case_id, request_form=form, status=status),
        after_commit=outbox.kick,
    )


@bp.route("/cases/<int:case_id>/consultation/consent", methods=["POST"])
@roles_required(*WRITERS)
@reads_health_data(case_arg="case_id")
def record_sharing_consent(case_id: int):
    """The patient's consent to share the selected records with the physician, recorded before any request."""
    form = SharingConsentForm()
    _consultation_choices(get_case(case_id), form)
    if not form.validate():
        return _refuse_consultation_form(case_id, consent_form=form)
    return commit_change(
        lambda: consultation.record_consent(
            case_id,
            physician_id=int(form.physician_id.data),
            document_ids=[int(value) for value in form.document_ids.data or []],
            given_as=form.given_as.data,
            note=form.note.data or "",
            actor_id=current_user.id,
        ),
        success=_("The patient's consent is recorded; the request may now carry those records."),
        target=url_for("messages.ask_physician", case_id=case_id, physician_id=form.physician_id.data),
        on_refusal=lambda status: _consultation_page(case_id, consent_form=form, status=status),
    )
