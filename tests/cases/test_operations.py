"""The case pipeline: every allowed edge, every refused one, the guards, the SLA, screening and assignment."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from backoffice.cases import assignment, history, operations, reminders, screening, signals, sla, states
from backoffice.cases.models import CaseDocument, CaseEvent
from backoffice.cases.operations import CaseChanged, CaseError, TransitionRefused
from backoffice.cases.programme import set_programme
from backoffice.dbtypes import utcnow
from backoffice.extensions import db
from backoffice.offers import operations as operations_offers
from backoffice.trail import AuditEvent
from tests.factories import (
    make_accepted_offer,
    make_case,
    make_hospital,
    make_patient,
    make_physician,
    make_programme,
    make_user,
)

ALL_STATES = tuple(states.LABELS)
ALLOWED = {
    ("new", "contacted"),
    ("contacted", "records_review"),
    ("records_review", "programme_offered"),
    ("programme_offered", "confirmed"),
    ("confirmed", "travel_booked"),
    ("travel_booked", "in_treatment"),
    ("in_treatment", "discharged"),
    ("discharged", "aftercare"),
    ("aftercare", "closed"),
    *((s, "on_hold") for s in states.BEFORE_TREATMENT),
    *((s, "cancelled") for s in states.BEFORE_TREATMENT),
    ("on_hold", "cancelled"),
}


def ready_case(state: str):
    """A case in `state` that satisfies every guard, so only the edge itself decides."""
    coordinator = make_user("coordinator")
    programme = make_programme(contraindications=(("Pregnancy", "after birth"),))
    case = make_case(state=state, coordinator=coordinator)
    operations_state = case.state
    case.state = "new"
    set_programme(
        case.id,
        programme_id=programme.id,
        physician_id=None,
        actor_id=coordinator.id,
    )
    make_accepted_offer(case)
    case = operations.get_case(case.id)
    case.screening[0].answer = "no"
    case.state = operations_state
    db.session.add(
        CaseDocument(
            case_id=case.id,
            uploaded_by_id=coordinator.id,
            original_filename="x.pdf",
            stored_name=f"stored-{case.id}",
            content_type="application/pdf",
            size_bytes=1,
            sha256="0" * 64,
        )
    )
    db.session.flush()
    return case, coordinator


@pytest.fixture
def confirmed_appointment():
    """Stands in for the logistics feature's answer: every case has a confirmed appointment."""
    with signals.appointment_confirmed.connected_to(lambda case: True):
        yield


@pytest.mark.parametrize("from_state", [s for s in ALL_STATES if s != "on_hold"])
@pytest.mark.parametrize("to_state", ALL_STATES)
def test_only_the_listed_edges_are_allowed(from_state, to_state, confirmed_appointment):
    case, coordinator = ready_case(from_state)
    note = "reason given"
    if (from_state, to_state) in ALLOWED:
        operations.transition(case.id, to_state, actor_id=coordinator.id, note=note)
        assert operations.get_case(case.id).state == to_state
    else:
        with pytest.raises(TransitionRefused, match="cannot move to"):
            operations.transition(case.id, to_state, actor_id=coordinator.id, note=note)
        assert operations.get_case(case.id).state == from_state


@pytest.mark.parametrize("held_in", states.BEFORE_TREATMENT)
def test_on_hold_goes_back_where_it_came_from_or_is_cancelled(held_in, confirmed_appointment):
    case, coordinator = ready_case(held_in)
    operations.transition(case.id, "on_hold", actor_id=coordinator.id, note="patient has the flu")
    assert case.state_before_hold == held_in
    others = [s for s in ALL_STATES if s not in (held_in, "cancelled")]
    for other in others:
        with pytest.raises(TransitionRefused):
            operations.transition(case.id, other, actor_id=coordinator.id, note="x")
    operations.transition(case.id, held_in, actor_id=coordinator.id)
    assert case.state == held_in and case.state_before_hold is None


