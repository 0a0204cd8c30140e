"""Uploading medical records to a case and downloading them; coordinators and administrators only."""

import contextlib

from flask import flash, redirect, url_for
from flask_login import current_user
from sqlalchemy.exc import InterfaceError, OperationalError

from backoffice.audit.reads import reads_health_data
from backoffice.auth.permissions import roles_required
from backoffice.cases import bp, documents
from backoffice.cases.document_forms import DocumentUploadForm
from backoffice.cases.views import render_case_page
from backoffice.downloads import download_stored_file
from backoffice.errors import DomainError
from backoffice.extensions import db

# A downloaded record is shown by nothing of ours: it must not run as a page of this site if a browser opens it.


@bp.route("/<int:case_id>/documents", methods=["POST"])
@roles_required(*documents.MEDICAL_RECORD_ROLES)
def upload_document(case_id: int):
    form = DocumentUploadForm()
    if not form.validate_on_submit():
        message = next(iter(error for errors in form.errors.values() for error in errors), None)
        flash(message or "The upload was incomplete.", "error")
        return render_case_page(case_id, 422, upload_form=form)
    try:
        document = documents.store_document(case_id, form.file.data, form.description.data, current_user.id)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return render_case_page(case_id, error.status_code, upload_form=form)
    try:
        db.session.flush()  # a failure here surely stored nothing: the file goes
    except Exception:
        db.session.rollback()
        documents.discard_stored_file(document)
        raise
    try:
        db.session.commit()
    except (OperationalError, InterfaceError):
        # The COMMIT itself was cut off (the database went away): it may have been stored, so the file stays (an
        # unused one has a random name and nothing serves it); the 503 page asks to check and try again.
        with contextlib.suppress(Exception):
            db.session.rollback()
        raise
    except Exception:
        db.session.rollback()
        documents.discard_stored_file(document)
        raise
    flash(f"“{document.original_filename}” was added to the case's medical records.", "success")
    return redirect(url_for("cases.show_case", case_id=case_id))


@bp.route("/<int:case_id>/documents/<int:document_id>")
@roles_required(*documents.MEDICAL_RECORD_ROLES)
@reads_health_data(case_arg="case_id")
def download_document(case_id: int, document_id: int):
    path, document = documents.open_document(case_id, document_id, current_user.id)
    db.session.commit()  # the download's audit row
    return download_stored_file(path, mimetype=document.content_type, filename=document.original_filename)
