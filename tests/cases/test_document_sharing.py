"""Coordinators share a case's document with the patient (and stop), ask the patient for a document (and withdraw
the request), from the case page; each change is on the timeline and in the audit log."""

from sqlalchemy import select

from backoffice.cases import document_sharing, documents
from backoffice.cases.models import CaseDocument, DocumentRequest
from backoffice.extensions import db
from backoffice.trail import AuditEvent
from tests.cases.test_documents import PDF, archive, committed_case  # noqa: F401  (the archive fixture)


def a_document(case, user, name="offer.pdf"):
    document = documents.store_bytes(case.id, name, PDF, description="", actor_id=user.id, document_type="letter")
    db.session.commit()
    return document


def audited(action):
    db.session.expire_all()
    return db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)).all()


def test_sharing_a_document_shows_it_to_the_patient_and_is_audited(as_role, users):
    case = committed_case(coordinator=users["coordinator"])
    document = a_document(case, users["coordinator"])
    client = as_role("coordinator")
    response = client.post(f"/cases/{case.id}/documents/{document.id}/share")
    assert response.status_code == 302
    db.session.expire_all()
    shared = db.session.get(CaseDocument, document.id)
    assert shared.shared_at is not None and shared.shared_by_id == users["coordinator"].id
    [event] = audited("case_document_shared")
    assert event.actor_id == users["coordinator"].id and event.details["document_id"] == document.id
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "shared with the patient" in page and "Stop sharing" in page


def test_stopping_the_share_takes_the_document_out_of_the_portal(as_role, users):
    case = committed_case(coordinator=users["coordinator"])
    document = a_document(case, users["coordinator"])
    document_sharing.share_document(case.id, document.id, users["coordinator"].id)
    db.session.commit()
    assert as_role("coordinator").post(f"/cases/{case.id}/documents/{document.id}/unshare").status_code == 302
    db.session.expire_all()
    assert db.session.get(CaseDocument, document.id).shared_at is None
    assert len(audited("case_document_unshared")) == 1


def test_sharing_twice_or_unsharing_an_unshared_document_is_refused(as_role, users):
    case = committed_case(coordinator=users["coordinator"])
    document = a_document(case, users["coordinator"])
    client = as_role("coordinator")
    assert client.post(f"/cases/{case.id}/documents/{document.id}/unshare").status_code == 422
    client.post(f"/cases/{case.id}/documents/{document.id}/share")
    again = client.post(f"/cases/{case.id}/documents/{document.id}/share")
    assert again.status_code == 422 and "shared with the patient already" in again.get_data(as_text=True)


def test_another_cases_document_or_request_is_not_found_under_this_case(as_role, users):
    mine, other = committed_case(), committed_case()
    document = a_document(other, users["coordinator"])
    request = document_sharing.ask_for_document(other.id, "Blood test", users["coordinator"].id)
    db.session.commit()
    client = as_role("coordinator")
    assert client.post(f"/cases/{mine.id}/documents/{document.id}/share").status_code == 404
    assert client.post(f"/cases/{mine.id}/documents/{document.id}/unshare").status_code == 404
    assert client.post(f"/cases/{mine.id}/document-requests/{request.id}/withdraw").status_code == 404
    db.session.expire_all()
    assert db.session.get(CaseDocument, document.id).shared_at is None
    assert db.session.get(DocumentRequest, request.id).is_open


def test_asking_the_patient_for_a_document_lists_the_request_and_is_audited(as_role, users):
    case = committed_case(coordinator=users["coordinator"])
    client = as_role("coordinator")
    response = client.post(f"/cases/{case.id}/document-requests", data={"description": "Latest HbA1c\r\nresults"})
    assert response.status_code == 302
    db.session.expire_all()
    [request] = db.session.scalars(select(DocumentRequest)).all()
    assert request.description == "Latest HbA1c results" and request.requested_by_id == users["coordinator"].id
    assert len(audited("case_document_requested")) == 1
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Latest HbA1c results" in page and "Withdraw" in page


def test_a_request_needs_its_description(as_role, users):
    case = committed_case(coordinator=users["coordinator"])
    response = as_role("coordinator").post(f"/cases/{case.id}/document-requests", data={"description": "  "})
    assert response.status_code == 422 and "Say which document" in response.get_data(as_text=True)
    assert db.session.scalars(select(DocumentRequest)).all() == []


def test_a_closed_case_asks_the_patient_for_nothing(as_role, users):
    case = committed_case(coordinator=users["coordinator"], state="closed")
    response = as_role("coordinator").post(f"/cases/{case.id}/document-requests", data={"description": "Scan"})
    assert response.status_code == 422 and "cannot send documents" in response.get_data(as_text=True)


def test_withdrawing_a_request_takes_it_out_of_the_portal(as_role, users):
    case = committed_case(coordinator=users["coordinator"])
    request = document_sharing.ask_for_document(case.id, "Scan of the passport", users["coordinator"].id)
    db.session.commit()
    client = as_role("coordinator")
    assert client.post(f"/cases/{case.id}/document-requests/{request.id}/withdraw").status_code == 302
    db.session.expire_all()
    assert db.session.get(DocumentRequest, request.id).withdrawn_at is not None
    assert document_sharing.open_requests([case.id]) == []
    assert client.post(f"/cases/{case.id}/document-requests/{request.id}/withdraw").status_code == 422


def test_finance_neither_shares_nor_asks(as_role, users):
    case = committed_case(coordinator=users["coordinator"])
    document = a_document(case, users["coordinator"])
    client = as_role("finance")
    assert client.post(f"/cases/{case.id}/documents/{document.id}/share").status_code == 403
    assert client.post(f"/cases/{case.id}/document-requests", data={"description": "x"}).status_code == 403