def test_treatment_cases_cannot_be_held_or_cancelled():
    for state in ("in_treatment", "discharged", "aftercare", "closed", "cancelled"):
        assert "on_hold" not in states.next_states(state) and "cancelled" not in states.next_states(state)


def test_unknown_state_is_refused():
    case = make_case()
    with pytest.raises(TransitionRefused, match="not a state"):
        operations.transition(case.id, "teleported", actor_id=make_user("coordinator").id)


def test_contacted_needs_a_coordinator():
    case = make_case()
    actor = make_user("coordinator")
    with pytest.raises(TransitionRefused, match="Assign a personal medical coordinator"):
        operations.transition(case.id, "contacted", actor_id=actor.id)


def test_records_review_needs_a_medical_record():
    case = make_case(state="contacted", coordinator=make_user("coordinator"))
    with pytest.raises(TransitionRefused, match="Upload at least one medical record"):
        operations.transition(case.id, "records_review", actor_id=case.coordinator_id)


def test_programme_offered_needs_a_programme_and_a_sent_offer():
    case = make_case(state="records_review", coordinator=make_user("coordinator"))
    with pytest.raises(TransitionRefused, match="Record a hospital programme"):
        operations.transition(case.id, "programme_offered", actor_id=case.coordinator_id)
    set_programme(case.id, programme_id=make_programme().id, physician_id=None, actor_id=case.coordinator_id)
    with pytest.raises(TransitionRefused, match="Send the patient a treatment offer"):
        operations.transition(case.id, "programme_offered", actor_id=case.coordinator_id)
    make_accepted_offer(case, status="draft")
    with pytest.raises(TransitionRefused, match="Send the patient a treatment offer"):
        operations.transition(case.id, "programme_offered", actor_id=case.coordinator_id)


def test_confirmation_needs_an_accepted_offer():
    case, coordinator = ready_case("programme_offered")
    offer = operations_offers.accepted_offer(case.id)
    offer.status, offer.accepted_at, offer.acceptance_channel = "sent", None, None
    db.session.flush()
    with pytest.raises(TransitionRefused, match="has not accepted the offer yet"):
        operations.transition(case.id, "confirmed", actor_id=coordinator.id)


def test_confirmation_needs_a_complete_screening_without_open_yes():
    case, coordinator = ready_case("programme_offered")
    programme = make_programme()
    case.state = "records_review"
    set_programme(
        case.id,
        programme_id=programme.id,
        physician_id=None,
        actor_id=coordinator.id,
    )
    case.state = "programme_offered"
    with pytest.raises(TransitionRefused, match="3 question"):
        operations.transition(case.id, "confirmed", actor_id=coordinator.id)
    answers = {a.id: "no" for a in operations.get_case(case.id).screening}
    pregnancy = next(a for a in case.screening if a.question == "Pregnancy")
    answers[pregnancy.id] = "yes"
    screening.answer_screening(case.id, answers, actor_id=coordinator.id)
    with pytest.raises(TransitionRefused, match="not resolved: Pregnancy"):
        operations.transition(case.id, "confirmed", actor_id=coordinator.id)
    clearance = CaseDocument(
        case_id=case.id,
        uploaded_by_id=coordinator.id,
        original_filename="clearance.pdf",
        stored_name=f"clearance-{case.id}",
        content_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
        document_type="clearance",
    )
    db.session.add(clearance)
    db.session.flush()
    screening.resolve_contraindication(
        case.id,
        pregnancy.id,
        resolution="after birth",
        resolved_on=date.today() - timedelta(days=3),
        clearance_document_id=clearance.id,
        actor_id=coordinator.id,
    )
    operations.transition(case.id, "confirmed", actor_id=coordinator.id)
    assert case.state == "confirmed"


def test_travel_booked_needs_a_confirmed_appointment():
    case, coordinator = ready_case("confirmed")
    with pytest.raises(TransitionRefused, match="hospital appointment"):
        operations.transition(case.id, "travel_booked", actor_id=coordinator.id)


