"""A contraindication answered "yes" is cleared by the physician, not by typing: a clearance document of the case or
an administrator with a reason. Found after confirmation, it flags the case everywhere and stops it moving on."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backoffice.cases import operations, screening
from backoffice.cases.models import CaseDocument, CaseEvent
from backoffice.cases.operations import CaseError, TransitionRefused
from backoffice.cases.programme import set_programme
from backoffice.extensions import db
from tests.factories import make_accepted_offer, make_case, make_programme, make_user
from tests.helpers import login_as
from tests.logistics.test_itinerary import make_trip
from tests.logistics.test_pdf import pdf_text

YESTERDAY = date.today() - timedelta(days=1)


def screened_case(state: str, coordinator, *, answer: str = "no", case=None):
    """A case in `state` whose programme asks about pregnancy, answered `answer`, with a medical record."""
    case = case or make_case(state=state, coordinator=coordinator)
    reached = case.state
    case.state = "records_review"
    set_programme(
        case.id,
        programme_id=make_programme(contraindications=(("Pregnancy", "after birth"),)).id,
        physician_id=None,
        actor_id=coordinator.id,
    )
    make_accepted_offer(case)
    case = operations.get_case(case.id)
    case.screening[0].answer = answer
    case.state = reached
    document(case, coordinator, "mri.pdf", "medical_record")
    db.session.flush()
    return case


def document(case, uploader, name: str, document_type: str) -> CaseDocument:
    row = CaseDocument(
        case_id=case.id,
        uploaded_by_id=uploader.id,
        original_filename=name,
        stored_name=f"{case.id}-{name}"[:64],
        content_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
        document_type=document_type,
    )
    db.session.add(row)
    db.session.flush()
    return row


def say_yes_late(case, coordinator):
    screening.answer_screening(case.id, {case.screening[0].id: "yes"}, actor_id=coordinator.id)
    return operations.get_case(case.id)


def resolve(case, actor, **fields):
    return screening.resolve_contraindication(
        case.id,
        case.screening[0].id,
        resolution=fields.pop("resolution", "after birth"),
        resolved_on=fields.pop("resolved_on", YESTERDAY),
        actor_id=actor.id,
        **fields,
    )


def test_a_typed_resolution_without_the_physicians_clearance_is_refused():
    coordinator = make_user("coordinator")
    case = say_yes_late(screened_case("confirmed", coordinator), coordinator)

    with pytest.raises(CaseError, match="is cleared by the physician: upload the physician's clearance"):
        resolve(case, coordinator, resolution="after birth, dated today", resolved_on=date.today())

    assert screening.open_contraindications(operations.get_case(case.id)) == ["Pregnancy"]


def test_a_lab_report_or_a_removed_clearance_does_not_clear_a_contraindication():
    coordinator = make_user("coordinator")
    case = say_yes_late(screened_case("confirmed", coordinator), coordinator)
    report = document(case, coordinator, "lab.pdf", "medical_record")
    removed = document(case, coordinator, "old-clearance.pdf", "clearance")
    removed.removed_at = removed.uploaded_at

    with pytest.raises(CaseError, match=r"“lab\.pdf” is filed as “Medical record”, not as “Physician's clearance”"):
        resolve(case, coordinator, clearance_document_id=report.id)
    with pytest.raises(CaseError, match="was removed from the case"):
        resolve(case, coordinator, clearance_document_id=removed.id)
    other_case = screened_case("confirmed", coordinator)
    foreign = document(other_case, coordinator, "clearance.pdf", "clearance")
    with pytest.raises(CaseError, match="must be a document of this case"):
        resolve(case, coordinator, clearance_document_id=foreign.id)


def test_the_physicians_clearance_resolves_a_contraindication_and_is_on_the_timeline():
    coordinator = make_user("coordinator")
    case = say_yes_late(screened_case("confirmed", coordinator), coordinator)
    clearance = document(case, coordinator, "dr-weber-clearance.pdf", "clearance")

    resolve(case, coordinator, clearance_document_id=clearance.id)

    case = operations.get_case(case.id)
    assert screening.open_contraindications(case) == []
    assert case.screening[0].clearance_document_id == clearance.id
    note = db.session.scalars(select(CaseEvent.note).where(CaseEvent.kind == "screening").order_by(CaseEvent.id))
    assert list(note)[-1].endswith("(after birth); physician's clearance dr-weber-clearance.pdf")
    # The clearance a resolution rests on can be neither removed nor retyped.
    from backoffice.cases import document_changes, documents

    with pytest.raises(documents.DocumentError, match="it cannot be removed"):
        document_changes.remove_document(case.id, clearance.id, "wrong case", coordinator.id)
    with pytest.raises(documents.DocumentError, match="it stays a clearance"):
        document_changes.change_document_type(case.id, clearance.id, "other", coordinator.id)


def test_an_administrator_clears_a_contraindication_without_a_document_giving_the_reason():
    coordinator, admin = make_user("coordinator"), make_user("admin")
    case = say_yes_late(screened_case("confirmed", coordinator), coordinator)

    resolve(case, admin, resolution="Physician confirmed by phone; letter follows")

    case = operations.get_case(case.id)
    assert screening.open_contraindications(case) == [] and case.screening[0].clearance_document_id is None
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "screening").order_by(CaseEvent.id)).all()[-1]
    assert event.actor_id == admin.id and "cleared by an administrator without a clearance document" in event.note


def test_a_late_yes_blocks_every_step_the_screening_guards():
    coordinator = make_user("coordinator")
    case = say_yes_late(screened_case("confirmed", coordinator), coordinator)

    with pytest.raises(TransitionRefused, match="A contraindication is present and not resolved: Pregnancy"):
        operations.transition(case.id, "travel_booked", actor_id=coordinator.id)
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "screening").order_by(CaseEvent.id)).all()[-1]
    assert "found after confirmation: the case is flagged" in event.note


def test_a_late_yes_flags_the_case_page_the_case_list_and_the_itinerary(app, as_role, users):
    trip = make_trip(coordinator=users["coordinator"], state="confirmed", preferred_language="en")
    case = screened_case("confirmed", users["coordinator"], case=trip.case)
    db.session.commit()
    case = operations.get_case(case.id)
    client = as_role("coordinator")

    page = html.unescape(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert 'data-flag="contraindication"' not in page and "No open problems." in page

    answer = {f"answer_{case.screening[0].id}": "yes", "version": case.version}
    assert client.post(f"/cases/{case.id}/screening", data=answer).status_code == 302

    page = html.unescape(client.get(f"/cases/{case.id}").get_data(as_text=True))
    assert 'data-flag="contraindication">Contraindication open</a>' in page  # the header
    assert 'data-problem="contraindication"' in page and "Contraindication open: Pregnancy" in page  # the panel
    listing = client.get("/cases/").get_data(as_text=True)
    assert 'data-flag="contraindication"' in listing
    itinerary = html.unescape(client.get(f"/cases/{case.id}/itinerary").get_data(as_text=True))
    assert "Contraindication open:</strong> Pregnancy" in itinerary
    assert "Medical clearance pending" in pdf_text(client.get(f"/cases/{case.id}/itinerary.pdf").data)

    # Finance sees the case without the health data (no contraindication named anywhere).
    finance = app.test_client()
    login_as(finance, users["finance"])
    assert "Pregnancy" not in finance.get(f"/cases/{case.id}").get_data(as_text=True)
    assert 'data-flag="contraindication"' not in finance.get("/cases/").get_data(as_text=True)


def test_typing_a_resolution_on_the_page_is_refused_until_a_clearance_is_chosen(as_role, users):
    case = screened_case("confirmed", users["coordinator"], answer="yes")
    clearance = document(case, users["coordinator"], "clearance.pdf", "clearance")
    db.session.commit()
    case = operations.get_case(case.id)
    client = as_role("coordinator")
    form = {
        "answer_id": case.screening[0].id,
        "resolution": "after birth",
        "resolved_on": YESTERDAY.isoformat(),
        "version": case.version,
    }

    refused = client.post(f"/cases/{case.id}/screening/resolve", data={**form, "clearance_document_id": ""})
    assert refused.status_code == 422
    assert "is cleared by the physician" in html.unescape(refused.get_data(as_text=True))

    accepted = client.post(f"/cases/{case.id}/screening/resolve", data={**form, "clearance_document_id": clearance.id})
    assert accepted.status_code == 302
    db.session.expire_all()
    assert screening.open_contraindications(operations.get_case(case.id)) == []


def test_a_yes_is_not_taken_back_by_a_coordinator_answering_no():
    coordinator, admin = make_user("coordinator"), make_user("admin")
    case = say_yes_late(screened_case("confirmed", coordinator), coordinator)

    with pytest.raises(CaseError, match="only an administrator can change the answer to no"):
        screening.answer_screening(case.id, {case.screening[0].id: "no"}, actor_id=coordinator.id)
    assert screening.open_contraindications(operations.get_case(case.id)) == ["Pregnancy"]

    screening.answer_screening(case.id, {case.screening[0].id: "no"}, actor_id=admin.id)
    assert screening.open_contraindications(operations.get_case(case.id)) == []


# The screening form on the case page is offered only while the answers may still change (the browser suite found
# the "Save answers" button offered in hospital, refused at every press).


def case_with_screening(users, state: str):
    case = make_case(coordinator=users["coordinator"])
    set_programme(
        case.id,
        programme_id=make_programme().id,
        physician_id=None,
        actor_id=users["coordinator"].id,
    )
    case.state = state
    db.session.commit()
    return case


@pytest.mark.parametrize("state", ["in_treatment", "discharged", "aftercare", "closed", "cancelled"])
def test_case_page_offers_no_screening_answers_once_they_can_no_longer_change(as_role, users, state):
    case = case_with_screening(users, state)
    page = as_role("coordinator").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Contraindication screening" in page and "Pregnancy" in page
    assert "Save answers" not in page
    assert "The screening can no longer change at this stage of the case." in page
    assert re.search(r'aria-label="yes: Pregnancy"[^>]*\bdisabled', page)


@pytest.mark.parametrize("state", ["records_review", "programme_offered", "confirmed", "travel_booked", "on_hold"])
def test_case_page_offers_the_screening_answers_while_they_may_change(as_role, users, state):
    case = case_with_screening(users, state)
    page = as_role("coordinator").get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Save answers" in page
    assert "The screening can no longer change" not in page
