"""Documents of a case: upload, type, preview, download, removal, sharing with the patient and asking the patient for
one; coordinators and administrators only."""

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import ADMIN, roles_required
from backoffice.auth.reads import reads_health_data
from backoffice.cases import bp, document_changes, document_sharing, documents
from backoffice.cases.case_page import change_case, render_case_page
from backoffice.cases.document_forms import (
    DocumentRemoveForm,
    DocumentRequestForm,
    DocumentTypeForm,
    DocumentUploadForm,
)
from backoffice.cases.operations import get_case
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.forms import form_errors
from backoffice.transactions import commit_answer, commit_change


def _refuse(case_id: int, form, fallback: str, **forms):
    """A document form that did not validate: its first error (or `fallback`), on the case page again (422)."""
    flash(next(iter(form_errors(form)), fallback), "error")
    return render_case_page(case_id, 422, **forms)


@bp.route("/<int:case_id>/documents", methods=["POST"])
@roles_required(*documents.MEDICAL_RECORD_ROLES)
def upload_document(case_id: int):
    form = DocumentUploadForm()
    if not form.validate_on_submit():
        return _refuse(case_id, form, _("The upload was incomplete."), upload_form=form)
    return commit_change(
        lambda: documents.store_document(
            case_id, form.file.data, form.description.data, current_user.id, form.document_type.data
        ),
        success=lambda document: _(
            "“%(name)s” was added to the case's documents as a %(type)s.",
            name=document.original_filename,
            type=_(document.type_label).lower(),
            label=_(document.type_label),
        ),
        target=url_for("cases.show_case", case_id=case_id, _anchor="documents"),
        on_refusal=lambda status: render_case_page(case_id, status, upload_form=form),
        on_failed_commit=documents.upload_not_committed,
    )


@bp.route("/<int:case_id>/documents/<int:document_id>")
@roles_required(*documents.MEDICAL_RECORD_ROLES)
@reads_health_data(case_arg="case_id")
def download_document(case_id: int, document_id: int):
    # Removed documents stay downloadable for administrators only: the audit trail may point at them.
    content, document = documents.open_document(
        case_id, document_id, current_user.id, include_removed=current_user.role == ADMIN
    )
    db.session.commit()  # the download's audit row
    return download(content, mimetype=document.content_type, filename=document.original_filename)


@bp.route("/<int:case_id>/documents/<int:document_id>/preview")
@roles_required(*documents.MEDICAL_RECORD_ROLES)
@reads_health_data(case_arg="case_id")
def preview_document(case_id: int, document_id: int):
    """A page that shows a PDF or an image of the case inside a frame or an image tag, next to its details."""
    case = get_case(case_id)
    document = documents.get_document(case_id, document_id)
    return render_template(
        "cases/document_preview.html",
        case=case,
        document=document,
        previewable=documents.is_previewable(document),
    )


@bp.route("/<int:case_id>/documents/<int:document_id>/inline")
@roles_required(*documents.MEDICAL_RECORD_ROLES)
@reads_health_data(case_arg="case_id")
def inline_document(case_id: int, document_id: int):
    """The file itself for the preview, inline, only when its first bytes prove it is the PDF/JPEG/PNG it claims."""
    return commit_answer(  # the commit keeps the preview's audit row
        lambda: documents.open_document(case_id, document_id, current_user.id, inline=True),
        answer=_inline,
        on_refusal=lambda error: (error.message, error.status_code, {"Content-Type": "text/plain; charset=utf-8"}),
    )


def _inline(opened):
    content, document = opened
    return download(content, mimetype=document.content_type, filename=document.original_filename, inline=True)


@bp.route("/<int:case_id>/documents/<int:document_id>/type", methods=["POST"])
@roles_required(*documents.MEDICAL_RECORD_ROLES)
def change_document_type(case_id: int, document_id: int):
    documents.get_document(case_id, document_id)  # another case's document is not found, whatever the form says
    form = DocumentTypeForm()
    if not form.validate_on_submit():
        return _refuse(case_id, form, _("The form was incomplete."))
    return commit_change(
        lambda: document_changes.change_document_type(case_id, document_id, form.document_type.data, current_user.id),
        success=lambda document: _(
            "“%(name)s” is now a %(type)s.",
            name=document.original_filename,
            type=_(document.type_label).lower(),
            label=_(document.type_label),
        ),
        target=url_for("cases.show_case", case_id=case_id, _anchor="documents"),
        on_refusal=lambda status: render_case_page(case_id, status),
    )


@bp.route("/<int:case_id>/documents/<int:document_id>/remove", methods=["POST"])
@roles_required(*documents.MEDICAL_RECORD_ROLES)
def remove_document(case_id: int, document_id: int):
    documents.get_document(case_id, document_id)  # another case's document is not found, whatever the form says
    form = DocumentRemoveForm()
    if not form.validate_on_submit():
        return _refuse(case_id, form, _("The form was incomplete."))
    return commit_change(
        lambda: document_changes.remove_document(case_id, document_id, form.reason.data, current_user.id),
        success=lambda document: _(
            "“%(name)s” was removed from the case (kept in the audit trail).", name=document.original_filename
        ),
        target=url_for("cases.show_case", case_id=case_id, _anchor="documents"),
        on_refusal=lambda status: render_case_page(case_id, status),
    )


# ---------------------------------------------------------------------------------------------- the patient's share


@bp.route("/<int:case_id>/documents/<int:document_id>/share", methods=["POST"])
@roles_required(*documents.MEDICAL_RECORD_ROLES)
def share_document(case_id: int, document_id: int):
    """Show the document to the patient in the portal (the CSRF token is checked for every POST by CSRFProtect)."""
    documents.get_document(case_id, document_id)  # another case's document is not found
    return change_case(
        case_id,
        lambda: document_sharing.share_document(case_id, document_id, current_user.id),
        lambda document: _("The patient now sees “%(name)s” in the portal.", name=document.original_filename),
        anchor="documents",
    )


@bp.route("/<int:case_id>/documents/<int:document_id>/unshare", methods=["POST"])
@roles_required(*documents.MEDICAL_RECORD_ROLES)
def stop_sharing_document(case_id: int, document_id: int):
    documents.get_document(case_id, document_id)  # another case's document is not found
    return change_case(
        case_id,
        lambda: document_sharing.stop_sharing(case_id, document_id, current_user.id),
        lambda document: _("“%(name)s” is no longer shown in the patient's portal.", name=document.original_filename),
        anchor="documents",
    )


@bp.route("/<int:case_id>/document-requests", methods=["POST"])
@roles_required(*documents.MEDICAL_RECORD_ROLES)
def ask_for_document(case_id: int):
    """Ask the patient for a document: it waits in their portal until they send a file for it."""
    form = DocumentRequestForm()
    if not form.validate_on_submit():
        return _refuse(case_id, form, _("Say which document the patient should send."), request_form=form)
    return change_case(
        case_id,
        lambda: document_sharing.ask_for_document(case_id, form.description.data, current_user.id),
        _("The patient is asked for the document in the portal."),
        anchor="documents",
        request_form=form,
    )


@bp.route("/<int:case_id>/document-requests/<int:request_id>/withdraw", methods=["POST"])
@roles_required(*documents.MEDICAL_RECORD_ROLES)
def withdraw_document_request(case_id: int, request_id: int):
    document_sharing.get_request(case_id, request_id)  # another case's request is not found
    return change_case(
        case_id,
        lambda: document_sharing.withdraw_request(case_id, request_id, current_user.id),
        _("The request was withdrawn; the patient no longer sees it."),
        anchor="documents",
    )
