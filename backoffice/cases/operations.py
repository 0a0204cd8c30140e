"""What a coordinator does with a case: the state machine, assignment, programme and estimate, screening, notes.

Every change is checked against the case version the user saw (optimistic locking), writes a case event and an
audit row, and flushes; the caller commits.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from backoffice.audit.operations import record_event
from backoffice.auth.models import User
from backoffice.auth.permissions import ADMIN, COORDINATOR
from backoffice.cases import states
from backoffice.cases.models import OPEN_STATES, Case, CaseDocument, CaseEvent, CaseNote, ScreeningAnswer
from backoffice.dbtypes import utcnow
from backoffice.directory.models import Physician, Programme
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.geo import check_country
from backoffice.money import Money, MoneyError, check_amount
from backoffice.numbering import next_number
from backoffice.patients.operations import register_patient


class CaseError(DomainError):
    pass


class TransitionRefused(CaseError):
    pass


class CaseChanged(CaseError):
    """Someone else changed the case since this user loaded it."""

    status_code = 409


# ---------------------------------------------------------------------------------------------- opening a case


def open_case(
    *,
    patient_id: int,
    requested_treatment: str,
    destination_country: str | None = None,
    message: str = "",
    source: str = "web",
    consent_at: datetime | None = None,
    actor_id: int | None = None,
    requested_at: datetime | None = None,
) -> Case:
    """Open a case in state `new`, numbered C-YYYY-NNNNN, with its first contact due within the SLA."""
    treatment = (requested_treatment or "").strip()
    if not treatment:
        raise CaseError("Say which diagnosis or treatment the request is about.")
    if consent_at is None:
        raise CaseError("A case needs the patient's consent to the processing of health data.")
    if destination_country:
        try:
            destination_country = check_country(destination_country)
        except ValueError as error:
            raise CaseError(str(error)) from None
    requested_at = requested_at or utcnow()
    number = f"C-{requested_at.year}-{next_number('case', requested_at.year):05d}"
    case = Case(
        number=number,
        patient_id=patient_id,
        state="new",
        source=source,
        requested_treatment=treatment[:300],
        destination_country=destination_country or None,
        message=(message or "").strip(),
        health_data_consent_at=consent_at,
        requested_at=requested_at,
        first_response_due_at=requested_at + timedelta(hours=current_app.config["FIRST_RESPONSE_HOURS"]),
    )
    db.session.add(case)
    db.session.flush()
    record_case_event(case, "opened", actor_id, note=f"Request received ({source})", to_state="new")
    return case


def open_case_for_new_patient(
    patient: dict,
    *,
    requested_treatment: str,
    destination_country: str | None,
    message: str,
    source: str,
    consent_at: datetime,
    actor_id: int | None = None,
    requested_at: datetime | None = None,
) -> Case:
    """A treatment request from someone new: the patient's record and the case, as one unit of work.

    Used by the public form and by coordinators taking a request down from a call or an e-mail.
    """
    record = register_patient(**patient)
    case = open_case(
        patient_id=record.id,
        requested_treatment=requested_treatment,
        destination_country=destination_country,
        message=message,
        source=source,
        consent_at=consent_at,
        actor_id=actor_id,
        requested_at=requested_at,
    )
    record_event(
        "patient_registered",
        actor_id=actor_id,
        object_type="patient",
        object_id=record.id,
        details={"case": case.number, "source": source},
    )
    return case


def get_case(case_id: int) -> Case:
    """A case with its patient, coordinator, hospital, physician and programme loaded; 404 when there is none."""
    case = db.session.scalar(
        select(Case)
        .where(Case.id == case_id)
        .options(
            joinedload(Case.patient),
            joinedload(Case.coordinator),
            joinedload(Case.hospital),
            joinedload(Case.physician),
            joinedload(Case.programme),
            selectinload(Case.screening),
        )
    )
    if case is None:
        raise NotFound("There is no such case.")
    return case


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise CaseChanged(
            f"Case {case.number} was changed by someone else while you were looking at it. "
            "Reload the page to see the change, then try again."
        )


def _save(case: Case) -> None:
    """Flush; a concurrent change of the same case (the version moved underneath) becomes CaseChanged.

    The caller rolls back, as after any refusal.
    """
    number = case.number  # read now: a failed flush leaves the case unreadable until the rollback
    case.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        raise CaseChanged(
            f"Case {number} was changed by someone else at the same moment. Reload the page and try again."
        ) from None


def record_case_event(
    case: Case,
    kind: str,
    actor_id: int | None,
    *,
    note: str = "",
    from_state: str | None = None,
    to_state: str | None = None,
    audit: dict | None = None,
) -> CaseEvent:
    """Append a line to the case's timeline and the matching `case_<kind>` row to the audit log."""
    event = CaseEvent(
        case_id=case.id, actor_id=actor_id, kind=kind, note=note, from_state=from_state, to_state=to_state
    )
    db.session.add(event)
    details = {"number": case.number, **({"from": from_state, "to": to_state} if to_state else {}), **(audit or {})}
    if note:
        details["note"] = note[:500]
    record_event(f"case_{kind}", actor_id=actor_id, object_type="case", object_id=case.id, details=details)
    return event


