"""A closed or cancelled case: the page offers only what its operations still accept, and they refuse the rest."""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from backoffice.cases import reminders
from backoffice.cases.models import CaseDocument, Reminder
from backoffice.cases.operations import blockers, get_case
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from tests.factories import make_case, make_patient
from tests.helpers import change_settings, login_as

PDF = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def archive(app, tmp_path, monkeypatch):
    """Each test gets its own empty document archive."""
    folder = tmp_path / "documents"
    change_settings(monkeypatch, app, case_documents_dir=str(folder))
    return folder


def case_with_a_record(client, users, state: str = "contacted"):
    """A case with one uploaded medical record, then moved to `state` directly (as the pipeline would have)."""
    case = make_case(state="contacted", coordinator=users["coordinator"], patient=make_patient(email="p@test.example"))
    db.session.commit()
    response = client.post(
        f"/cases/{case.id}/documents",
        data={"file": (BytesIO(PDF), "mri.pdf"), "description": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    db.session.expire_all()
    document = db.session.scalar(select(CaseDocument).where(CaseDocument.case_id == case.id))
    stored = get_case(case.id)
    stored.state = state
    if state == "cancelled":
        stored.cancel_reason = "The patient chose another clinic"
    db.session.commit()
    return stored, document


def page_of(client, case) -> str:
    response = client.get(f"/cases/{case.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_a_closed_case_offers_and_accepts_no_new_reminder(as_role, users, state):
    client = as_role("coordinator")
    case, _ = case_with_a_record(client, users, state)

    page = page_of(client, case)
    assert "Add reminder" not in page and f'action="/cases/{case.id}/reminders"' not in page
    assert "it takes no new reminders" in page
    response = client.post(
        f"/cases/{case.id}/reminders",
        data={"due_on": (utcnow().date() + timedelta(days=1)).isoformat(), "text": "Call the patient"},
    )

    assert response.status_code == 422
    assert "takes no new reminders" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Reminder).where(Reminder.case_id == case.id)) == 0


def test_an_open_reminder_of_a_closed_case_can_still_be_marked_done(as_role, users):
    client = as_role("coordinator")
    case, _ = case_with_a_record(client, users, "aftercare")
    reminder = reminders.add_reminder(
        case.id, due_on=utcnow().date(), text="Ask for the lab results", actor_id=users["coordinator"].id
    )
    get_case(case.id).state = "closed"
    db.session.commit()

    page = page_of(client, case)
    assert "Mark done: Ask for the lab results" in page
    response = client.post(f"/cases/{case.id}/reminders/{reminder.id}/done")

    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Reminder, reminder.id).state == "done"


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_the_documents_of_a_closed_case_keep_their_type(as_role, users, state):
    client = as_role("coordinator")
    case, document = case_with_a_record(client, users, state)

    page = page_of(client, case)
    assert f"/documents/{document.id}/type" not in page
    response = client.post(f"/cases/{case.id}/documents/{document.id}/type", data={"document_type": "passport_visa"})

    assert response.status_code == 422
    assert "its documents keep the types they have" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CaseDocument, document.id).document_type == "medical_record"


@pytest.mark.parametrize("state", ["closed", "cancelled"])
def test_only_an_admin_removes_a_document_of_a_closed_case(as_role, users, state, app):
    client = as_role("coordinator")
    case, document = case_with_a_record(client, users, state)
    remove_url = f"/cases/{case.id}/documents/{document.id}/remove"

    assert remove_url not in page_of(client, case)
    response = client.post(remove_url, data={"reason": "Uploaded to the wrong case"})
    assert response.status_code == 422
    assert "only an administrator can remove its documents" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(CaseDocument, document.id).removed_at is None

    admin = app.test_client()
    login_as(admin, users["admin"])
    assert remove_url in page_of(admin, case)
    assert admin.post(remove_url, data={"reason": ""}).status_code == 422  # still with a reason
    response = admin.post(remove_url, data={"reason": "Data-protection request of the patient"})
    assert response.status_code == 302
    db.session.expire_all()
    removed = db.session.get(CaseDocument, document.id)
    assert (removed.removed_by_id, removed.removal_reason) == (
        users["admin"].id,
        "Data-protection request of the patient",
    )


def test_a_case_in_records_review_without_a_record_is_asked_to_finish_the_review(as_role, users):
    client = as_role("coordinator")
    case, document = case_with_a_record(client, users, "records_review")
    client.post(f"/cases/{case.id}/documents/{document.id}/remove", data={"reason": "Another patient's scan"})

    db.session.expire_all()
    message = "Upload at least one medical record to finish the records review."
    assert blockers(get_case(case.id), "programme_offered")[:1] == [message]
    page = page_of(client, case)
    assert message in page
    assert "before the records review" not in page
