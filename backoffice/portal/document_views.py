"""The patient's documents: those the coordinator shared (download), the open requests, and sending a file."""

from flask import flash, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from backoffice.auth.permissions import patient_required
from backoffice.cases.documents import upload_not_committed
from backoffice.config import settings
from backoffice.downloads import download
from backoffice.extensions import db
from backoffice.forms import form_errors
from backoffice.portal import bp
from backoffice.portal import documents as portal_documents
from backoffice.portal.forms import PatientDocumentForm
from backoffice.portal.own_cases import own_cases
from backoffice.transactions import commit_change


@bp.route("/documents")
@patient_required
def list_documents():
    return _documents_page(None)


@bp.route("/cases/<int:case_id>/documents")
@patient_required
def list_case_documents(case_id: int):
    return _documents_page(case_id)


def _documents_page(case_id: int | None, status: int = 200, form: PatientDocumentForm | None = None, request_id=None):
    cases = own_cases(current_user.id, case_id)  # another patient's case: NotYours, the portal's one 404
    listed = portal_documents.documents_of(cases.shown.id, user_id=current_user.id) if cases.shown else None
    return render_template(
        "portal/documents.html",
        cases=cases,
        listed=listed,
        form=form or PatientDocumentForm(formdata=None),
        failed_request_id=request_id,
        max_mb=settings().max_document_mb,
    ), status


@bp.route("/documents/<int:document_id>")
@patient_required
def download_document(document_id: int):
    content, document = portal_documents.open_shared_document(document_id, user_id=current_user.id)
    db.session.commit()  # the download's audit row
    return download(content, mimetype=document.content_type, filename=document.original_filename)


@bp.route("/cases/<int:case_id>/documents", methods=["POST"])
@patient_required
def send_document(case_id: int):
    own_cases(current_user.id, case_id)  # another patient's case: the one 404, whatever the form holds
    return _send(case_id, None)


@bp.route("/requests/<int:request_id>", methods=["POST"])
@patient_required
def send_requested_document(request_id: int):
    request = portal_documents.own_request(request_id, user_id=current_user.id)  # not theirs: the one 404
    return _send(request.case_id, request_id)


def _send(case_id: int, request_id: int | None):
    form = PatientDocumentForm()
    if not form.validate_on_submit():
        flash(next(iter(form_errors(form)), _("The upload was incomplete.")), "error")
        return _documents_page(case_id, 422, form, request_id)
    return commit_change(
        lambda: portal_documents.send_document(
            current_user.id, form.file.data, form.description.data, case_id=case_id, request_id=request_id
        ),
        success=lambda document: _(
            "Thank you: “%(name)s” has reached your coordinator.", name=document.original_filename
        ),
        target=url_for("portal.list_case_documents", case_id=case_id),
        on_refusal=lambda status: _documents_page(case_id, status, form, request_id),
        on_failed_commit=upload_not_committed,
    )