# ---------------------------------------------------------------------------------------------- the state machine

# Checks a transition must pass: each returns a message for the coordinator, or None when satisfied.
Guard = Callable[[Case], str | None]


def _needs_coordinator(case: Case) -> str | None:
    if case.coordinator_id is None:
        return "Assign a personal medical coordinator before recording the first contact."
    return None


def _needs_medical_records(case: Case) -> str | None:
    count = db.session.scalar(select(func.count()).where(CaseDocument.case_id == case.id))
    return None if count else "Upload at least one medical record before the records review."


def _needs_programme_and_estimate(case: Case) -> str | None:
    missing = [
        what
        for what, value in (("a hospital programme", case.programme_id), ("a cost estimate", case.cost_estimate))
        if value is None
    ]
    return f"Record {' and '.join(missing)} on the case before offering the programme." if missing else None


def _needs_clear_screening(case: Case) -> str | None:
    answers = case.screening
    unanswered = [a for a in answers if a.answer is None]
    if unanswered:
        return f"Complete the contraindication screening first ({len(unanswered)} question(s) unanswered)."
    open_yes = [a.question for a in answers if a.is_open_positive]
    if open_yes:
        return (
            "A contraindication is present and not resolved: "
            + "; ".join(open_yes)
            + ". Record how it was resolved, or put the case on hold."
        )
    return None


# Filled by the logistics feature (logistics.case_rules): True when the case has a confirmed hospital appointment.
appointment_checks: list[Callable[[Case], bool]] = []
# Run after a case enters a state, in the same transaction (e.g. discharge generates the follow-ups).
state_entered_hooks: dict[str, list[Callable[[Case, int], None]]] = {}


def _needs_confirmed_appointment(case: Case) -> str | None:
    if any(check(case) for check in appointment_checks):
        return None
    return "Book the hospital appointment and have the hospital confirm it before marking travel as booked."


GUARDS: dict[str, tuple[Guard, ...]] = {
    "contacted": (_needs_coordinator,),
    "records_review": (_needs_medical_records,),
    "programme_offered": (_needs_programme_and_estimate,),
    "confirmed": (_needs_clear_screening,),
    "travel_booked": (_needs_confirmed_appointment,),
}


def entry_guards(to_state: str) -> tuple[Guard, ...]:
    """What must hold for a case to be in `to_state`: its own guards and those of every earlier pipeline state.

    So a case in treatment still has its coordinator, records, estimate, a clear screening and a confirmed
    appointment, whatever changed on the way (a late "yes" in the screening, a programme changed while on hold).
    """
    if to_state not in states.PIPELINE:
        return ()
    reached = states.PIPELINE[: states.PIPELINE.index(to_state) + 1]
    return tuple(guard for state in reached for guard in GUARDS.get(state, ()))


def blockers(case: Case, to_state: str) -> list[str]:
    """Why `case` cannot move to `to_state` now (empty when it can)."""
    if to_state not in states.next_states(case.state, case.state_before_hold):
        return [f"A case that is {states.label(case.state).lower()} cannot move to {states.label(to_state).lower()}."]
    return [message for guard in entry_guards(to_state) if (message := guard(case))]


def next_steps(case: Case) -> list[tuple[str, list[str]]]:
    """The states this case may move to, each with what still blocks it (for the buttons on the case page)."""
    return [(to_state, blockers(case, to_state)) for to_state in states.next_states(case.state, case.state_before_hold)]


