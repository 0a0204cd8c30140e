"""The patient's documents in the portal: what the coordinator shared with them (to download), what the coordinator
asked them for, and the files they send (for a request, or of their own accord).

A patient reaches only the shared, not removed documents and the requests of their own cases; anything else is the
one `NotYours` 404. A file the patient sends is filed on the case by `cases.document_sharing` under the checks of every
upload (type by content, size, not on a closed case); the case's coordinator is notified.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from backoffice.cases import document_sharing, documents
from backoffice.cases.models import Case, CaseDocument, DocumentRequest
from backoffice.extensions import db
from backoffice.notifications.operations import notify_case, path_for
from backoffice.patients.models import Patient
from backoffice.portal.own_cases import NotYours, own_cases


@dataclass(frozen=True)
class CaseDocuments:
    shared: list[CaseDocument]
    requests: list[DocumentRequest]
    sent: list[CaseDocument]  # what the patient sent, newest first


def documents_of(case_id: int, *, user_id: int) -> CaseDocuments:
    """What the documents page lists for one of the patient's cases (three statements)."""
    sent = db.session.scalars(
        select(CaseDocument)
        .where(
            CaseDocument.case_id == case_id,
            CaseDocument.uploaded_by_id == user_id,
            CaseDocument.removed_at.is_(None),
        )
        .order_by(CaseDocument.uploaded_at.desc(), CaseDocument.id.desc())
    )
    return CaseDocuments(
        shared=document_sharing.shared_documents([case_id]),
        requests=document_sharing.open_requests([case_id]),
        sent=list(sent),
    )


def _owned_by(user_id: int, model, object_id: int, *conditions):
    """A row of `model` on one of the user's cases, meeting `conditions`; NotYours otherwise."""
    row = db.session.scalar(
        select(model)
        .join(Case, Case.id == model.case_id)
        .join(Patient, Patient.id == Case.patient_id)
        .where(model.id == object_id, Patient.user_id == user_id, *conditions)
    )
    if row is None:
        raise NotYours(user_id=user_id, object_type=model.__tablename__, object_id=object_id)
    return row


def open_shared_document(document_id: int, *, user_id: int) -> tuple[bytes, CaseDocument]:
    """The file of a document shared with the patient, for download; the read is audited like a staff download."""
    document = _owned_by(
        user_id, CaseDocument, document_id, CaseDocument.shared_at.is_not(None), CaseDocument.removed_at.is_(None)
    )
    return documents.open_document(document.case_id, document.id, user_id)


def own_request(request_id: int, *, user_id: int) -> DocumentRequest:
    """A document request of one of the patient's cases (open or not: the upload says when it is no longer open)."""
    return _owned_by(user_id, DocumentRequest, request_id)


def send_document(
    user_id: int,
    file_storage: FileStorage | None,
    description: str,
    *,
    case_id: int | None = None,
    request_id: int | None = None,
) -> CaseDocument:
    """The patient sends a file: for a request of theirs, or to one of their cases. Filed on the case with the patient
    as its uploader (the request fulfilled), the case's coordinator notified; flushes, the caller commits."""
    if request_id is not None:
        case_id = own_request(request_id, user_id=user_id).case_id
    case = own_cases(user_id, case_id).shown
    document = document_sharing.store_patient_upload(case.id, file_storage, description, user_id, request_id=request_id)
    notify_case(
        "patient_upload",
        case,
        key=f"document:{document.id}",
        link=path_for("cases.show_case", case_id=case.id) + "#documents",
        everyone_if_unassigned=True,
    )
    return document
