"""The case page as coordinators, finance and patients use it."""

import html
from datetime import date

from sqlalchemy import func, select

from backoffice.cases import operations, reminders
from backoffice.cases.models import Case, CaseDocument, CaseNote
from backoffice.extensions import db
from backoffice.patients.models import Patient
from tests.factories import make_case, make_programme


def reload(case_id):
    db.session.expire_all()
    return operations.get_case(case_id)


def test_coordinator_sees_the_case_with_its_next_steps(as_role, users):
    case = make_case(requested_treatment="Stem cell therapy for type 1 diabetes")
    db.session.commit()
    page = as_role("coordinator").get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.number in page and "Stem cell therapy for type 1 diabetes" in page
    assert "Move to Contacted" in page and "Assign a personal medical coordinator" in page
    assert "Take this case" in page


def test_a_coordinator_takes_a_new_case_and_records_the_first_contact_from_its_page(as_role, users):
    case = make_case()
    db.session.commit()
    client = as_role("coordinator")
    assert client.post(f"/cases/{case.id}/take", data={"version": case.version}).status_code == 302
    case = reload(case.id)
    assert case.coordinator_id == users["coordinator"].id
    response = client.post(
        f"/cases/{case.id}/transition", data={"to_state": "contacted", "note": "Called", "version": case.version}
    )
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{case.id}"
    case = reload(case.id)
    assert case.state == "contacted" and case.first_response_at is not None
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "The case is now: Contacted." in page


def test_a_refused_transition_explains_why_and_changes_nothing(as_role, users):
    case = make_case()
    db.session.commit()
    response = as_role("coordinator").post(
        f"/cases/{case.id}/transition", data={"to_state": "contacted", "version": case.version}
    )
    assert response.status_code == 422
    assert "Assign a personal medical coordinator" in response.get_data(as_text=True)
    assert reload(case.id).state == "new"


def test_a_stale_page_is_told_the_case_changed(as_role, users):
    case = make_case(coordinator=users["coordinator"])
    db.session.commit()
    client = as_role("coordinator")
    stale = case.version
    client.post(f"/cases/{case.id}/transition", data={"to_state": "contacted", "version": stale})
    response = client.post(f"/cases/{case.id}/transition", data={"to_state": "on_hold", "note": "x", "version": stale})
    assert response.status_code == 409
    assert "changed by someone else" in response.get_data(as_text=True)
    assert reload(case.id).state == "contacted"


def test_bad_transition_input_is_a_4xx(as_role, users):
    case = make_case()
    db.session.commit()
    client = as_role("coordinator")
    for data in (
        {},
        {"to_state": "contacted"},
        {"to_state": "x" * 50, "version": 1},
        {"to_state": "contacted", "version": "abc"},
        {"to_state": "nirvana", "version": case.version},
    ):
        assert client.post(f"/cases/{case.id}/transition", data=data).status_code in (400, 422), data
    assert client.post("/cases/424242/transition", data={"to_state": "contacted", "version": 1}).status_code == 404
    assert reload(case.id).state == "new"


def test_programme_and_screening_through_the_page(as_role, users):
    programme = make_programme()
    case = make_case(state="records_review", coordinator=users["coordinator"])
    db.session.commit()
    client = as_role("coordinator")
    bad = client.post(
        f"/cases/{case.id}/programme", data={"programme_id": "", "physician_id": "", "version": case.version}
    )
    assert bad.status_code == 422 and "Choose a programme." in bad.get_data(as_text=True)
    response = client.post(
        f"/cases/{case.id}/programme",
        data={"programme_id": programme.id, "physician_id": "", "version": case.version},
    )
    assert response.status_code == 302
    case = reload(case.id)
    assert case.programme_id == programme.id
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Pregnancy" in page
    answers = {f"answer_{a.id}": "yes" if a.question == "Lactation" else "no" for a in case.screening}
    assert client.post(f"/cases/{case.id}/screening", data={**answers, "version": case.version}).status_code == 302
    case = reload(case.id)
    lactation = next(a for a in case.screening if a.question == "Lactation")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "record the physician's clearance" in html.unescape(page)
    clearance = CaseDocument(
        case_id=case.id,
        uploaded_by_id=users["coordinator"].id,
        original_filename="clearance.pdf",
        stored_name="c" * 32,
        content_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
        document_type="clearance",
    )
    db.session.add(clearance)
    db.session.commit()
    resolved = client.post(
        f"/cases/{case.id}/screening/resolve",
        data={
            "clearance_document_id": clearance.id,
            "answer_id": lactation.id,
            "resolution": "end of lactation",
            "resolved_on": date.today().isoformat(),
            "version": case.version,
        },
    )
    assert resolved.status_code == 302
    assert reload(case.id).screening[2].resolved_on == date.today()