def transition(
    case_id: int, to_state: str, *, actor_id: int, note: str = "", expected_version: int | None = None
) -> Case:
    """Move a case along one edge of the pipeline, if its guards allow it.

    Putting on hold needs a note, cancelling a reason. Leaving `new` records the first-response time, except by
    cancellation: a junk or duplicate request cancelled unanswered is not a response to anybody.
    """
    case = get_case(case_id)
    _check_version(case, expected_version)
    if to_state not in states.LABELS:
        raise TransitionRefused(f"{to_state!r} is not a state of the case pipeline.")
    problems = blockers(case, to_state)
    if problems:
        raise TransitionRefused(" ".join(problems))
    note = (note or "").strip()
    if to_state == "on_hold" and not note:
        raise TransitionRefused("Say why the case is put on hold.")
    if to_state == "cancelled" and not note:
        raise TransitionRefused("Give the reason for cancelling the case.")

    from_state = case.state
    now = utcnow()
    if to_state == "on_hold":
        case.state_before_hold = from_state
    elif from_state == "on_hold":
        case.state_before_hold = None
    if to_state == "cancelled":
        case.cancel_reason = note
    if from_state == "new" and to_state != "cancelled" and case.first_response_at is None:
        case.first_response_at = now
    case.state = to_state
    _save(case)
    record_case_event(case, "transition", actor_id, note=note, from_state=from_state, to_state=to_state)
    for hook in state_entered_hooks.get(to_state, ()):
        hook(case, actor_id)
    return case


# ---------------------------------------------------------------------------------------------- assignment


def assign_coordinator(
    case_id: int, coordinator_id: int | None, *, actor_id: int, expected_version: int | None = None
) -> Case:
    """Give the case to a coordinator (or back to the queue with None)."""
    case = get_case(case_id)
    _check_version(case, expected_version)
    coordinator = None
    if coordinator_id is not None:
        coordinator = db.session.get(User, coordinator_id)
        if coordinator is None or coordinator.role != COORDINATOR or not coordinator.active:
            raise CaseError("Cases can only be given to an active medical coordinator.")
        if case.coordinator_id == coordinator_id:
            raise CaseError(f"{coordinator.name} already coordinates case {case.number}.")
        note = f"Assigned to {coordinator.name}"
    else:
        if case.coordinator_id is None:
            raise CaseError(f"Case {case.number} is already in the queue.")
        note = "Returned to the queue"
    before = case.coordinator_id
    case.coordinator = coordinator
    _save(case)
    record_case_event(
        case, "assigned", actor_id, note=note, audit={"from_coordinator": before, "to_coordinator": coordinator_id}
    )
    return case


def return_cases_to_queue(coordinator_id: int, *, actor_id: int | None, reason: str) -> int:
    """Put every open case of a coordinator back in the queue (they left the team or changed role).

    Otherwise those cases would belong to nobody who can see them on a dashboard. Returns how many moved.
    """
    cases = db.session.scalars(
        select(Case).where(Case.coordinator_id == coordinator_id, Case.state.in_(OPEN_STATES))
    ).all()
    for case in cases:
        case.coordinator = None
        _save(case)
        record_case_event(
            case,
            "assigned",
            actor_id,
            note=f"Returned to the queue: {reason}",
            audit={"from_coordinator": coordinator_id, "to_coordinator": None},
        )
    return len(cases)


def take_case(case_id: int, *, actor_id: int, expected_version: int | None = None) -> Case:
    """A coordinator takes an unassigned case from the queue."""
    case = get_case(case_id)
    if case.coordinator is not None:
        raise CaseChanged(f"Case {case.number} has already been taken by {case.coordinator.name}.")
    return assign_coordinator(case_id, actor_id, actor_id=actor_id, expected_version=expected_version)


# ---------------------------------------------------------------------------------------------- programme and estimate

EDITABLE_PROGRAMME_STATES = ("new", "contacted", "records_review", "programme_offered")


def programme_editable(case: Case) -> bool:
    """Until confirmation; a case on hold counts as the state it was put on hold from."""
    state = case.state_before_hold if case.state == "on_hold" else case.state
    return state in EDITABLE_PROGRAMME_STATES


