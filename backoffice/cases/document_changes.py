"""What coordinators change on a case's documents once uploaded: the type (what the document is) and its removal.

A removed document keeps its row and its file for the audit trail; lists no longer show it and nothing may rest on
it. A physician's clearance a resolved contraindication rests on stays a clearance and stays on the case.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from backoffice.auth.models import User
from backoffice.auth.permissions import ADMIN
from backoffice.cases import states
from backoffice.cases.documents import DocumentError, check_document_type, get_document
from backoffice.cases.models import DOCUMENT_TYPES, CaseDocument, ScreeningAnswer
from backoffice.cases.operations import get_case, record_case_event
from backoffice.dbtypes import utcnow
from backoffice.extensions import db

MAX_REMOVAL_REASON_LENGTH = 500


def _clearance_in_force(document: CaseDocument) -> ScreeningAnswer | None:
    """The resolved contraindication that rests on this clearance, if any (it would lose its basis)."""
    return db.session.scalar(
        select(ScreeningAnswer).where(
            ScreeningAnswer.clearance_document_id == document.id,
            ScreeningAnswer.answer == "yes",
            ScreeningAnswer.resolved_on.is_not(None),
        )
    )


def types_changeable(case) -> bool:
    """Whether a document's type may still be corrected: not once the case is closed or cancelled."""
    return case.state not in states.FINAL


def may_remove_documents(case, role: str | None) -> bool:
    """Who may take a document off the case: anyone working it while it runs; once it is closed or cancelled, only an
    administrator (a data-protection request), always with a reason."""
    return case.state not in states.FINAL or role == ADMIN


def change_document_type(case_id: int, document_id: int, document_type: str, actor_id: int) -> CaseDocument:
    """Correct what a document is. A clearance a resolved contraindication rests on stays a clearance; the documents
    of a closed or cancelled case keep their types."""
    document = get_document(case_id, document_id)
    case = get_case(case_id)
    if not types_changeable(case):
        raise DocumentError(
            _(
                "Case %(number)s is %(state)s; its documents keep the types they have.",
                number=case.number,
                state=states.shown(case.state).lower(),
                label=states.shown(case.state),
            )
        )
    document_type = check_document_type(document_type)
    if document.document_type == document_type:
        raise DocumentError(
            _(
                "“%(name)s” is already a %(type)s.",
                name=document.original_filename,
                type=_(document.type_label).lower(),
                label=_(document.type_label),
            )
        )
    if (answer := _clearance_in_force(document)) is not None:
        raise DocumentError(
            _(
                "“%(name)s” is the physician's clearance of “%(question)s”; it stays a clearance.",
                name=document.original_filename,
                question=answer.question,
            )
        )
    before = document.document_type
    document.document_type = document_type
    db.session.flush()
    record_case_event(
        case,
        "document",
        actor_id,
        note=f"{document.original_filename}: {DOCUMENT_TYPES[before].lower()} → {document.type_label.lower()}",
        audit={"document_id": document.id, "from_type": before, "to_type": document_type},
    )
    return document


def remove_document(case_id: int, document_id: int, reason: str, actor_id: int) -> CaseDocument:
    """Take a document off the case (uploaded to the wrong case, a duplicate, unreadable): who, when and why.

    The row and the file stay for the audit trail; lists hide it and it can no longer be a prescription or a
    clearance. A clearance a resolved contraindication rests on cannot be removed. On a closed or cancelled case
    only an administrator removes a document (a data-protection request), with the reason.
    """
    document = get_document(case_id, document_id)
    case = get_case(case_id)
    actor = db.session.get(User, actor_id)
    if not may_remove_documents(case, actor.role if actor else None):
        raise DocumentError(
            _(
                "Case %(number)s is %(state)s; only an administrator can remove its documents (for a "
                "data-protection request).",
                number=case.number,
                state=states.shown(case.state).lower(),
                label=states.shown(case.state),
            )
        )
    reason = " ".join((reason or "").split())
    if not reason:
        raise DocumentError(_("Say why the document is removed."))
    if len(reason) > MAX_REMOVAL_REASON_LENGTH:
        raise DocumentError(_("Keep the reason under %(max)s characters.", max=MAX_REMOVAL_REASON_LENGTH))
    if (answer := _clearance_in_force(document)) is not None:
        raise DocumentError(
            _(
                "“%(name)s” is the physician's clearance of “%(question)s”; it cannot be removed while that "
                "resolution stands.",
                name=document.original_filename,
                question=answer.question,
            )
        )
    document.removed_at, document.removed_by_id, document.removal_reason = utcnow(), actor_id, reason
    db.session.flush()
    record_case_event(
        case,
        "document_removed",
        actor_id,
        note=f"Removed {document.original_filename} ({document.type_label.lower()}): {reason}",
        audit={"document_id": document.id, "filename": document.original_filename, "sha256": document.sha256},
    )
    return document
