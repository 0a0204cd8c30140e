"""The case's documents and the patient: what the coordinator shares with them (the portal lists it), and what the
coordinator asks them for (a document request the patient answers by uploading a file in the portal).

Sharing is a flag on the document, set and cleared by coordinators and administrators, each time on the case's
timeline and in the audit log. A request stays open until the patient uploads a file for it (the upload is filed on
the case like a staff upload, under the same checks) or the coordinator withdraws it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from backoffice.cases import states
from backoffice.cases.documents import MAX_DESCRIPTION_LENGTH, DocumentError, get_document, store_document
from backoffice.cases.models import CaseDocument, DocumentRequest
from backoffice.cases.operations import get_case, record_case_event
from backoffice.dbtypes import utcnow
from backoffice.errors import NotFound
from backoffice.extensions import db
from backoffice.text import clean_line


def share_document(case_id: int, document_id: int, actor_id: int) -> CaseDocument:
    """Show a document of the case to its patient in the portal (to read and download); a removed one is not
    found. Flushes; the caller commits."""
    document = get_document(case_id, document_id)
    if document.shared_at is not None:
        raise DocumentError(_("“%(name)s” is shared with the patient already.", name=document.original_filename))
    document.shared_at, document.shared_by_id = utcnow(), actor_id
    db.session.flush()
    record_case_event(
        get_case(case_id),
        "document_shared",
        actor_id,
        note=f"Shared {document.original_filename} with the patient",
        audit={"document_id": document.id, "filename": document.original_filename, "sha256": document.sha256},
    )
    return document


def stop_sharing(case_id: int, document_id: int, actor_id: int) -> CaseDocument:
    """Take a document out of the patient's portal again (it stays on the case). Flushes; the caller commits."""
    document = get_document(case_id, document_id)
    if document.shared_at is None:
        raise DocumentError(_("“%(name)s” is not shared with the patient.", name=document.original_filename))
    document.shared_at, document.shared_by_id = None, None
    db.session.flush()
    record_case_event(
        get_case(case_id),
        "document_unshared",
        actor_id,
        note=f"Stopped sharing {document.original_filename} with the patient",
        audit={"document_id": document.id, "filename": document.original_filename},
    )
    return document


def ask_for_document(case_id: int, description: str, actor_id: int) -> DocumentRequest:
    """Ask the patient for a document ("your latest blood test"): it waits in their portal until they upload a file
    for it. Not on a closed or cancelled case (it takes no more documents). Flushes; the caller commits."""
    case = get_case(case_id)
    if case.state in states.FINAL:
        raise DocumentError(
            _(
                "Case %(number)s is %(state)s; the patient cannot send documents to it.",
                number=case.number,
                state=states.shown(case.state).lower(),
                label=states.shown(case.state),
            )
        )
    description = " ".join(clean_line(description or "").split())
    if not description:
        raise DocumentError(_("Say which document the patient should send."))
    if len(description) > MAX_DESCRIPTION_LENGTH:
        raise DocumentError(_("Keep the description under %(max)s characters.", max=MAX_DESCRIPTION_LENGTH))
    request = DocumentRequest(case_id=case.id, description=description, requested_by_id=actor_id)
    db.session.add(request)
    db.session.flush()
    record_case_event(
        case,
        "document_requested",
        actor_id,
        note=f"Asked the patient for: {description}",
        audit={"request_id": request.id, "description": description},
    )
    return request


def get_request(case_id: int, request_id: int) -> DocumentRequest:
    """One document request of the case; 404 for another case's."""
    request = db.session.scalar(
        select(DocumentRequest).where(DocumentRequest.id == request_id, DocumentRequest.case_id == case_id)
    )
    if request is None:
        raise NotFound(_("There is no such document request on this case."))
    return request


def withdraw_request(case_id: int, request_id: int, actor_id: int) -> DocumentRequest:
    """The coordinator no longer needs the document: the request leaves the patient's portal. Flushes."""
    request = get_request(case_id, request_id)
    if not request.is_open:
        raise DocumentError(_("This request is no longer open: the patient answered it or it was withdrawn."))
    request.withdrawn_at = utcnow()
    db.session.flush()
    record_case_event(
        get_case(case_id),
        "document_request_withdrawn",
        actor_id,
        note=f"Withdrew the request for: {request.description}",
        audit={"request_id": request.id},
    )
    return request


def open_requests(case_ids: list[int]) -> list[DocumentRequest]:
    """The open document requests of these cases, oldest first (one statement)."""
    return list(
        db.session.scalars(
            select(DocumentRequest)
            .where(
                DocumentRequest.case_id.in_(case_ids),
                DocumentRequest.fulfilled_at.is_(None),
                DocumentRequest.withdrawn_at.is_(None),
            )
            .order_by(DocumentRequest.requested_at, DocumentRequest.id)
        )
    )


def shared_documents(case_ids: list[int]) -> list[CaseDocument]:
    """The documents shared with the patient of these cases and not removed, newest first (one statement)."""
    return list(
        db.session.scalars(
            select(CaseDocument)
            .where(
                CaseDocument.case_id.in_(case_ids),
                CaseDocument.shared_at.is_not(None),
                CaseDocument.removed_at.is_(None),
            )
            .order_by(CaseDocument.shared_at.desc(), CaseDocument.id.desc())
        )
    )


def store_patient_upload(
    case_id: int, file_storage: FileStorage | None, description: str, actor_id: int, *, request_id: int | None = None
) -> CaseDocument:
    """A file the patient sends from the portal, filed on the case as a medical record under the checks of every
    upload (type by content, size, not on a closed case); with `request_id`, it answers that open request of the
    case, which is then fulfilled. Flushes; the caller commits (and removes the file if the commit fails)."""
    request = get_request(case_id, request_id) if request_id is not None else None
    if request is not None and not request.is_open:
        raise DocumentError(_("This request is no longer open: the patient answered it or it was withdrawn."))
    document = store_document(
        case_id,
        file_storage,
        description or (request.description if request else ""),
        actor_id,
        request_id=request_id,
        verb="The patient uploaded",
    )
    if request is not None:
        request.fulfilled_at = document.uploaded_at or utcnow()
        db.session.flush()
    return document