def set_programme(
    case_id: int,
    *,
    programme_id: int,
    physician_id: int | None,
    cost_estimate: Money | None,
    actor_id: int,
    expected_version: int | None = None,
) -> Case:
    """Choose the hospital programme (and physician) and record the hospital's cost estimate.

    The programme's contraindications become the case's screening checklist; choosing another programme starts
    the screening again. The physician must work at the programme's hospital.
    """
    case = get_case(case_id)
    _check_version(case, expected_version)
    if not programme_editable(case):
        raise CaseError(f"The programme of a case that is {states.label(case.state).lower()} can no longer change.")
    programme = db.session.scalar(
        select(Programme)
        .where(Programme.id == programme_id)
        .options(selectinload(Programme.contraindications), joinedload(Programme.hospital))
    )
    if programme is None or not programme.active or not programme.hospital.active:
        raise CaseError("Choose an active programme of an active hospital from the directory.")
    physician = None
    if physician_id is not None:
        physician = db.session.get(Physician, physician_id)
        if physician is None or physician.hospital_id != programme.hospital_id:
            raise CaseError(f"The physician must work at {programme.hospital.name}.")
        if not physician.active:
            raise CaseError(f"{physician.name} no longer takes patients; choose another physician.")
    if cost_estimate is None and (case.state_before_hold or case.state) == "programme_offered":
        raise CaseError("The programme was offered with an estimate; enter the new estimate instead of clearing it.")
    if cost_estimate is not None:
        try:
            cost_estimate = check_amount(cost_estimate, places=2)
        except MoneyError as error:
            raise CaseError(f"Cost estimate: {error}") from None
    changed_programme = case.programme_id != programme.id
    case.programme, case.hospital, case.physician = programme, programme.hospital, physician
    case.cost_estimate = cost_estimate
    _save(case)  # the version check comes first; the screening rows below do not touch the case row
    if changed_programme:
        for answer in list(case.screening):
            db.session.delete(answer)
        db.session.flush()
        for item in programme.contraindications:
            db.session.add(
                ScreeningAnswer(
                    case_id=case.id,
                    contraindication_id=item.id,
                    position=item.position,
                    question=item.question,
                    resolution_hint=item.resolution_hint,
                )
            )
        db.session.flush()
    estimate = cost_estimate.format() if cost_estimate else "no estimate yet"
    record_case_event(
        case,
        "programme_set",
        actor_id,
        note=f"{programme.hospital.name}: {programme.name}; estimate {estimate}",
        audit={"programme_id": programme.id, "estimate": str(cost_estimate) if cost_estimate else None},
    )
    db.session.expire(case, ["screening"])
    return case


# ---------------------------------------------------------------------------------------------- screening


def answer_screening(
    case_id: int, answers: dict[int, str], *, actor_id: int, expected_version: int | None = None
) -> Case:
    """Record yes/no for the screening questions (by answer id). A changed answer clears its resolution."""
    case = get_case(case_id)
    _check_version(case, expected_version)
    if case.state in states.FINAL or case.state in ("in_treatment", "discharged", "aftercare"):
        raise CaseError("The screening can no longer change at this stage of the case.")
    by_id = {answer.id: answer for answer in case.screening}
    unknown = set(answers) - set(by_id)
    if unknown:
        raise CaseError("The screening questions changed; reload the page.")
    now, changed = utcnow(), []
    for answer_id, value in answers.items():
        if value not in ("yes", "no"):
            raise CaseError("Answer each screening question with yes or no.")
        answer = by_id[answer_id]
        if answer.answer != value:
            answer.answer, answer.answered_at, answer.answered_by_id = value, now, actor_id
            answer.resolution, answer.resolved_on, answer.resolved_at, answer.resolved_by_id = "", None, None, None
            changed.append(f"{answer.question}: {value}")
    if not changed:
        return case
    _save(case)
    record_case_event(case, "screening", actor_id, note="; ".join(changed))
    return case


def resolve_contraindication(
    case_id: int,
    answer_id: int,
    *,
    resolution: str,
    resolved_on: date,
    actor_id: int,
    expected_version: int | None = None,
) -> Case:
    """Record how a contraindication answered "yes" was resolved (remission reached, after birth, ...) and when."""
    case = get_case(case_id)
    _check_version(case, expected_version)
    answer = next((a for a in case.screening if a.id == answer_id), None)
    if answer is None:
        raise NotFound("There is no such screening question on this case.")
    if answer.answer != "yes":
        raise CaseError("Only a contraindication answered yes needs a resolution.")
    resolution = (resolution or "").strip()
    if not resolution:
        raise CaseError("Describe how the contraindication was resolved.")
    if resolved_on > utcnow().date():
        raise CaseError("The resolution date cannot be in the future.")
    answer.resolution, answer.resolved_on = resolution, resolved_on
    answer.resolved_at, answer.resolved_by_id = utcnow(), actor_id
    _save(case)
    record_case_event(
        case, "screening", actor_id, note=f"{answer.question}: resolved on {resolved_on.isoformat()} ({resolution})"
    )
    return case


# ---------------------------------------------------------------------------------------------- notes, next action