def test_hold_needs_a_note_and_cancel_a_reason():
    case, coordinator = ready_case("contacted")
    with pytest.raises(TransitionRefused, match="why the case is put on hold"):
        operations.transition(case.id, "on_hold", actor_id=coordinator.id)
    with pytest.raises(TransitionRefused, match="reason for cancelling"):
        operations.transition(case.id, "cancelled", actor_id=coordinator.id, note="   ")
    operations.transition(case.id, "cancelled", actor_id=coordinator.id, note="Patient chose a clinic at home")
    assert case.cancel_reason == "Patient chose a clinic at home"


def test_every_transition_writes_a_case_event_and_an_audit_row():
    case, coordinator = ready_case("new")
    operations.transition(case.id, "contacted", actor_id=coordinator.id, note="Called the patient")
    event = db.session.scalars(select(CaseEvent).where(CaseEvent.kind == "transition")).one()
    assert (event.from_state, event.to_state, event.actor_id, event.note) == (
        "new",
        "contacted",
        coordinator.id,
        "Called the patient",
    )
    assert event.occurred_at.tzinfo is not None
    audit = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "case_transition")).one()
    assert audit.details["from"] == "new" and audit.details["to"] == "contacted"


def test_leaving_new_records_the_first_response_time():
    coordinator = make_user("coordinator")
    case = make_case(coordinator=coordinator, requested_at=utcnow() - timedelta(hours=5))
    operations.transition(case.id, "contacted", actor_id=coordinator.id)
    assert timedelta(hours=5) <= sla.first_response_time(case) < timedelta(hours=5, minutes=1)


def test_first_contact_is_due_24_hours_after_the_request():
    requested = utcnow() - timedelta(hours=25)
    case = make_case(requested_at=requested)
    assert case.first_response_due_at == requested + timedelta(hours=24)
    assert sla.is_overdue(case)
    assert not sla.is_overdue(make_case(requested_at=utcnow() - timedelta(hours=23)))


def test_case_numbers_are_unique_and_consecutive_per_year():
    numbers = [make_case().number for _ in range(3)]
    year = utcnow().year
    assert numbers == [f"C-{year}-00001", f"C-{year}-00002", f"C-{year}-00003"]


def test_opening_a_case_needs_consent_and_a_treatment():
    patient = make_patient()
    with pytest.raises(CaseError, match="consent"):
        operations.open_case(patient_id=patient.id, requested_treatment="Diabetes", consent_at=None)
    with pytest.raises(CaseError, match="diagnosis or treatment"):
        operations.open_case(patient_id=patient.id, requested_treatment="  ", consent_at=utcnow())


def test_a_change_based_on_an_old_version_is_refused():
    case, coordinator = ready_case("new")
    seen = case.version
    operations.transition(case.id, "contacted", actor_id=coordinator.id, expected_version=seen)
    with pytest.raises(CaseChanged, match="changed by someone else"):
        operations.transition(case.id, "on_hold", actor_id=coordinator.id, note="x", expected_version=seen)
    assert case.state == "contacted"


def test_the_physician_must_work_at_the_programmes_hospital():
    case = make_case()
    programme = make_programme()
    stranger = make_physician(make_hospital())
    with pytest.raises(CaseError, match="must work at"):
        set_programme(
            case.id,
            programme_id=programme.id,
            physician_id=stranger.id,
            actor_id=make_user("coordinator").id,
        )


def test_choosing_another_programme_starts_the_screening_again():
    case = make_case()
    actor = make_user("coordinator")
    first = make_programme()
    set_programme(case.id, programme_id=first.id, physician_id=None, actor_id=actor.id)
    case = operations.get_case(case.id)
    screening.answer_screening(case.id, {a.id: "no" for a in case.screening}, actor_id=actor.id)
    second = make_programme(contraindications=(("Active cancer", "remission"),))
    set_programme(case.id, programme_id=second.id, physician_id=None, actor_id=actor.id)
    case = operations.get_case(case.id)
    assert [(a.question, a.answer) for a in case.screening] == [("Active cancer", None)]


