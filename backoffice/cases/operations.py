"""What a coordinator does with a case: opening it and the state machine.

Every change is checked against the case version the user saw (optimistic locking), writes a case event and an
audit row, and flushes; the caller commits. The programme lives in `cases.programme`, the screening in
`cases.screening`, notes, reminders and the timeline in `cases.history`, who coordinates it in `cases.assignment`,
the first-answer deadline in `cases.sla`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.exc import StaleDataError

from backoffice.cases import signals, states
from backoffice.cases.models import Case, CaseDocument, CaseEvent
from backoffice.config import settings
from backoffice.dbtypes import utcnow
from backoffice.errors import DomainError, NotFound
from backoffice.extensions import db
from backoffice.geo import check_country
from backoffice.numbering import next_number
from backoffice.patients.operations import register_patient
from backoffice.patients.restriction import refuse_changes
from backoffice.trail import record_event


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
        raise CaseError(_("Say which diagnosis or treatment the request is about."))
    if consent_at is None:
        raise CaseError(_("A case needs the patient's consent to the processing of health data."))
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
        first_response_due_at=requested_at + timedelta(hours=settings().first_response_hours),
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
        raise NotFound(_("There is no such case."))
    return case


def check_version(case: Case, expected_version: int | None) -> None:
    """Refuse a change to a case that moved on since the user loaded it (optimistic locking)."""
    if expected_version is not None and case.version != expected_version:
        raise CaseChanged(
            _(
                "Case %(number)s was changed by someone else while you were looking at it. "
                "Reload the page to see the change, then try again.",
                number=case.number,
            )
        )


def lock_case(case_id: int) -> None:
    """Take the case's row lock until commit (PostgreSQL; SQLite has one writer): every check-then-write on a
    case's invoices or offers (issuing, payments, a new offer version) runs one at a time, so a rule checked is still
    true when the write commits."""
    db.session.execute(select(Case.id).where(Case.id == case_id).with_for_update())


def save_case(case: Case) -> None:
    """Flush; a concurrent change of the same case (the version moved underneath) becomes CaseChanged.

    The caller rolls back, as after any refusal.
    """
    number = case.number  # read now: a failed flush leaves the case unreadable until the rollback
    case.updated_at = utcnow()
    try:
        db.session.flush()
    except StaleDataError:
        raise CaseChanged(
            _(
                "Case %(number)s was changed by someone else at the same moment. Reload the page and try again.",
                number=number,
            )
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


def _current_state(case: Case) -> str:
    """Where the case stands in the pipeline (on hold: where it was put on hold)."""
    return (case.state_before_hold or case.state) if case.state == "on_hold" else case.state


def _has_reached(case: Case, state: str) -> bool:
    """Whether the case is in `state` or further along the pipeline, so a guard's message speaks of it as done."""
    current = _current_state(case)
    return current in states.PIPELINE and states.PIPELINE.index(current) >= states.PIPELINE.index(state)


# A guard's message fits where the case stands: "before the records review" only to a case that is not in it yet.
def _needs_coordinator(case: Case) -> str | None:
    if case.coordinator_id is not None:
        return None
    if _has_reached(case, "contacted"):
        return _("The case has no personal medical coordinator; assign one before it moves on.")
    return _("Assign a personal medical coordinator before recording the first contact.")


def _needs_medical_records(case: Case) -> str | None:
    count = db.session.scalar(
        select(func.count()).where(
            CaseDocument.case_id == case.id,
            CaseDocument.document_type == "medical_record",
            CaseDocument.removed_at.is_(None),
        )
    )
    if count:
        return None
    if _has_reached(case, "records_review"):
        if _current_state(case) == "records_review":
            return _("Upload at least one medical record to finish the records review.")
        return _("The case has no medical record any more; upload at least one before it moves on.")
    return _("Upload at least one medical record before the records review.")


def _needs_programme(case: Case) -> str | None:
    if case.programme_id is None:
        return _("Record a hospital programme on the case before offering the programme.")
    return None


