"""What was said and done on a case: notes, messages, the coordinator's reminder, and the timeline.

The timeline shows health data (diagnosis, messages, notes, reasons given) only to the roles allowed to read it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.audit.operations import record_event
from backoffice.auth.permissions import may_see_health_data
from backoffice.cases.models import Case, CaseEvent, CaseNote
from backoffice.cases.operations import CaseError, check_version, get_case, record_case_event, save_case
from backoffice.dbtypes import utcnow
from backoffice.extensions import db

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
    check_version(case, expected_version)
    what = (what or "").strip()
    if on is not None and not what:
        raise CaseError("Say what is due on that date.")
    if on is not None and on < utcnow().date():
        raise CaseError("The reminder date is in the past; choose today or a later day.")
    case.next_action_on, case.next_action = on, what[:200] if on else ""
    save_case(case)
    record_case_event(case, "next_action", actor_id, note=f"{on.isoformat()}: {what}" if on else "Reminder cleared")
    return case


# ---------------------------------------------------------------------------------------------- timeline

# Timeline lines whose text carries no health data; the others are shown to finance as a bare label.
_PLAIN_EVENT_KINDS = ("opened", "assigned", "programme_set", "bill", "invoice", "invoicing_currency")
_EVENT_LABELS = {
    "booking": "Booking changed (the bookings page shows it)",
    "screening": "Screening updated",
    "document": "Medical record uploaded",
    "next_action": "Reminder updated",
    "follow_up": "Follow-up updated",
    "medicine_order": "Medicine order updated",
}


def sees_health_data(role: str) -> bool:
    return may_see_health_data(role)


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