def test_notes_and_reminders_added_on_the_page_are_shown_escaped_and_an_empty_note_is_refused(as_role, users):
    case = make_case(coordinator=users["coordinator"])
    db.session.commit()
    client = as_role("coordinator")
    assert (
        client.post(
            f"/cases/{case.id}/notes",
            data={
                "kind": "message",
                "channel": "whatsapp",
                "direction": "inbound",
                "counterpart": "patient",
                "body": "Sent her MRI <b>today</b>",
            },
        ).status_code
        == 302
    )
    assert client.post(f"/cases/{case.id}/notes", data={"kind": "internal", "body": ""}).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(CaseNote)) == 1
    response = client.post(f"/cases/{case.id}/reminders", data={"due_on": "2030-01-15", "text": "Call the hospital"})
    assert response.status_code == 302
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Sent her MRI &lt;b&gt;today&lt;/b&gt;" in page and "2030-01-15" in page
    bad_date = client.post(f"/cases/{case.id}/reminders", data={"due_on": "15/01/2030", "text": "x"})
    assert bad_date.status_code == 422


def test_a_call_with_the_physician_is_logged_and_shown_on_the_timeline(as_role, users):
    case = make_case(coordinator=users["coordinator"])
    db.session.commit()
    client = as_role("coordinator")
    form = {"kind": "message", "channel": "phone", "direction": "outbound", "counterpart": "physician"}
    assert client.post(f"/cases/{case.id}/notes", data={**form, "body": "Dr. Berg agrees to review"}).status_code == 302
    note = db.session.scalar(select(CaseNote))
    assert (note.counterpart, note.channel) == ("physician", "phone")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Message to physician by phone" in page and "Dr. Berg agrees to review" in page
    unknown = client.post(f"/cases/{case.id}/notes", data={**form, "counterpart": "pharmacist", "body": "x"})
    assert unknown.status_code == 422


def test_finance_reads_the_case_without_medical_details(as_role, users):
    case = make_case(
        message="Diagnosed with T1D in 2019; HbA1c 8.1",
        state="contacted",
        coordinator=users["coordinator"],
        requested_treatment="Stem cells for type 1 diabetes",
    )
    reminders.add_reminder(  # made while the case ran: a cancelled case takes no new reminder
        case.id, due_on=date(2031, 1, 1), text="Ask about the HIV test", actor_id=users["coordinator"].id
    )
    operations.transition(case.id, "cancelled", actor_id=users["coordinator"].id, note="Patient is pregnant")
    db.session.commit()
    client = as_role("finance")
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert case.number in page and "Move to" not in page
    for secret in ("HbA1c", "pregnant", "HIV", "type 1 diabetes"):
        assert secret not in page, secret
    listing = client.get("/cases/").get_data(as_text=True)
    assert case.number in listing and "HIV" not in listing and "type 1 diabetes" not in listing
    assert client.post(f"/cases/{case.id}/take", data={"version": case.version}).status_code == 403


def test_patients_and_anonymous_cannot_open_cases(client, as_role, users):
    case = make_case()
    db.session.commit()
    assert client.get(f"/cases/{case.id}").status_code == 302
    assert as_role("patient").get(f"/cases/{case.id}").status_code == 403


def test_unknown_case_is_a_404(as_role, users):
    client = as_role("coordinator")
    assert client.get("/cases/999999").status_code == 404
    assert client.get("/cases/abc").status_code == 404


def test_coordinator_opens_a_case_from_a_phone_call(as_role, users):
    client = as_role("coordinator")
    assert client.get("/cases/new").status_code == 200
    response = client.post(
        "/cases/new",
        data={
            "name": "Omar Haddad",
            "email": "omar@example.org",
            "phone": "+971 50 123 4567",
            "country": "AE",
            "preferred_language": "ar",
            "requested_treatment": "Knee replacement",
            "destination_country": "DE",
            "message": "Prefers a hospital near Frankfurt",
            "source": "phone",
            "consent": "y",
        },
    )
    assert response.status_code == 302
    case = db.session.scalar(select(Case))
    assert case.source == "phone" and case.state == "new" and case.health_data_consent_at is not None


def test_a_phone_case_without_consent_is_refused_and_stores_nothing(as_role, users):
    response = as_role("coordinator").post(
        "/cases/new",
        data={
            "name": "Omar Haddad",
            "email": "omar@example.org",
            "country": "AE",
            "preferred_language": "ar",
            "requested_treatment": "Knee replacement",
            "destination_country": "",
            "source": "phone",
        },
    )
    assert response.status_code == 422 and "consent" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Patient)) == 0