def _needs_clear_screening(case: Case) -> str | None:
    answers = case.screening
    unanswered = [a for a in answers if a.answer is None]
    if unanswered:
        return ngettext(
            "Complete the contraindication screening first (%(num)d question(s) unanswered).",
            "Complete the contraindication screening first (%(num)d question(s) unanswered).",
            len(unanswered),
        )
    open_yes = [a.question for a in answers if a.is_open_positive]
    if open_yes:
        return _(
            "A contraindication is present and not resolved: %(questions)s. Record the physician's clearance, or put "
            "the case on hold.",
            questions="; ".join(open_yes),
        )
    return None


def _needs_confirmed_appointment(case: Case) -> str | None:
    if any(confirmed for _receiver, confirmed in signals.appointment_confirmed.send(case)):
        return None
    return _("Book the hospital appointment and have the hospital confirm it before marking travel as booked.")


GUARDS: dict[str, tuple[Guard, ...]] = {
    "contacted": (_needs_coordinator,),
    "records_review": (_needs_medical_records,),
    "programme_offered": (_needs_programme,),
    "confirmed": (_needs_clear_screening,),
    "travel_booked": (_needs_confirmed_appointment,),
}


def blockers(case: Case, to_state: str) -> list[str]:
    """Why `case` cannot move to `to_state` now (empty when it can).

    What must hold for a case to be in `to_state`: its own guards and those of every earlier pipeline state, ours
    (`GUARDS`) and those other features answer (`signals.entry_guard`). So a case in treatment still has its
    coordinator, records, programme, a clear screening and a confirmed appointment, whatever changed on the way (a late
    "yes" in the screening, a programme changed while on hold).
    """
    if to_state not in states.next_states(case.state, case.state_before_hold):
        return [
            _(
                "A case that is %(state)s cannot move to %(to_state)s.",
                state=states.shown(case.state).lower(),
                to_state=states.shown(to_state).lower(),
                label=states.shown(case.state),
                to_label=states.shown(to_state),
            )
        ]
    if to_state not in states.PIPELINE:
        return []
    messages = []
    for state in states.PIPELINE[: states.PIPELINE.index(to_state) + 1]:
        messages += [message for guard in GUARDS.get(state, ()) if (message := guard(case))]
        messages += [message for _receiver, message in signals.entry_guard.send(state, case=case) if message]
    return messages


def next_steps(case: Case) -> list[tuple[str, list[str]]]:
    """The states this case may move to, each with what still blocks it (for the buttons on the case page)."""
    return [(to_state, blockers(case, to_state)) for to_state in states.next_states(case.state, case.state_before_hold)]


def transition(
    case_id: int, to_state: str, *, actor_id: int, note: str = "", expected_version: int | None = None
) -> Case:
    """Move a case along one edge of the pipeline, if its guards allow it.

    Putting on hold needs a note, cancelling a reason. Leaving `new` records the first-response time, except by
    cancellation: a junk or duplicate request cancelled unanswered is not a response to anybody. An erased patient's
    case stays as the erasure left it.
    """
    case = get_case(case_id)
    refuse_changes(case.patient)
    check_version(case, expected_version)
    if to_state not in states.LABELS:
        raise TransitionRefused(_("%(state)r is not a state of the case pipeline.", state=to_state))
    problems = blockers(case, to_state)
    if problems:
        raise TransitionRefused(" ".join(problems))
    note = (note or "").strip()
    if to_state == "on_hold" and not note:
        raise TransitionRefused(_("Say why the case is put on hold."))
    if to_state == "cancelled" and not note:
        raise TransitionRefused(_("Give the reason for cancelling the case."))

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
    save_case(case)
    record_case_event(case, "transition", actor_id, note=note, from_state=from_state, to_state=to_state)
    signals.state_entered.send(to_state, case=case, actor_id=actor_id)
    return case
