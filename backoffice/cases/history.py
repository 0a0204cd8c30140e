"""What was said and done on a case: notes and messages, and the timeline (reminders: cases.reminders).

The timeline shows health data (diagnosis, messages, notes, reasons given) only to the roles allowed to read it.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from backoffice.auth.permissions import may_see_health_data
from backoffice.cases import signals
from backoffice.cases.models import CaseEvent, CaseNote
from backoffice.cases.operations import CaseError, get_case
from backoffice.extensions import db
from backoffice.languages import N_
from backoffice.trail import record_event

# ---------------------------------------------------------------------------------------------- notes

CHANNELS = ("email", "phone", "whatsapp", "video", "letter", "in_person")
# How the timeline names a channel and a counterpart in a sentence ("Message to patient by in person"): translated where
# shown.
CHANNEL_LABELS = {
    "email": N_("email"),
    "phone": N_("phone"),
    "whatsapp": N_("whatsapp"),
    "video": N_("video"),
    "letter": N_("letter"),
    "in_person": N_("in person"),
}
# Who a logged call, chat or letter was with.
COUNTERPARTS = {"patient": N_("Patient"), "hospital": N_("Hospital"), "physician": N_("Physician")}
COUNTERPART_NAMES = {"patient": N_("patient"), "hospital": N_("hospital"), "physician": N_("physician")}


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
    """An internal note, or the record of a call, chat or letter to or from the patient, the hospital or the
    physician: a message record names its channel, its direction and who it was with."""
    case = get_case(case_id)
    body = (body or "").strip()
    if not body:
        raise CaseError(_("Write the note first."))
    if kind == "message":
        if channel not in CHANNELS or direction not in ("inbound", "outbound") or counterpart not in COUNTERPARTS:
            raise CaseError(_("A message needs its channel, its direction and who it was with."))
    elif kind == "internal":
        channel = direction = counterpart = None
    else:
        raise CaseError(_("A note is internal or a message."))
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


# ---------------------------------------------------------------------------------------------- timeline

# Timeline lines whose text carries no health data; the others are shown to finance as a bare label.
_PLAIN_EVENT_KINDS = (
    "opened",
    "assigned",
    "programme_set",
    "bill",
    "invoice",
    "invoicing_currency",
    "patient_language",
)
_EVENT_LABELS = {  # translated where shown (`timeline`)
    "booking": N_("Booking changed (the bookings page shows it)"),
    "screening": N_("Screening updated"),
    "document": N_("Medical record uploaded"),
    "document_shared": N_("Document shared with the patient"),
    "document_unshared": N_("Document no longer shared with the patient"),
    "document_requested": N_("Document asked of the patient"),
    "document_request_withdrawn": N_("Document request withdrawn"),
    "next_action": N_("Reminder updated"),
    "reminder": N_("Reminder updated"),
    "itinerary": N_("Itinerary PDF downloaded despite open problems"),
    "follow_up": N_("Follow-up updated"),
    "medicine_order": N_("Medicine order updated"),
    "message_received": N_("Reply received by mail"),
    "message_bounced": N_("Mail could not be delivered"),
}


def sees_health_data(role: str) -> bool:
    return may_see_health_data(role)


def timeline(case_id: int, *, health_data: bool) -> list[dict]:
    """Events and notes of a case, oldest first, each with its author (two statements), and what other features
    add through `signals.timeline_entries` (the messages sent and received).

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
            label = _EVENT_LABELS.get(event.kind, "") if event.kind != "transition" else ""
            text = _(label) if label else ""
        entries.append(
            {
                "at": event.occurred_at,
                "type": "event",
                "kind": event.kind,
                "who": event.actor,
                "who_label": _("By mail") if event.kind == "document" and event.actor_id is None else None,
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
    for _receiver, contributed in signals.timeline_entries.send(case_id, health_data=health_data):
        entries += contributed
    return sorted(entries, key=lambda entry: (entry["at"], entry["type"]))