def test_a_resolution_needs_a_yes_a_description_and_a_past_date():
    case, coordinator = ready_case("programme_offered")
    answer = case.screening[0]
    with pytest.raises(CaseError, match="Only a contraindication answered yes"):
        screening.resolve_contraindication(
            case.id, answer.id, resolution="x", resolved_on=date.today(), actor_id=coordinator.id
        )
    screening.answer_screening(case.id, {answer.id: "yes"}, actor_id=coordinator.id)
    with pytest.raises(CaseError, match="in the future"):
        screening.resolve_contraindication(
            case.id,
            answer.id,
            resolution="after birth",
            resolved_on=date.today() + timedelta(days=2),
            actor_id=coordinator.id,
        )
    with pytest.raises(CaseError, match="Describe"):
        screening.resolve_contraindication(
            case.id, answer.id, resolution=" ", resolved_on=date.today(), actor_id=coordinator.id
        )


def test_assignment_and_taking_from_the_queue():
    carla, conrad, finance = make_user("coordinator"), make_user("coordinator"), make_user("finance")
    case = make_case()
    with pytest.raises(CaseError, match="active medical coordinator"):
        assignment.assign_coordinator(case.id, finance.id, actor_id=carla.id)
    assignment.take_case(case.id, actor_id=carla.id)
    assert case.coordinator_id == carla.id
    with pytest.raises(CaseChanged, match="already been taken"):
        assignment.take_case(case.id, actor_id=conrad.id)
    assignment.assign_coordinator(case.id, conrad.id, actor_id=carla.id)
    assignment.assign_coordinator(case.id, None, actor_id=conrad.id)  # now conrad's: only he (or an admin) may
    assert case.coordinator_id is None


def test_a_message_record_names_a_known_channel_and_a_note_needs_none():
    case = make_case()
    actor = make_user("coordinator")
    with pytest.raises(CaseError, match="channel"):
        history.add_note(
            case.id,
            body="Sent the offer",
            actor_id=actor.id,
            kind="message",
            channel="pigeon",
            direction="outbound",
            counterpart="patient",
        )
    history.add_note(
        case.id,
        body="Sent the offer",
        actor_id=actor.id,
        kind="message",
        channel="email",
        direction="outbound",
        counterpart="patient",
    )
    history.add_note(case.id, body="Patient sounded worried", actor_id=actor.id)
    kinds = [entry["type"] for entry in history.timeline(case.id, health_data=True)]
    assert kinds == ["event", "note", "note"]
    assert [entry["type"] for entry in history.timeline(case.id, health_data=False)] == ["event"]


def test_finance_timeline_keeps_state_changes_but_no_health_data():
    coordinator = make_user("coordinator")
    case = make_case(state="contacted", coordinator=coordinator)
    operations.transition(case.id, "on_hold", actor_id=coordinator.id, note="Patient is pregnant, wait until birth")
    reminders.add_reminder(
        case.id, due_on=date.today() + timedelta(days=3), text="Ask about HIV test result", actor_id=coordinator.id
    )
    history.add_note(case.id, body="HbA1c 8.1", actor_id=coordinator.id)
    texts = " ".join(str(entry) for entry in history.timeline(case.id, health_data=False))
    assert "pregnant" not in texts and "HIV" not in texts and "HbA1c" not in texts
    transition = [e for e in history.timeline(case.id, health_data=False) if e["kind"] == "transition"]
    assert transition[0]["to_state"] == "on_hold"


def test_cancelling_an_unanswered_request_is_not_a_first_response():
    coordinator = make_user("coordinator")
    case = make_case(coordinator=coordinator)
    operations.transition(case.id, "cancelled", actor_id=coordinator.id, note="duplicate request")
    assert case.first_response_at is None


def test_unknown_case_is_not_found():
    with pytest.raises(operations.NotFound):
        operations.get_case(987654)