CHANNELS = ("email", "phone", "whatsapp", "video", "letter", "in_person")


def add_note(
    case_id: int,
    *,
    body: str,
    actor_id: int,
    kind: str = "internal",
    channel: str | None = None,
    direction: str | None = None,
    counterpart: str | None = None,
) -> CaseNote:
    """An internal note, or the record of a message to or from the patient or the hospital."""
    case = get_case(case_id)
    body = (body or "").strip()
    if not body:
        raise CaseError("Write the note first.")
    if kind == "message":
        if (
            channel not in CHANNELS
            or direction not in ("inbound", "outbound")
            or counterpart not in ("patient", "hospital")
        ):
            raise CaseError("A message needs its channel, its direction and who it was with.")
    elif kind == "internal":
        channel = direction = counterpart = None
    else:
        raise CaseError("A note is internal or a message.")
    note = CaseNote(
        case_id=case.id,
        author_id=actor_id,
        kind=kind,
        channel=channel,
        direction=direction,
        counterpart=counterpart,
        body=body,
    )
    db.session.add(note)
    db.session.flush()
    record_event(
        "case_note_added",
        actor_id=actor_id,
        object_type="case",
        object_id=case.id,
        details={"number": case.number, "kind": kind, "channel": channel, "direction": direction},
    )
    return note


def set_next_action(
    case_id: int, *, on: date | None, what: str, actor_id: int, expected_version: int | None = None
) -> Case:
    """The coordinator's reminder: what is due on the case and when (shown on the dashboard on that day)."""
    case = get_case(case_id)
    _check_version(case, expected_version)
    what = (what or "").strip()
    if on is not None and not what:
        raise CaseError("Say what is due on that date.")
    if on is not None and on < utcnow().date():
        raise CaseError("The reminder date is in the past; choose today or a later day.")
    case.next_action_on, case.next_action = on, what[:200] if on else ""
    _save(case)
    record_case_event(case, "next_action", actor_id, note=f"{on.isoformat()}: {what}" if on else "Reminder cleared")
    return case


# ---------------------------------------------------------------------------------------------- SLA and timeline


def is_overdue(case: Case, now: datetime | None = None) -> bool:
    """First contact not made and the 24-hour answer window has passed."""
    return case.state == "new" and case.first_response_due_at < (now or utcnow())


def first_response_time(case: Case) -> timedelta | None:
    return case.first_response_at - case.requested_at if case.first_response_at else None


# Who may read health data on a case (diagnosis, messages, notes, screening, records, reasons given).
HEALTH_DATA_ROLES = (ADMIN, COORDINATOR)
# Timeline lines whose text carries no health data; the others are shown to finance as a bare label.
_PLAIN_EVENT_KINDS = ("opened", "assigned", "programme_set")
_EVENT_LABELS = {
    "booking": "Booking changed (the bookings page shows it)",
    "screening": "Screening updated",
    "document": "Medical record uploaded",
    "next_action": "Reminder updated",
    "follow_up": "Follow-up updated",
}


def sees_health_data(role: str) -> bool:
    return role in HEALTH_DATA_ROLES


def timeline(case_id: int, *, health_data: bool) -> list[dict]:
    """Events and notes of a case, oldest first, each with its author (two statements).

    Without `health_data` (finance), notes are left out and events keep only what carries no health data: state
    changes without their notes, assignment, programme and estimate; other events show a bare label (a booking's
    line may carry a cancellation reason).
    """
    events = db.session.scalars(
        select(CaseEvent).where(CaseEvent.case_id == case_id).options(joinedload(CaseEvent.actor))
    ).all()
    entries = []
    for event in events:
        text = event.note
        if not health_data and event.kind not in _PLAIN_EVENT_KINDS:
            text = _EVENT_LABELS.get(event.kind, "") if event.kind != "transition" else ""
        entries.append(
            {
                "at": event.occurred_at,
                "type": "event",
                "kind": event.kind,
                "who": event.actor,
                "from_state": event.from_state,
                "to_state": event.to_state,
                "text": text,
            }
        )
    if health_data:
        notes = db.session.scalars(
            select(CaseNote).where(CaseNote.case_id == case_id).options(joinedload(CaseNote.author))
        ).all()
        entries += [
            {"at": n.created_at, "type": "note", "kind": n.kind, "who": n.author, "note": n, "text": n.body}
            for n in notes
        ]
    return sorted(entries, key=lambda entry: (entry["at"], entry["type"]))
