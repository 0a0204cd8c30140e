"""An erased patient's cases: in no case list or search, whoever looks; their page for finance and administrators
only, under the restriction banner and read-only; their state, documents and messages changed by nobody."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from werkzeug.datastructures import FileStorage

from backoffice.cases import documents, operations
from backoffice.cases.listing import CaseFilters, count_overdue, search_cases
from backoffice.cases.models import Case
from backoffice.cases.opening import patients_sharing_contact
from backoffice.cases.sla import sla_alerts
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.messages.compose import compose_message
from backoffice.patients.models import Patient
from backoffice.patients.restriction import RecordRestricted
from tests.factories import make_case, make_patient
from tests.helpers import page_text
from tests.patients.factories import BANNER, BANNER_END, PSEUDONYM, REFUSAL, erase


@pytest.fixture
def cases(users):
    """Two new requests, both overdue and both the coordinator's: one of a patient on record, one of a patient erased
    since."""
    long_ago = utcnow() - timedelta(hours=30)
    kept_patient, erased_patient = make_patient(name="Kept Patient"), make_patient(name="Gone Patient")
    kept = make_case(patient=kept_patient, requested_at=long_ago, coordinator=users["coordinator"])
    gone = make_case(patient=erased_patient, requested_at=long_ago, coordinator=users["coordinator"])
    db.session.commit()
    erase(erased_patient)
    return kept, gone


def listed(**args) -> list[str]:
    return [case.number for case in search_cases(CaseFilters.from_args(args, user_id=0), health_data=True).items]


def test_an_erased_patients_case_is_in_no_case_list_or_search(cases):
    kept, gone = cases
    assert listed() == [kept.number]
    assert listed(state="new", overdue="1", sort="patient") == [kept.number]
    assert listed(q=gone.number) == [] and gone.number not in listed(q=gone.number[-5:])
    assert listed(q="Erased") == [] and listed(q="diabetes") == [kept.number]
    assert count_overdue() == 1


@pytest.mark.parametrize("role", ["coordinator", "finance", "admin"])
def test_no_role_finds_an_erased_patients_case_on_the_case_list(as_role, cases, role):
    kept, gone = cases
    for search in (gone.number, "Erased"):
        assert f'href="/cases/{gone.id}"' not in page_text(as_role(role).get(f"/cases/?q={search}"))
    text = page_text(as_role(role).get("/cases/"))
    assert f'href="/cases/{kept.id}"' in text and f'href="/cases/{gone.id}"' not in text and PSEUDONYM not in text


def test_the_case_list_runs_as_many_statements_with_erased_cases_among_them(as_role, cases, count_queries):
    client = as_role("coordinator")
    with count_queries() as before:
        client.get("/cases/?sort=patient&country=AE")
    another = make_patient()
    make_case(patient=another)
    db.session.commit()
    erase(another, pseudonym="Erased P-000002")
    with count_queries() as after:
        client.get("/cases/?sort=patient&country=AE")
    assert len(after) == len(before)


def test_a_known_contact_is_never_an_erased_patient(cases):
    _kept, gone = cases
    db.session.get(Patient, gone.patient_id).email = "same@mail.example"  # were a contact left on the record
    db.session.commit()

    assert patients_sharing_contact("same@mail.example", "") == []


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_administrators_read_an_erased_patients_case_under_the_banner(as_role, cases, role):
    _kept, gone = cases
    text = page_text(as_role(role).get(f"/cases/{gone.id}"))
    assert BANNER in text and BANNER_END in text and PSEUDONYM in text
    assert f"/cases/{gone.id}/transition" not in text  # read-only: no step to take, for administrators neither


def test_a_coordinator_finds_no_erased_patients_case(as_role, cases):
    _kept, gone = cases
    assert as_role("coordinator").get(f"/cases/{gone.id}").status_code == 404
    refused = as_role("coordinator").post(f"/cases/{gone.id}/transition", data={"to_state": "cancelled", "note": "x"})
    assert refused.status_code == 404


def test_an_erased_patients_case_does_not_change_state(as_role, users, cases):
    _kept, gone = cases
    response = as_role("admin").post(
        f"/cases/{gone.id}/transition", data={"to_state": "cancelled", "note": "duplicate", "version": gone.version}
    )
    assert response.status_code == 409 and REFUSAL in page_text(response)
    db.session.expire_all()
    assert db.session.get(Case, gone.id).state == "new"
    with pytest.raises(RecordRestricted):
        operations.transition(gone.id, "contacted", actor_id=users["coordinator"].id)


def test_no_document_is_uploaded_to_an_erased_patients_case(users, cases):
    _kept, gone = cases
    upload = FileStorage(io.BytesIO(b"%PDF-1.4\n%%EOF\n"), filename="scan.pdf", content_type="application/pdf")
    with pytest.raises(RecordRestricted):
        documents.store_document(gone.id, upload, "Scan", users["coordinator"].id)


def test_nobody_writes_from_an_erased_patients_case(users, cases):
    _kept, gone = cases
    with pytest.raises(RecordRestricted):
        compose_message(gone.id, actor_id=users["coordinator"].id, to="patient", subject="Hello", body="Hello")


def test_the_first_answer_deadline_alerts_on_no_erased_patients_case(cases):
    assert sla_alerts() == {"alerts": 1}
